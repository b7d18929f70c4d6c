"""Rendering of :class:`~driftguard.models.DiffReport` (``driftguard diff``)."""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from datetime import datetime

from rich.console import Console
from rich.text import Text

from driftguard.models import Attribution, DiffReport, DriftItem
from driftguard.models.times import display, iso
from driftguard.report._util import (
    COMMENT_LIMIT,
    PLURAL,
    RowCap,
    fit_markdown,
    hidden_line,
    md_escape,
    short,
    truncation_note,
)
from driftguard.report.changes import LogicalChange, group_identical, logical_changes, names_from_items
from driftguard.report.describe import Shown, describe
from driftguard.report.escape import lines, md_code, text, visible
from driftguard.report.layout import Blocks, Column, token_safe_table

GROUP_NAMES = 10
"""Objects of a grouped change named before "and N more" (``--wide`` names all)."""

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


def endpoints(report: DiffReport) -> str:
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


def diff_text(
    report: DiffReport, console: Console, *, names: Mapping[str, str] | None = None, wide: bool = False
) -> None:
    """One entry per logical change (report/changes.py): what changed, and who changed it when according to
    vCenter. At :data:`~driftguard.report.layout.TABLE_MIN_WIDTH` columns or more a table whose columns fit their
    longest word; narrower, one block per change. ``names`` maps morefs to names (the report's own objects are
    always known); ``wide`` shows full values, diffs and object lists. Every string from vCenter goes in as a
    ``Text`` (never markup)."""
    console.print(text(f"drift {endpoints(report)}", style="bold"))
    hidden = hidden_line(report, "change")
    if hidden:
        console.print(text(hidden, style="yellow"))
    if not report.items:
        console.print(Text("no drift"))
        return
    known = {**names_from_items(report.items), **(names or {})}
    changes = group_identical(logical_changes(report.items))
    rows = [_Row.of(change, known, wide) for change in changes]
    notes = _with_notes(rows)
    table = token_safe_table(_COLUMNS, [row.cells() for row in rows], console.width)
    if table is not None:
        console.print(table)
    else:
        _stacked(rows, console)
    for number, note in enumerate(notes, 1):
        console.print(text(f"[{number}] {note}"))
    if any(row.shown.cut for row in rows):
        console.print(Text("some values were shortened: --wide or --format json shows them whole", style="dim"))
    console.print(Text(summary_line(report)))


_COLUMNS = (
    Column("", no_wrap=True),
    Column("object"),
    Column("path"),
    Column("old → new"),
    Column("severity", no_wrap=True),
    Column("who · when · evidence"),
)


def _objects(change: LogicalChange, wide: bool) -> str:
    first = change.objects[0]
    if not change.grouped:
        return f"{first.kind} {first.name} ({first.id})"
    names = [ref.name for ref in change.objects]
    shown = names if wide else names[:GROUP_NAMES]
    more = f" and {len(names) - len(shown)} more" if len(shown) < len(names) else ""
    return f"{_kinds(first.kind, len(names))}: {', '.join(shown)}{more}"


def _kinds(kind: str, count: int) -> str:
    return f"{count} {kind if count == 1 else PLURAL.get(kind, kind + 's')}"


class _Row:
    """One logical change ready to draw: its words, and its note number when it is not attributed."""

    def __init__(self, change: LogicalChange, shown: Shown, label: str) -> None:
        self.change = change
        self.shown = shown
        self.label = label
        self.number = 0
        self.first = True

    @classmethod
    def of(cls, change: LogicalChange, names: Mapping[str, str], wide: bool) -> _Row:
        return cls(change, describe(change, names, wide=wide), _objects(change, wide))

    @property
    def note(self) -> str | None:
        a = self.change.attribution
        if a is not None and a.status == "attributed":
            return None
        status = a.status if a else "unknown"
        reason = a.reason if a and a.reason else "no event history was read"
        return f"{status}: {reason}"

    def status_text(self) -> Text:
        a = self.change.attribution
        status = a.status if a else "unknown"
        return Text(f"{status.upper()} [{self.number}]", style="yellow" if status == "unknown" else "bold red")

    def who(self, separator: str) -> Text:
        a = self.change.attribution
        if a is None or a.status != "attributed":
            cell = self.status_text()
        else:
            key = f" #{a.event_key}" if a.event_key is not None and not self.change.grouped else ""
            more = f" +{len(a.candidates) - 1}" if len(a.candidates) > 1 and not self.change.grouped else ""
            at = a.time.date().isoformat() if self.change.grouped and a.time else when(a.time)
            cell = text(a.user or "?", style="green")
            cell.append(f"{separator}{at}{separator}")
            cell.append(visible(f"{a.event_type}{key} ({a.confidence}){more}"), style="dim")
        approval = _approval_of(self.change.approved, self.change.baseline)
        if approval:
            cell.append(separator + visible(approval), style="green" if self.change.approved else "yellow")
        return cell

    def what(self) -> Text:
        return lines(self.shown.summary, *self.shown.details)

    def cells(self) -> list[Text]:
        change = self.change
        return [
            Text(CHANGE_MARK[change.change]),
            text(self.label if self.first else ""),
            text(change.path or f"(whole {change.kind})"),
            self.what(),
            Text(change.severity, style=SEVERITY_STYLE.get(change.severity, "")),
            self.who("\n"),
        ]


