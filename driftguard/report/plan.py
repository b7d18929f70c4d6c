"""Rendering of :class:`~driftguard.models.plan.PlanReport` (``driftguard plan``) and of baseline validation.

The Markdown is what a reviewer reads as the pull-request comment. GitHub rejects comments over 65,536
characters, so :func:`plan_markdown` lowers the number of rows per table step by step until the comment fits,
and says what it left out and where the full plan is (the JSON artefact).
"""

from __future__ import annotations

import json
from collections.abc import Callable, Sequence
from typing import Any

from rich.console import Console

from driftguard.models import DriftItem
from driftguard.models.plan import BaselineIssue, PlanGroup, PlannedExpectation, PlanReport
from driftguard.models.times import iso
from driftguard.report._util import COMMENT_LIMIT, PLURAL, RowCap, fit_markdown, md_escape, truncation_note
from driftguard.report.escape import md_code, text, visible

MARKER = "<!-- driftguard-plan -->"
"""First line of the comment, so a workflow finds and updates its own comment instead of adding one."""


def plan_json(report: PlanReport) -> str:
    return report.model_dump_json(by_alias=True, indent=2) + "\n"


def show(value: Any) -> str:
    """A value for people: strings bare, everything else as JSON, missing as "(missing)"."""
    if value is None:
        return "(missing)"
    if isinstance(value, str):
        return value
    return json.dumps(value, ensure_ascii=False, sort_keys=True)


def _code(value: Any, table: bool = True) -> str:
    return md_code(show(value), table=table)


def _prose_code(value: Any) -> str:
    return _code(value, table=False)


def _kinds(kind: str, count: int) -> str:
    return f"{count} {kind if count == 1 else PLURAL.get(kind, kind + 's')}"


def group_line(group: PlanGroup, code: Callable[[Any], str] = _prose_code) -> str:
    """``ha.options["das.isolationaddress0"]`` 10.0.0.1 → 10.0.0.2 on 14 clusters (Markdown; ``code=show`` for
    plain text)."""
    where = _kinds(group.kind, group.count)
    if group.compliant:
        return f"{code(group.path)} already {code(group.observed)} on {where}"
    return f"{code(group.path)} {code(group.observed)} → {code(group.target)} on {where}"


def headline(report: PlanReport) -> str:
    s = report.summary
    if not s.valid:
        return f"driftguard plan: {len(report.errors)} baseline error{'s' if len(report.errors) != 1 else ''}"
    return (
        f"driftguard plan: {s.changes} baseline change{'s' if s.changes != 1 else ''}, "
        f"{s.newly_noncompliant} newly out of compliance, {s.resolved} resolved"
    )


def _expected_text(expected: dict[str, Any], table: bool = True) -> str:
    parts = [f"{md_escape(k)} {_code(v, table)}" if k != "optional" else "(optional)" for k, v in expected.items()]
    return " ".join(parts)


def _render(report: PlanReport, take: RowCap, limit: int, artifact: str) -> str:
    """The Markdown with at most ``take.cap`` rows per list (None: all), saying how many it left out."""
    out = [MARKER, f"## {headline(report)}", ""]
    snaps = ", ".join(
        f"{_prose_code(e.ref[:10])} ({md_escape(iso(e.collected_at) if e.collected_at else '?')})"
        for e in report.snapshots
    )
    snaps = snaps or "none"
    base, head = _prose_code(report.base.ref[:10]), _prose_code(report.head.ref[:10])
    out.append(f"base {base} → head {head} · evaluated on snapshot {snaps}")
    out.append("")
    if report.errors:
        out.append(f"### ❌ Baselines invalid ({len(report.errors)} error{'s' if len(report.errors) != 1 else ''})")
        out.append("")
        for issue in take(report.errors):
            out.append(f"- {_prose_code(str(issue))}")
        out.append("")
    else:
        out.append("✅ Baselines valid.")
        out.append("")
    if report.changes:
        out += ["### Baseline changes", "", "| baseline | section | entry | change |", "|---|---|---|---|"]
        for c in take(report.changes):
            out.append(f"| {md_escape(c.baseline)} | {c.section} | {_code(c.key)} | {c.change} |")
        out.append("")
    if report.expectations:
        out += ["### What vCenter would have to change", ""]
        for exp in report.expectations:
            out += _expectation(exp, take)
    out += _items("Newly out of compliance", report.newly_noncompliant, take)
    out += _items("No longer reported", report.resolved, take)
    if take.left_out:
        out.append(truncation_note(take.left_out, limit, f"The full plan is in the JSON artefact {artifact}."))
    return "\n".join(out).rstrip() + "\n"


def _expectation(exp: PlannedExpectation, take: Any) -> list[str]:
    lines = [
        f"#### {md_escape(exp.baseline)} / {_prose_code(exp.id)} ({exp.change}, {exp.severity})",
        "",
        f"{exp.kind} {_prose_code(exp.path)} {_expected_text(exp.expected, table=False)} — "
        f"selects {_kinds(exp.kind, exp.selected)}, {exp.noncompliant} to change",
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
    return fit_markdown(
        lambda take: _render(report, take, limit, artifact),
        limit=limit,
        where=f"The full plan is in the JSON artefact {artifact}.",
    )


def plan_text(report: PlanReport, console: Console) -> None:
    """The plan for a terminal; every string from a baseline or vCenter goes in as a ``Text``."""
    console.print(text(headline(report)))
    for issue in report.errors:
        console.print(text(f"  {issue}"))
    for c in report.changes:
        console.print(text(f"  {c.change:8} {c.section} {c.baseline}: {c.key}"))
    for exp in report.expectations:
        console.print(text(f"{exp.baseline}/{exp.id} ({exp.change}): {exp.kind} {exp.path}"))
        for group in exp.groups:
            console.print(text("  " + group_line(group, show) + ": " + ", ".join(group.names)))
    for item in report.newly_noncompliant:
        console.print(text(f"  newly non-compliant: {item.kind} {item.name} {item.path} = {show(item.old)}"))


def issues_text(issues: Sequence[BaselineIssue]) -> str:
    """One ``file:line:column: message`` per line (editors and CI annotate from it); a line break or escape
    sequence quoted from the file is shown as an escape, so each issue stays one line and the terminal safe."""
    return "".join(f"{visible(issue)}\n" for issue in issues)


def compliance_markdown(items: Sequence[DriftItem]) -> str:
    """Compliance drift as a Markdown table (``driftguard check`` appends it)."""
    return "\n".join(_items("Compliance drift", items, lambda rows: rows))


# --- `driftguard baseline ignored` (moved here from the CLI) -----------------------------------------------------
