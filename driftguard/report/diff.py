"""Rendering of :class:`~driftguard.models.DiffReport` (``driftguard diff``)."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

from rich.console import Console
from rich.table import Table
from rich.text import Text

from driftguard.models import Attribution, DiffReport, DriftItem
from driftguard.models.times import display, iso
from driftguard.report._util import md_escape, short
from driftguard.report.escape import md_code, text, visible

SEVERITY_STYLE = {"critical": "bold red", "high": "red", "medium": "yellow", "low": "cyan", "info": "dim"}
CHANGE_MARK = {"added": "+", "removed": "-", "modified": "~", "renamed": "→"}


def diff_json(report: DiffReport) -> str:
    """The stable ``driftguard.diff/v1`` JSON document."""
    return report.model_dump_json(by_alias=True, indent=2) + "\n"


def who(attribution: Attribution | None) -> str:
    """ "alice at 2026-11-29T01:02:03 (VmReconfiguredEvent #123, exact)" or the reason it is not attributed."""
    if attribution is None:
        return "not attributed (no history)"
    if attribution.status != "attributed":
        reason = f": {attribution.reason}" if attribution.reason else ""
        return f"{attribution.status}{reason}"
    key = f" #{attribution.event_key}" if attribution.event_key is not None else ""
    event = f"{attribution.event_type}{key}, {attribution.confidence}"
    at = iso(attribution.time) if attribution.time else "?"
    return f"{attribution.user or '?'} at {at} ({event})"


def _endpoints(report: DiffReport) -> str:
    def one(ref: str, at: datetime | None) -> str:
        short_ref = ref if ref == "live" else ref[:10]
        return f"{short_ref} ({when(at)})" if at else short_ref

    return f"{one(report.from_.ref, report.from_.collected_at)} → {one(report.to.ref, report.to.collected_at)}"


def summary_line(report: DiffReport) -> str:
    s = report.summary
    if not s.items:
        return "no drift"
    approval = f"; {s.approved} approved, {s.unapproved} unapproved" if s.approved or s.unapproved else ""
    return (
        f"{s.items} change{'s' if s.items != 1 else ''} on {s.objects} object{'s' if s.objects != 1 else ''}: "
        f"{s.attributed} attributed, {s.unattributed} unattributed, {s.unknown} unknown{approval}"
    )


def when(time: datetime | None) -> str:
    """ISO 8601 → "2026-11-29 02:17:54Z" for tables (full precision stays in JSON)."""
    return display(time)


def diff_text(report: DiffReport, console: Console) -> None:
    """One Rich table row per drift item: what changed, and who changed it when according to vCenter.

    Reasons for unattributed and unknown items are printed as numbered notes under the table, so the table
    stays scannable during an incident. Every string from vCenter goes in as a ``Text`` (never markup).
    """
    console.print(text(f"drift {_endpoints(report)}", style="bold"))
    if not report.items:
        console.print(Text("no drift"))
        return
    table = Table(show_lines=False, expand=False)
    table.add_column("", no_wrap=True)
    table.add_column("object", overflow="fold", ratio=2)
    table.add_column("path", overflow="fold", ratio=3)  # what people grep for: the widest share
    table.add_column("old → new", overflow="fold", ratio=2)
    table.add_column("severity", no_wrap=True)
    # user, time and event on their own lines: one glance answers "who, when, how sure"
    table.add_column("who · when · evidence", overflow="fold", ratio=2)
    notes: list[str] = []
    previous_object = None
    for item in report.items:
        obj = (item.kind, item.id)
        label = f"{item.kind} {item.name} ({item.id})" if obj != previous_object else ""
        previous_object = obj
        table.add_row(
            CHANGE_MARK[item.change],
            text(label),
            text(item.path or f"(whole {item.kind})"),
            text(_change_text(item)),
            Text(item.severity, style=SEVERITY_STYLE.get(item.severity, "")),
            _attribution_cell(item, notes),
        )
    console.print(table)
    for number, note in enumerate(notes, 1):
        console.print(text(f"[{number}] {note}"))
    console.print(Text(summary_line(report)))


def _change_text(item: DriftItem) -> str:
    if item.change == "added":
        return f"+ {short(_leaves(item.new))}"
    if item.change == "removed":
        return f"- {short(_leaves(item.old))}"
    return f"{short(item.old, 40)} → {short(item.new, 40)}"


def _leaves(value: Any) -> Any:
    """For an added or removed dict (a portgroup, a device), its scalar fields first: what a reader scans for."""
    if not isinstance(value, dict):
        return value
    scalars = {k: v for k, v in sorted(value.items()) if not isinstance(v, dict | list) and v is not None}
    return scalars or value


def _attribution_cell(item: DriftItem, notes: list[str]) -> Text:
    attribution = item.attribution
    if attribution is None or attribution.status != "attributed":
        status = attribution.status if attribution else "unknown"
        reason = attribution.reason if attribution and attribution.reason else "no event history was read"
        notes.append(f"{item.kind} {item.name} {item.path or item.change}: {status}: {reason}")
        cell = Text(f"{status.upper()} [{len(notes)}]", style="yellow" if status == "unknown" else "bold red")
    else:
        key = f" #{attribution.event_key}" if attribution.event_key is not None else ""
        more = f" +{len(attribution.candidates) - 1}" if len(attribution.candidates) > 1 else ""
        cell = text(attribution.user or "?", style="green")
        cell.append(f"\n{when(attribution.time)}\n")
        cell.append(visible(f"{attribution.event_type}{key} ({attribution.confidence}){more}"), style="dim")
    approval = _approval(item)
    if approval:
        cell.append("\n" + visible(approval), style="green" if item.approved else "yellow")
    return cell


def _approval(item: DriftItem) -> str:
    """ "approved by site" / "unapproved"; empty when no baseline was evaluated (``approved`` unset)."""
    if item.approved is None:
        return ""
    return f"approved by {item.baseline}" if item.approved else "unapproved"


def diff_markdown(report: DiffReport) -> str:
    """GitHub-flavoured Markdown: a heading, the summary and one table row per item (user text escaped)."""
    lines = [f"### driftguard diff {md_escape(_endpoints(report))}", "", f"**{summary_line(report)}**", ""]
    if report.items:
        lines += markdown_table(report.items)
    return "\n".join(lines) + "\n"


def markdown_table(items: Sequence[DriftItem]) -> list[str]:
    """The lines of the diff's Markdown table: names and paths as code spans, everything else escaped text."""
    lines = ["| | object | path | old | new | severity | who / when |", "|---|---|---|---|---|---|---|"]
    for item in items:
        cells = [
            CHANGE_MARK[item.change],
            f"{item.kind} {md_code(item.name)} ({md_escape(item.id)})",
            md_code(item.path) if item.path else item.change,
            md_escape(short(item.old)),
            md_escape(short(item.new)),
            item.severity,
            md_escape(" · ".join(part for part in (who(item.attribution), _approval(item)) if part)),
        ]
        lines.append("| " + " | ".join(cells) + " |")
    return lines
