"""Rendering of the incident-review reports: one object's history (``driftguard history``), one stored object
(``driftguard show``), and the one-item-per-line JSON (``--format jsonl``) of ``diff``, ``history`` and ``check``.

Every string from vCenter or from people goes to Rich as a ``Text`` and to Markdown through the escape helpers.
"""

from __future__ import annotations

import json
import textwrap
from collections.abc import Iterable, Mapping, Sequence
from typing import Any

from rich.console import Console
from rich.text import Text
from rich.tree import Tree

from driftguard.models import CheckReport, DiffReport, DriftItem
from driftguard.models.review import (
    DiffItemLine,
    FindingLine,
    HistoryEntry,
    HistoryEntryLine,
    ObjectHistory,
    StoredObject,
)
from driftguard.models.times import display
from driftguard.report.escape import md, md_code, text, visible


def _value(value: Any, names: Mapping[str, str] | None = None) -> str:
    """A value in full, as compact JSON (strings unquoted; a moref the snapshot names reads as its name)."""
    if value is None:
        return "-"
    if isinstance(value, str):
        return names.get(value, value) if names else value
    return json.dumps(value, ensure_ascii=False, sort_keys=True)


def _who(item: DriftItem) -> str:
    attribution = item.attribution
    if attribution is None:
        return "unknown (no history)"
    if attribution.status != "attributed":
        return f"{attribution.status}: {attribution.reason}" if attribution.reason else attribution.status
    return attribution.user or "?"


def _evidence(item: DriftItem) -> str:
    attribution = item.attribution
    if attribution is None or attribution.event_type is None:
        return ""
    key = f" #{attribution.event_key}" if attribution.event_key is not None else ""
    return f"{attribution.event_type}{key}, {attribution.confidence}"


def _change(item: DriftItem, names: Mapping[str, str] | None = None) -> str:
    if item.change == "added":
        return f"added {item.kind}" if not item.path else f"+ {_value(item.new, names)}"
    if item.change == "removed":
        return f"removed {item.kind}" if not item.path else f"- {_value(item.old, names)}"
    return f"{_value(item.old, names)} → {_value(item.new, names)}"


def history_headline(history: ObjectHistory) -> str:
    names = " ← ".join(reversed(history.names)) or history.id
    count = len(history.entries)
    return f"history of {history.kind} {names} ({history.id}) on {history.vcenter}: {count} change{'s' * (count != 1)}"


def history_text(
    history: ObjectHistory,
    console: Console,
    *,
    newest_first: bool = False,
    names: Mapping[str, str] | None = None,
) -> None:
    """One block per change, stacked so that nothing breaks at 80 columns: when · commit, then the field and
    old → new in full, then who and the evidence (or UNATTRIBUTED / UNKNOWN and why, indented under it).
    ``names``: moref → name, so a move between clusters reads as the clusters' names."""
    console.print(text(history_headline(history), style="bold"))
    entries = list(reversed(history.entries)) if newest_first else history.entries
    for entry in entries:
        item = entry.item
        when = display(item.attribution.time if item.attribution and item.attribution.time else entry.collected_at)
        console.print(Text.assemble(text(f"{when} · {entry.commit[:10]} · ", style="dim"), text(item.severity)))
        console.print(
            Text.assemble(
                "  ", text(item.path or f"(whole {item.kind})", style="bold"), ": ", text(_change(item, names))
            )
        )
        attribution = item.attribution
        if attribution is not None and attribution.status == "attributed":
            evidence = _evidence(item)
            console.print(
                Text.assemble("  by ", text(_who(item)), text(f" ({evidence})" if evidence else "", style="dim"))
            )
        else:
            console.print(Text.assemble("  ", text((attribution.status if attribution else "unknown").upper(), "bold")))
            reason = attribution.reason if attribution is not None else "no event history stored for this change"
            if reason:
                # wrapped under its own indent at word boundaries (no broken token, no trailing blanks)
                width = max(20, console.width - 4)
                for line in textwrap.wrap(visible(reason), width, break_long_words=False, break_on_hyphens=False):
                    console.print(Text.assemble("    ", Text(line, style="dim")), overflow="ignore", crop=False)
    if not entries:
        console.print(Text("no change in the stored snapshots"))
    _suppressed_line(history, console)


def _suppressed_line(report: ObjectHistory | DiffReport | CheckReport, console: Console) -> None:
    hidden = report.suppressed
    if hidden.items:
        rules = ", ".join(f"{rule.pattern} ({rule.source}) {rule.items}" for rule in hidden.rules)
        console.print(text(f"{hidden.items} change{'s' * (hidden.items != 1)} hidden by ignore rules: {rules}"))


