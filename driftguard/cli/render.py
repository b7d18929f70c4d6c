"""The consoles and the one render dispatch every command uses: text goes through Rich, the rest is a string."""

from __future__ import annotations

from collections.abc import Callable
from enum import StrEnum

import typer
from rich.console import Console

from driftguard.api import UsageError


class Format(StrEnum):
    """Every output format; each command accepts its own subset (``options.format_option``)."""

    text = "text"
    json = "json"
    markdown = "markdown"
    sarif = "sarif"
    jsonl = "jsonl"


REPORT_FORMATS = (Format.text, Format.json, Format.markdown)
FINDING_FORMATS = (*REPORT_FORMATS, Format.sarif)


def stdout_console() -> Console:
    # COLUMNS/NO_COLOR are honoured by Rich itself; a pipe gets no colour and no progress bar.
    return Console(highlight=False, soft_wrap=False)


def stderr_console() -> Console:
    return Console(stderr=True, highlight=False, soft_wrap=True)  # error lines must stay one line


def render(
    fmt: Format,
    *,
    text: Callable[[Console], None],
    json: Callable[[], str] | None = None,
    markdown: Callable[[], str] | None = None,
    sarif: Callable[[], str] | None = None,
) -> None:
    """Write one report in ``fmt``: ``text`` draws on the stdout console, the others return the document."""
    if fmt is Format.text:
        text(stdout_console())
        return
    produce = {Format.json: json, Format.markdown: markdown, Format.sarif: sarif}[fmt]
    if produce is None:  # format_option() rejects these while parsing; this guards a command that forgot to
        raise UsageError(f"--format {fmt.value} is not available for this command")
    typer.echo(produce(), nl=False)
