"""Rendering of :class:`~driftguard.models.plan.PlanReport` (``driftguard plan``) and of baseline validation.

The Markdown is what a reviewer reads as the pull-request comment. GitHub rejects comments over 65,536
characters, so :func:`plan_markdown` lowers the number of rows per table step by step until the comment fits,
and says what it left out and where the full plan is (the JSON artefact).
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from typing import Any

from rich.console import Console
from rich.text import Text

from driftguard.models import DiffReport, DriftItem, Endpoint
from driftguard.models.plan import BaselineIssue, IgnorePreview, PlanGroup, PlannedExpectation, PlanReport
from driftguard.report._util import md_escape
from driftguard.report.diff import diff_markdown

COMMENT_LIMIT = 65_536
"""GitHub's maximum issue/pull-request comment body, in characters."""
MARKER = "<!-- driftguard-plan -->"
"""First line of the comment, so a workflow finds and updates its own comment instead of adding one."""
_ROW_CAPS: tuple[int | None, ...] = (None, 200, 100, 50, 20, 10, 5, 0)

PLURAL = {
    "cluster": "clusters",
    "host": "hosts",
    "vm": "VMs",
    "dvswitch": "distributed switches",
    "datastore": "datastores",
}


def plan_json(report: PlanReport) -> str:
    return report.model_dump_json(by_alias=True, indent=2) + "\n"


def show(value: Any) -> str:
    """A value for people: strings bare, everything else as JSON, missing as "(missing)"."""
    if value is None:
        return "(missing)"
    if isinstance(value, str):
        return value
    return json.dumps(value, ensure_ascii=False, sort_keys=True)


def _code(value: Any) -> str:
    text = show(value).replace("`", "'")
    return f"`{md_escape(text)}`" if text else "``"


def _kinds(kind: str, count: int) -> str:
    return f"{count} {kind if count == 1 else PLURAL.get(kind, kind + 's')}"


def group_line(group: PlanGroup) -> str:
    """``ha.options["das.isolationaddress0"]`` 10.0.0.1 → 10.0.0.2 on 14 clusters."""
    where = _kinds(group.kind, group.count)
    if group.compliant:
        return f"{_code(group.path)} already {_code(group.observed)} on {where}"
    return f"{_code(group.path)} {_code(group.observed)} → {_code(group.target)} on {where}"


def headline(report: PlanReport) -> str:
    s = report.summary
    if not s.valid:
        return f"driftguard plan: {len(report.errors)} baseline error{'s' if len(report.errors) != 1 else ''}"
    return (
        f"driftguard plan: {s.changes} baseline change{'s' if s.changes != 1 else ''}, "
        f"{s.newly_noncompliant} newly out of compliance, {s.resolved} resolved"
    )


def _expected_text(expected: dict[str, Any]) -> str:
    parts = [f"{k} {_code(v)}" if k != "optional" else "(optional)" for k, v in expected.items()]
    return " ".join(parts)


def _render(report: PlanReport, cap: int | None, artifact: str) -> tuple[str, int]:
    """The Markdown with at most ``cap`` rows per list (None: all); returns it and the number of rows left out."""
    left_out = 0

    def take(rows: Sequence[Any]) -> Sequence[Any]:
        nonlocal left_out
        if cap is None or len(rows) <= cap:
            return rows
        left_out += len(rows) - cap
        return rows[:cap]

    out = [MARKER, f"## {headline(report)}", ""]
    snaps = ", ".join(f"`{e.ref[:10]}` ({e.collected_at or '?'})" for e in report.snapshots) or "none"
    out.append(f"base `{report.base.ref[:10]}` → head `{report.head.ref[:10]}` · evaluated on snapshot {snaps}")
    out.append("")
    if report.errors:
        out.append(f"### ❌ Baselines invalid ({len(report.errors)} error{'s' if len(report.errors) != 1 else ''})")
        out.append("")
        for issue in take(report.errors):
            out.append(f"- `{md_escape(str(issue))}`")
        out.append("")
    else:
        out.append("✅ Baselines valid.")
        out.append("")
    if report.changes:
        out += ["### Baseline changes", "", "| baseline | section | entry | change |", "|---|---|---|---|"]
        for c in take(report.changes):
            out.append(f"| {md_escape(c.baseline)} | {c.section} | `{md_escape(c.key)}` | {c.change} |")
        out.append("")
    if report.expectations:
        out += ["### What vCenter would have to change", ""]
        for exp in report.expectations:
            out += _expectation(exp, take)
    out += _items("Newly out of compliance", report.newly_noncompliant, take)
    out += _items("No longer reported", report.resolved, take)
    if left_out:
        out.append(
            f"> ✂️ Truncated to fit the {COMMENT_LIMIT:,}-character comment limit: {left_out} row(s) not shown. "
            f"The full plan is in the JSON artefact {artifact}."
        )
    return "\n".join(out).rstrip() + "\n", left_out


