"""The one way tests invoke the CLI in-process: Typer's CliRunner with a fixed, plain terminal.

``COLUMNS=200``, ``NO_COLOR=1`` and ``TERM=dumb`` make Rich output identical on every machine. Exceptions are not
caught by the runner (``catch_exceptions=False``): the CLI's own boundary must turn every failure into an exit
code, so an exception escaping to the test is a bug the test shows with its traceback."""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path

from typer.testing import CliRunner, Result

from driftguard.cli import app

TERMINAL = {"COLUMNS": "200", "NO_COLOR": "1", "TERM": "dumb"}


def invoke(
    *args: str | Path,
    env: Mapping[str, str | None] | None = None,
    password: str | None = None,
    input: str | None = None,
) -> Result:
    """Run ``driftguard ARGS...``; ``password`` is passed as DRIFTGUARD_PASSWORD, ``env`` adds or (None) unsets."""
    merged: dict[str, str | None] = dict(TERMINAL)
    if password is not None:
        merged["DRIFTGUARD_PASSWORD"] = password
    merged.update(env or {})
    return CliRunner().invoke(app, [str(a) for a in args], env=merged, input=input, catch_exceptions=False)
