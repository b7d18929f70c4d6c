"""Rendering of :class:`~driftguard.models.plan.IgnorePreview` (``driftguard baseline ignored``)."""

from __future__ import annotations

from rich.console import Console
from rich.text import Text

from driftguard.models import DiffReport, Endpoint
from driftguard.models.plan import IgnorePreview
from driftguard.report.diff import diff_markdown
from driftguard.report.escape import text


def ignored_json(preview: IgnorePreview) -> str:
    return preview.model_dump_json(by_alias=True, indent=2) + "\n"


def ignored_text(preview: IgnorePreview, console: Console) -> None:
    """The ignore patterns, then each hidden item on a line; every string from a baseline or vCenter is a
    ``Text``."""
    console.print(text(f"ignore rules: {', '.join(preview.patterns) or 'none'}"))
    for title, items in (("violations hidden", preview.compliance), ("history drift hidden", preview.history)):
        console.print(Text(f"{title}: {len(items)}"))
        for item in items:
            console.print(text(f"  {item.kind} {item.name} {item.path}"))


def ignored_markdown(preview: IgnorePreview) -> str:
    hidden = DiffReport.model_validate(
        {"from": Endpoint(ref="-"), "to": Endpoint(ref="-"), "items": [*preview.compliance, *preview.history]}
    )
    return diff_markdown(hidden)