def _with_notes(rows: list[_Row]) -> list[str]:
    """The notes (one per distinct reason a change is not attributed, numbered in order of first use), and marks
    the first row of each run of one object's changes."""
    notes: dict[str, int] = {}
    previous = None
    for row in rows:
        if row.note:
            row.number = notes.setdefault(row.note, len(notes) + 1)
        row.first = row.label != previous or row.change.grouped
        previous = row.label
    return list(notes)


def _stacked(rows: list[_Row], console: Console) -> None:
    """One block per change: the object (once per run of its changes), then indented: mark, path and
    severity; old → new; who · when · evidence. Long lines wrap at spaces under their own indent."""
    blocks = Blocks(console)
    for row in rows:
        if row.first:
            blocks.add(text(row.label, style="bold"))
        change = row.change
        head = Text(f"{CHANGE_MARK[change.change]} ")
        head.append(text(change.path or f"(whole {change.kind})"))
        head.append(" · ")
        head.append(change.severity, style=SEVERITY_STYLE.get(change.severity, ""))
        blocks.add(head, 2)
        blocks.add(row.what(), 4)
        blocks.add(row.who(" · "), 4)
    blocks.print()


def _approval(item: DriftItem) -> str:
    """ "approved by site" / "unapproved"; empty when no baseline was evaluated (``approved`` unset)."""
    return _approval_of(item.approved, item.baseline)


def _approval_of(approved: bool | None, baseline: str | None) -> str:
    if approved is None:
        return ""
    return f"approved by {baseline}" if approved else "unapproved"


def diff_markdown(
    report: DiffReport,
    *,
    names: Mapping[str, str] | None = None,
    limit: int = COMMENT_LIMIT,
    where: str = "The full diff is in `driftguard diff --format json`.",
) -> str:
    """GitHub-flavoured Markdown: a heading, the summary and one table row per logical change, text diffs of
    agent files under the table; under ``limit`` characters (fewer rows until it fits, saying ``where`` the
    rest is). User text is escaped."""
    known = {**names_from_items(report.items), **(names or {})}
    changes = group_identical(logical_changes(report.items))
    shown = [(change, describe(change, known)) for change in changes]
    return fit_markdown(lambda take: _markdown(report, shown, take, limit, where), limit=limit, where=where)


def _markdown(
    report: DiffReport, shown: Sequence[tuple[LogicalChange, Shown]], take: RowCap, limit: int, where: str
) -> str:
    lines = [f"### driftguard diff {md_escape(endpoints(report))}", "", f"**{summary_line(report)}**", ""]
    hidden = hidden_line(report, "change")
    if hidden:
        lines[-1:-1] = ["", md_escape(hidden)]
    rows = take(shown)
    if rows:
        lines += ["| | object | path | change | severity | who / when |", "|---|---|---|---|---|---|"]
        diffs: list[str] = []
        for change, words in rows:
            cells = [
                CHANGE_MARK[change.change],
                _md_objects(change),
                md_code(change.path) if change.path else change.change,
                md_escape(words.summary) + "".join(" · " + md_code(d) for d in words.details if not _is_diff(words)),
                change.severity,
                md_escape(_md_who(change)),
            ]
            lines.append("| " + " | ".join(cells) + " |")
            if _is_diff(words):
                diffs += ["", f"{_md_objects(change)} {md_code(change.path, table=False)}:", "", *fenced(words.details)]
        lines += diffs
    if take.left_out:
        lines += ["", truncation_note(take.left_out, limit, where)]
    return "\n".join(lines) + "\n"


def _is_diff(words: Shown) -> bool:
    return any(line.startswith("@@") for line in words.details)


def _md_objects(change: LogicalChange) -> str:
    first = change.objects[0]
    if not change.grouped:
        return f"{first.kind} {md_code(first.name)} ({md_escape(first.id)})"
    names = ", ".join(md_code(ref.name) for ref in change.objects[:GROUP_NAMES])
    more = f" and {len(change.objects) - GROUP_NAMES} more" if len(change.objects) > GROUP_NAMES else ""
    return f"{_kinds(first.kind, len(change.objects))}: {names}{more}"


def _md_who(change: LogicalChange) -> str:
    a = change.attribution
    if change.grouped and a is not None and a.status == "attributed":
        day = a.time.date().isoformat() if a.time else "?"
        said = f"{a.user or '?'} · {day} ({a.event_type}, {a.confidence})"
    else:
        said = who(a)
    return " · ".join(part for part in (said, _approval_of(change.approved, change.baseline)) if part)


def fenced(body: Sequence[str], info: str = "diff") -> list[str]:
    """A fenced code block showing ``body`` exactly: each line escaped (:func:`visible`), the fence longer than
    any backtick run in it, so no line of user text can close it."""
    shown = [visible(line) for line in body]
    longest = max((len(run) for line in shown for run in re.findall(r"`+", line)), default=0)
    fence = "`" * max(3, longest + 1)
    return [fence + info, *shown, fence]


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