def history_markdown(
    history: ObjectHistory, *, newest_first: bool = False, names: Mapping[str, str] | None = None
) -> str:
    lines = [f"## {md(history_headline(history))}", ""]
    entries = list(reversed(history.entries)) if newest_first else history.entries
    if entries:
        lines += ["| when | field | old → new | who | evidence | commit |", "|---|---|---|---|---|---|"]
    for entry in entries:
        item = entry.item
        when = display(item.attribution.time if item.attribution and item.attribution.time else entry.collected_at)
        cells = [
            when,
            md_code(item.path or f"(whole {item.kind})"),
            md_code(_change(item, names)),
            md(_who(item)),
            md(_evidence(item)),
            md_code(entry.commit[:10]),
        ]
        lines.append("| " + " | ".join(cells) + " |")
    if not entries:
        lines.append("No change in the stored snapshots.")
    if history.suppressed.items:
        lines += ["", md(f"{history.suppressed.items} changes hidden by ignore rules.")]
    return "\n".join(lines) + "\n"


def history_json(history: ObjectHistory, *, newest_first: bool = False) -> str:
    """The ``driftguard.history/v1`` document."""
    if newest_first:
        history = history.model_copy(update={"entries": list(reversed(history.entries))})
    return history.model_dump_json(by_alias=True, indent=2) + "\n"


def history_jsonl(history: ObjectHistory, *, newest_first: bool = False) -> str:
    """One ``driftguard.history-entry/v1`` object per line: the item's fields, ``commit`` and ``collected_at``."""
    entries: Sequence[HistoryEntry] = list(reversed(history.entries)) if newest_first else history.entries
    lines = (
        HistoryEntryLine.model_validate({**e.item.model_dump(), "commit": e.commit, "collected_at": e.collected_at})
        for e in entries
    )
    return "".join(line.model_dump_json(by_alias=True) + "\n" for line in lines)


def diff_jsonl(reports: Iterable[DiffReport]) -> str:
    """One ``driftguard.diff-item/v1`` object per line: the item's fields, ``from`` and ``to`` (commits)."""
    lines = (
        DiffItemLine.model_validate({**item.model_dump(), "from": report.from_.ref, "to": report.to.ref})
        for report in reports
        for item in report.items
    )
    return "".join(line.model_dump_json(by_alias=True) + "\n" for line in lines)


def check_jsonl(report: CheckReport) -> str:
    """One ``driftguard.finding/v1`` object per line: the finding's fields and ``target`` (the commit or live)."""
    lines = (
        FindingLine.model_validate({**finding.model_dump(exclude={"fingerprint"}), "target": report.target.ref})
        for finding in report.findings
    )
    return "".join(line.model_dump_json(by_alias=True) + "\n" for line in lines)


# --- driftguard show ------------------------------------------------------------------------------------------


def object_json(stored: StoredObject) -> str:
    """The ``driftguard.object/v1`` document (the object's canonical JSON under ``object``)."""
    return stored.model_dump_json(by_alias=True, indent=2) + "\n"


def _branch(tree: Tree, key: str, value: Any) -> None:
    if isinstance(value, dict) and value:
        node = tree.add(text(key, style="bold"))
        for child, sub in value.items():
            _branch(node, str(child), sub)
    elif isinstance(value, list) and value and any(isinstance(v, dict | list) for v in value):
        node = tree.add(text(key, style="bold"))
        for index, sub in enumerate(value):
            _branch(node, f"[{index}]", sub)
    else:
        tree.add(Text.assemble(text(key), ": ", text(_value(value))))


def object_headline(stored: StoredObject) -> str:
    at = display(stored.collected_at)
    return f"{stored.kind} {stored.name} ({stored.id}) on {stored.vcenter} at {stored.commit[:10]} ({at})"


def object_text(stored: StoredObject, console: Console) -> None:
    """The object as a tree: one line per field, values in full."""
    tree = Tree(text(object_headline(stored), style="bold"))
    for key, value in stored.object.items():
        _branch(tree, key, value)
    console.print(tree)


def object_markdown(stored: StoredObject) -> str:
    body = json.dumps(stored.object, indent=2, ensure_ascii=False)
    fence = "````" if "```" in body else "```"
    return f"## {md(object_headline(stored))}\n\n{fence}json\n{visible(body)}\n{fence}\n"
