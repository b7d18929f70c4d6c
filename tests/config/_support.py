"""The CLI, run in-process, for the ``config`` tests."""

from __future__ import annotations

from tests.paths import ROOT

DOCS = ROOT / "docs" / "configuration.md"


def docs_example() -> str:
    """The first ``yaml`` block of docs/configuration.md: the full example."""
    text = DOCS.read_text(encoding="utf-8")
    start = text.index("```yaml\n") + len("```yaml\n")
    return text[start : text.index("```", start)]
