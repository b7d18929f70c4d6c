"""Rendering of :class:`~driftguard.models.plan.IgnorePreview` (``driftguard baseline ignored``): what the
baselines' ignore rules hide, so a reviewer sees the cost of an ignore rule before approving it."""

from __future__ import annotations

from rich.console import Console
from rich.text import Text

from driftguard.models import DriftItem
from driftguard.models.plan import IgnorePreview
from driftguard.report._util import md_escape
from driftguard.report.diff import markdown_table
from driftguard.report.escape import md_code, text

_SECTIONS = (("violations hidden", "compliance"), ("history drift hidden", "history"))


def _sections(preview: IgnorePreview) -> list[tuple[str, list[DriftItem]]]:
    return [(title, getattr(preview, field)) for title, field in _SECTIONS]


def ignored_json(preview: IgnorePreview) -> str:
    """The ``driftguard.ignored/v1`` JSON document."""
    return preview.model_dump_json(by_alias=True, indent=2) + "\n"


def ignored_text(preview: IgnorePreview, console: Console) -> None:
    """The ignore patterns, then each hidden item on a line; every string from a baseline or vCenter is a
    ``Text``."""
    console.print(text(f"ignore rules: {', '.join(preview.patterns) or 'none'}"))
    for title, items in _sections(preview):
        console.print(Text(f"{title}: {len(items)}"))
        for item in items:
            console.print(text(f"  {item.kind} {item.name} {item.path}"))


def ignored_markdown(preview: IgnorePreview) -> str:
    """A heading, the ignore patterns, and one diff-style table per section that hides something."""
    patterns = ", ".join(md_code(p, table=False) for p in preview.patterns) or "none"
    lines = ["### driftguard baseline ignored", "", f"**ignore rules:** {patterns}", ""]
    for title, items in _sections(preview):
        lines += [f"#### {md_escape(title)} ({len(items)})", ""]
        if items:
            lines += [*markdown_table(items), ""]
    return "\n".join(lines).rstrip() + "\n"
