"""The CLI, run in-process, for the ``config`` tests."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from typer.testing import CliRunner

from driftguard.cli import app
from tests.paths import ROOT

DOCS = ROOT / "docs" / "configuration.md"


def invoke(*args: str | Path) -> Any:
    env = {"COLUMNS": "200", "NO_COLOR": "1", "TERM": "dumb"}
    return CliRunner().invoke(app, [str(a) for a in args], env=env, catch_exceptions=False)


def docs_example() -> str:
    """The first ``yaml`` block of docs/configuration.md: the full example."""
    text = DOCS.read_text(encoding="utf-8")
    start = text.index("```yaml\n") + len("```yaml\n")
    return text[start : text.index("```", start)]
