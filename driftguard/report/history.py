"""Rendering of the snapshot history (``driftguard log``)."""

from __future__ import annotations

import json

from rich.console import Console
from rich.table import Table
from rich.text import Text

from driftguard.models import LogEntry
from driftguard.models.times import display, iso
from driftguard.report._util import md_escape
from driftguard.report.escape import md_code, text


def _summary(entry: LogEntry) -> str:
    s = entry.summary
    if s is None:
        return "first snapshot"
    return f"{s.items} changes on {s.objects} objects: {s.attributed} attributed, {s.unattributed} unattributed"


def log_text(entries: list[LogEntry], console: Console) -> None:
    if not entries:
        console.print(Text("no snapshots yet"))
        return
    # the commit and the time never wrap (at 80 columns they were cut mid-token); the summary wraps at its words
    table = Table()
    table.add_column("commit", no_wrap=True)
    table.add_column("vcenter", overflow="fold")
    table.add_column("collected", no_wrap=True)
    table.add_column("drift", overflow="fold")
    for e in entries:
        when = display(e.collected_at or e.committed_at)
        table.add_row(*(text(cell) for cell in (e.commit[:10], e.vcenter, when, _summary(e))))
    console.print(table)


def _when(entry: LogEntry) -> str:
    """When the snapshot was collected (else committed), in the full JSON form the log has always shown."""
    return iso(entry.collected_at or entry.committed_at)


def log_json(entries: list[LogEntry]) -> str:
    doc = {"schema": "driftguard.log/v1", "snapshots": [e.model_dump(mode="json") for e in entries]}
    return json.dumps(doc, indent=2, ensure_ascii=False) + "\n"


def log_markdown(entries: list[LogEntry]) -> str:
    lines = ["| commit | vcenter | collected | drift |", "|---|---|---|---|"]
    for e in entries:
        cells = [md_code(e.commit[:10]), md_escape(e.vcenter), md_escape(_when(e)), _summary(e)]
        lines.append("| " + " | ".join(cells) + " |")
    return "\n".join(lines) + "\n"