def _expectation(exp: PlannedExpectation, take: Any) -> list[str]:
    lines = [
        f"#### {md_escape(exp.baseline)} / `{md_escape(exp.id)}` ({exp.change}, {exp.severity})",
        "",
        f"{exp.kind} {_code(exp.path)} {_expected_text(exp.expected)} — selects {_kinds(exp.kind, exp.selected)}, "
        f"{exp.noncompliant} to change",
        "",
        f"> {md_escape(exp.reason)}",
        "",
    ]
    for group in take(exp.groups):
        names = ", ".join(group.names[:10]) + (f" and {len(group.names) - 10} more" if len(group.names) > 10 else "")
        lines.append(f"- {group_line(group)}: {md_escape(names)}")
    if exp.groups:
        lines.append("")
    rows = take(exp.objects)
    if rows:
        lines += [
            f"<details><summary>{_kinds(exp.kind, exp.selected)} selected</summary>",
            "",
            "| object | path | observed | target | |",
            "|---|---|---|---|---|",
        ]
        for o in rows:
            state = "unknown" if o.unknown else "✅" if o.compliant else "change"
            lines.append(
                f"| {md_escape(o.name)} | {_code(o.path)} | {_code(o.observed)} | {_code(o.target)} | {state} |"
            )
        lines += ["", "</details>", ""]
    return lines


def _items(title: str, items: Sequence[DriftItem], take: Any) -> list[str]:
    if not items:
        return []
    lines = [
        f"### {title} ({len(items)})",
        "",
        "| object | path | observed | expected | baseline | severity |",
        "|---|---|---|---|---|---|",
    ]
    for i in take(items):
        lines.append(
            f"| {i.kind} {md_escape(i.name)} | {_code(i.path)} | {_code(i.old)} | "
            f"{_expected_text(i.expected or {})} | {md_escape(i.baseline or '')} | {i.severity} |"
        )
    lines.append("")
    return lines


def plan_markdown(report: PlanReport, *, limit: int = COMMENT_LIMIT, artifact: str = "`plan.json`") -> str:
    """The pull-request comment, under ``limit`` characters (fewer rows per table until it fits)."""
    text = ""
    for cap in _ROW_CAPS:
        text, _ = _render(report, cap, artifact)
        if len(text) <= limit:
            return text
    # Even without rows (thousands of changed expectations): cut at a line and say so.
    note = f"\n> ✂️ Cut at the {limit:,}-character comment limit. The full plan is in the JSON artefact {artifact}.\n"
    cut = text[: limit - len(note)]
    return cut[: cut.rfind("\n") + 1 if "\n" in cut else len(cut)] + note


def plan_text(report: PlanReport, console: Console) -> None:
    console.print(headline(report), markup=False)
    for issue in report.errors:
        console.print(f"  {issue}", markup=False)
    for c in report.changes:
        console.print(f"  {c.change:8} {c.section} {c.baseline}: {c.key}", markup=False)
    for exp in report.expectations:
        console.print(f"{exp.baseline}/{exp.id} ({exp.change}): {exp.kind} {exp.path}", markup=False)
        for group in exp.groups:
            console.print("  " + group_line(group).replace("`", "") + ": " + ", ".join(group.names), markup=False)
    for item in report.newly_noncompliant:
        console.print(f"  newly non-compliant: {item.kind} {item.name} {item.path} = {show(item.old)}", markup=False)


def issues_text(issues: Sequence[BaselineIssue]) -> str:
    """One ``file:line:column: message`` per line (editors and CI annotate from it)."""
    return "".join(f"{issue}\n" for issue in issues)


def compliance_markdown(items: Sequence[DriftItem]) -> str:
    """Compliance drift as a Markdown table (``driftguard check`` appends it)."""
    return "\n".join(_items("Compliance drift", items, lambda rows: rows))


# --- `driftguard baseline ignored` (moved here from the CLI) -----------------------------------------------------


def _ignored_lines(preview: IgnorePreview) -> list[str]:
    lines = [f"ignore rules: {', '.join(preview.patterns) or 'none'}"]
    for title, items in (("violations hidden", preview.compliance), ("history drift hidden", preview.history)):
        lines.append(f"{title}: {len(items)}")
        lines += [f"  {item.kind} {item.name} {item.path}" for item in items]
    return lines


def ignored_json(preview: IgnorePreview) -> str:
    return preview.model_dump_json(by_alias=True, indent=2) + "\n"


def ignored_text(preview: IgnorePreview, console: Console) -> None:
    for line in _ignored_lines(preview):
        console.print(Text(line))  # names are data: no markup, no emoji codes


def ignored_markdown(preview: IgnorePreview) -> str:
    """The summary lines, then the hidden items as the diff's Markdown table."""
    text = "\n".join(_ignored_lines(preview)) + "\n"
    if not (preview.compliance or preview.history):
        return text
    hidden = DiffReport.model_validate(
        {"from": Endpoint(ref="-"), "to": Endpoint(ref="-"), "items": [*preview.compliance, *preview.history]}
    )
    return text + diff_markdown(hidden)
