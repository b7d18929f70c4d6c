"""Rendering of :class:`~driftguard.models.DiffReport` (``driftguard diff``)."""

from __future__ import annotations

from rich.console import Console
from rich.table import Table
from rich.text import Text

from driftguard.models import Attribution, DiffReport, DriftItem
from driftguard.report._util import md_escape, short

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
    return f"{attribution.user or '?'} at {attribution.time or '?'} ({event})"


def _endpoints(report: DiffReport) -> str:
    def one(ref: str, at: str | None) -> str:
        short_ref = ref if ref == "live" else ref[:10]
        return f"{short_ref} ({at})" if at else short_ref

    return f"{one(report.from_.ref, report.from_.collected_at)} → {one(report.to.ref, report.to.collected_at)}"


def summary_line(report: DiffReport) -> str:
    s = report.summary
    if not s.items:
        return "no drift"
    return (
        f"{s.items} change{'s' if s.items != 1 else ''} on {s.objects} object{'s' if s.objects != 1 else ''}: "
        f"{s.attributed} attributed, {s.unattributed} unattributed, {s.unknown} unknown"
    )


def diff_text(report: DiffReport, console: Console) -> None:
    """A Rich table per report, one row per drift item, with the attribution beside it."""
    console.print(Text(f"drift {_endpoints(report)}", style="bold"))
    if not report.items:
        console.print("no drift")
        return
    table = Table(show_lines=False, expand=False)
    for column in ("", "object", "path", "old", "new", "severity", "who / when"):
        table.add_column(column, overflow="fold")
    for item in report.items:
        table.add_row(
            CHANGE_MARK[item.change],
            f"{item.kind} {item.name} ({item.id})",
            item.path or f"({item.change})",
            short(item.old),
            short(item.new),
            Text(item.severity, style=SEVERITY_STYLE.get(item.severity, "")),
            _who_text(item),
        )
    console.print(table)
    console.print(summary_line(report))


def _who_text(item: DriftItem) -> Text:
    attribution = item.attribution
    style = "green" if attribution and attribution.status == "attributed" else "bold red"
    if attribution and attribution.status == "unknown":
        style = "yellow"
    return Text(who(attribution), style=style)


def diff_markdown(report: DiffReport) -> str:
    """GitHub-flavoured Markdown: a heading, the summary and one table row per item."""
    lines = [f"### driftguard diff {md_escape(_endpoints(report))}", "", f"**{summary_line(report)}**", ""]
    if report.items:
        lines += ["| | object | path | old | new | severity | who / when |", "|---|---|---|---|---|---|---|"]
        for item in report.items:
            cells = [
                CHANGE_MARK[item.change],
                f"{item.kind} `{md_escape(item.name)}` ({item.id})",
                f"`{md_escape(item.path)}`" if item.path else item.change,
                md_escape(short(item.old)),
                md_escape(short(item.new)),
                item.severity,
                md_escape(who(item.attribution)),
            ]
            lines.append("| " + " | ".join(cells) + " |")
    return "\n".join(lines) + "\n"
