"""``driftguard diff --stat``: how many changes, by kind, category and user, like ``git diff --stat``.

Counts are of drift items (the JSON's ``items``), so they add up to the summary line; objects are counted per
kind. The bar of each line is scaled to the largest count in its section.
"""

from __future__ import annotations

from collections import Counter

from rich.console import Console
from rich.text import Text

from driftguard.models import DiffReport, DriftItem
from driftguard.report._util import PLURAL, hidden_line, md_escape
from driftguard.report.diff import endpoints, summary_line
from driftguard.report.escape import md_code, text

BAR = 40
"""Width of the longest bar, in characters."""


def _user(item: DriftItem) -> str:
    a = item.attribution
    if a is None:
        return "(unknown)"
    if a.status != "attributed":
        return f"({a.status})"
    return a.user or "?"


def sections(report: DiffReport) -> list[tuple[str, list[tuple[str, int]]]]:
    """(title, [(label, count), ...]) for kinds, categories and users, most changes first."""
    items = report.items
    objects: dict[str, set[str]] = {}
    for item in items:
        objects.setdefault(item.kind, set()).add(f"{item.vcenter}/{item.id}")

    def ranked(counter: Counter[str]) -> list[tuple[str, int]]:
        return sorted(counter.items(), key=lambda kv: (-kv[1], kv[0]))

    kinds = [
        (f"{kind} ({len(objects[kind])} {PLURAL.get(kind, kind + 's') if len(objects[kind]) != 1 else kind})", n)
        for kind, n in ranked(Counter(item.kind for item in items))
    ]
    return [
        ("kind", kinds),
        ("category", ranked(Counter(item.category for item in items))),
        ("user", ranked(Counter(_user(item) for item in items))),
    ]


def _bar(count: int, largest: int) -> str:
    return "█" * max(1, round(BAR * count / largest)) if largest else ""


def diff_stat_text(report: DiffReport, console: Console) -> None:
    """One line per kind, category and user: label, count and a bar; then the summary line."""
    console.print(text(f"drift {endpoints(report)}", style="bold"))
    hidden = hidden_line(report, "change")
    if hidden:
        console.print(text(hidden, style="yellow"))
    all_rows = [row for _, rows in sections(report) for row in rows]
    label_width = min(max((len(label) for label, _ in all_rows), default=0), 40)
    count_width = max((len(str(n)) for _, n in all_rows), default=1)
    for title, rows in sections(report) if report.items else []:
        console.print(Text(f"by {title}", style="bold"))
        largest = max(n for _, n in rows)
        for label, n in rows:
            line = text(f" {label:<{label_width}}")
            line.append(f" | {n:>{count_width}} ")
            line.append(_bar(n, largest), style="cyan")
            console.print(line)
    console.print(Text(summary_line(report)))


def diff_stat_markdown(report: DiffReport) -> str:
    """The same counts as Markdown tables (short at any estate size: one row per kind, category and user)."""
    out = [f"### driftguard diff --stat {md_escape(endpoints(report))}", "", f"**{summary_line(report)}**", ""]
    hidden = hidden_line(report, "change")
    if hidden:
        out += [md_escape(hidden), ""]
    for title, rows in sections(report) if report.items else []:
        out += [f"| {title} | changes |", "|---|---:|"]
        out += [f"| {_cell(title, label)} | {n} |" for label, n in rows]
        out.append("")
    return "\n".join(out).rstrip("\n") + "\n"


def _cell(title: str, label: str) -> str:
    return md_code(label) if title == "user" else md_escape(label)
