"""Pieces every command shares: exit codes, output formats, consoles and the error boundary."""

from __future__ import annotations

import os
from collections.abc import Iterator
from contextlib import contextmanager
from enum import StrEnum

import typer
from rich.console import Console

from driftguard.api import DriftguardError

EXIT_OK = 0
EXIT_DRIFT = 1
EXIT_USAGE = 2
EXIT_OPERATIONAL = 3


class Format(StrEnum):
    text = "text"
    json = "json"
    markdown = "markdown"


def stdout_console() -> Console:
    # COLUMNS/NO_COLOR are honoured by Rich itself; a pipe gets no colour and no progress bar.
    return Console(highlight=False, soft_wrap=False)


def stderr_console() -> Console:
    return Console(stderr=True, highlight=False, soft_wrap=True)  # error lines must stay one line


@contextmanager
def error_boundary() -> Iterator[None]:
    """Print a driftguard error as one line on stderr and exit with its code (2 usage, 3 operational)."""
    try:
        yield
    except DriftguardError as exc:
        stderr_console().print(f"driftguard: error: {exc}", markup=False)
        raise typer.Exit(exc.exit_code) from None


def env_default(name: str) -> str | None:
    return os.environ.get(name) or None
