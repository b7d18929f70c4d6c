"""Rendering of :class:`~driftguard.models.CheckReport` (``driftguard check``) and of the rule catalogue
(``driftguard rules``): text (Rich), JSON and Markdown; SARIF 2.1.0 is :mod:`driftguard.report.sarif`.

The report stage does not import the policy stage; rules are read through the :class:`RuleInfo` protocol.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from typing import Any, Protocol

from rich.console import Console
from rich.table import Table
from rich.text import Text

from driftguard.models import SEVERITIES, CheckReport, Severity
from driftguard.report._util import (
    COMMENT_LIMIT,
    RowCap,
    exempted_line,
    fit_markdown,
    hidden_line,
    md_escape,
    truncation_note,
)
from driftguard.report.diff import SEVERITY_STYLE, when
from driftguard.report.escape import lines, md_code, text
from driftguard.report.layout import Blocks, Column, token_safe_table


class RuleInfo(Protocol):
    """What a formatter needs of a rule (satisfied by ``driftguard.policy.Rule``)."""

    @property
    def id(self) -> str: ...
    @property
    def name(self) -> str: ...
    @property
    def severity(self) -> Severity: ...
    @property
    def tags(self) -> tuple[str, ...]: ...
    @property
    def title(self) -> str: ...
    @property
    def description(self) -> str: ...


# -- check report -------------------------------------------------------------------------------------------


def check_json(report: CheckReport) -> str:
    """The stable ``driftguard.check/v1`` JSON document (each finding with its fingerprint)."""
    return report.model_dump_json(by_alias=True, indent=2) + "\n"


def summary_line(report: CheckReport) -> str:
    s = report.summary
    if not s.findings:
        return "no findings"
    parts = [f"{s.by_severity[sev]} {sev}" for sev in reversed(SEVERITIES) if s.by_severity.get(sev)]
    return f"{s.findings} finding{'s' if s.findings != 1 else ''}: {', '.join(parts)}"


def _target(report: CheckReport) -> str:
    ref = report.target.ref if report.target.ref == "live" else report.target.ref[:10]
    return f"{ref} ({when(report.target.collected_at)})" if report.target.collected_at else ref


_COLUMNS = (Column("severity", no_wrap=True), Column("rule"), Column("object"), Column("finding"))


def check_text(report: CheckReport, console: Console) -> None:
    """One entry per finding, most severe first: a table whose columns fit their longest word at
    :data:`~driftguard.report.layout.TABLE_MIN_WIDTH` columns or more, one block per finding when narrower."""
    console.print(text(f"check {_target(report)}", style="bold"))
    for line in (hidden_line(report, "finding"), exempted_line(report)):
        if line:
            console.print(text(line, style="yellow"))
    if not report.findings:
        console.print(Text("no findings"))
        return
    rows = [
        [
            Text(f.severity, style=SEVERITY_STYLE.get(f.severity, "")),
            lines(f.rule_id, f.rule_name),
            text(f"{f.kind} {f.name}"),
            text(f.message),
        ]
        for f in report.findings
    ]
    table = token_safe_table(_COLUMNS, rows, console.width)
    if table is not None:
        console.print(table)
    else:
        blocks = Blocks(console)
        for f in report.findings:
            head = Text(f.severity, style=SEVERITY_STYLE.get(f.severity, ""))
            head.append(" ")
            head.append(text(f"{f.rule_id} {f.rule_name}"))
            blocks.add(head)
            blocks.add(text(f"{f.kind} {f.name} ({f.id})", style="bold"), 2)
            blocks.add(text(f.message), 2)
        blocks.print()
    console.print(Text(summary_line(report)))


def statistics(report: CheckReport) -> list[tuple[str, str, str, int]]:
    """(rule id, rule name, severity, findings) per rule, most findings first (``check --statistics``)."""
    counts: dict[tuple[str, str, str], int] = {}
    for f in report.findings:
        key = (f.rule_id, f.rule_name, f.severity)
        counts[key] = counts.get(key, 0) + 1
    ranked = sorted(counts.items(), key=lambda kv: (-kv[1], -SEVERITIES.index(kv[0][2]), kv[0][0]))
    return [(rule, name, severity, n) for (rule, name, severity), n in ranked]


def check_statistics_text(report: CheckReport, console: Console) -> None:
    """Per-rule counts, like ``ruff --statistics``: count, rule id, severity, rule name."""
    console.print(text(f"check {_target(report)}", style="bold"))
    hidden = hidden_line(report, "finding")
    if hidden:
        console.print(text(hidden, style="yellow"))
    stats = statistics(report)
    width = max((len(str(n)) for *_, n in stats), default=1)
    rule_width = max((len(rule) for rule, *_ in stats), default=0)
    for rule, name, severity, n in stats:
        line = Text(f"{n:>{width}}  ")
        line.append(text(f"{rule:<{rule_width}}"))
        line.append("  ")
        line.append(f"{severity:<8}", style=SEVERITY_STYLE.get(severity, ""))
        line.append(" ")
        line.append(text(name))
        console.print(line)
    console.print(Text(summary_line(report)))


def check_statistics_markdown(report: CheckReport) -> str:
    """Per-rule counts as a Markdown table."""
    out = [f"### driftguard check {md_escape(_target(report))}", "", f"**{summary_line(report)}**", ""]
    hidden = hidden_line(report, "finding")
    if hidden:
        out += [md_escape(hidden), ""]
    stats = statistics(report)
    if stats:
        out += ["| findings | rule | severity | name |", "|---:|---|---|---|"]
        out += [f"| {n} | {md_code(rule)} | {severity} | {md_escape(name)} |" for rule, name, severity, n in stats]
    return "\n".join(out) + "\n"


def check_markdown(
    report: CheckReport,
    *,
    limit: int = COMMENT_LIMIT,
    where: str = "The full report is in `driftguard check --format json` (or `--format sarif`).",
) -> str:
    """GitHub-flavoured Markdown: heading, summary, one table row per finding; under ``limit`` characters
    (fewer rows until it fits, saying ``where`` the rest is)."""
    return fit_markdown(lambda take: _markdown(report, take, limit, where), limit=limit, where=where)


def _markdown(report: CheckReport, take: RowCap, limit: int, where: str) -> str:
    lines = [f"### driftguard check {md_escape(_target(report))}", "", f"**{summary_line(report)}**", ""]
    lines += [md_escape(line) + "\n" for line in (hidden_line(report, "finding"), exempted_line(report)) if line]
    if report.findings:
        lines += ["| severity | rule | object | finding |", "|---|---|---|---|"]
        for f in take(report.findings):
            cells = [
                f.severity,
                f"{md_code(f.rule_id)} {md_escape(f.rule_name)}",
                f"{f.kind} {md_code(f.name)}",
                md_escape(f.message),
            ]
            lines.append("| " + " | ".join(cells) + " |")
    if take.left_out:
        lines += ["", truncation_note(take.left_out, limit, where)]
    return "\n".join(lines) + "\n"


# -- rule catalogue -----------------------------------------------------------------------------------------


def rules_text(rules: Sequence[RuleInfo], console: Console) -> None:
    table = Table(expand=False)
    for column in ("id", "name", "severity", "title"):
        table.add_column(column, overflow="fold")
    for r in rules:
        table.add_row(
            text(r.id), text(r.name), Text(r.severity, style=SEVERITY_STYLE.get(r.severity, "")), text(r.title)
        )
    console.print(table)


def rules_json(rules: Sequence[RuleInfo], params: dict[str, dict[str, Any]] | None = None) -> str:
    """The catalogue as JSON; ``params`` maps a rule id to its parameters' JSON Schema."""
    doc = {
        "schema": "driftguard.rules/v1",
        "rules": [
            {
                "id": r.id,
                "name": r.name,
                "severity": r.severity,
                "tags": list(r.tags),
                "title": r.title,
                "description": r.description,
                **({"params": params[r.id]} if params and r.id in params else {}),
            }
            for r in rules
        ],
    }
    return json.dumps(doc, indent=2, ensure_ascii=False) + "\n"


def rule_show(rule: RuleInfo, defaults: dict[str, Any] | None = None) -> str:
    """``driftguard rules show ID``: the docstring as Markdown, with the parameters' defaults."""
    lines = [f"{rule.id} {rule.name} ({rule.severity})", "", rule.title, "", rule.description]
    if defaults:
        lines += ["", "Parameters (defaults):"]
        lines += [f"  {key}: {json.dumps(value)}" for key, value in defaults.items()]
    return "\n".join(lines) + "\n"


def rules_markdown(rules: Sequence[RuleInfo], defaults: dict[str, dict[str, Any]] | None = None) -> str:
    """The whole catalogue as one Markdown document: ``docs/rules.md`` is exactly this (a test checks it)."""
    lines = [
        "# driftguard rule catalogue",
        "",
        "<!-- Generated from the rule docstrings: `driftguard rules list --format markdown > docs/rules.md`. -->",
        "",
        "Rules of `driftguard check`, from the seed chapter (*VMware Clustering and Security*, Chapter 5).",
        "Each rule's documentation is its class docstring (`driftguard rules show ID`).",
        "",
        "| id | name | severity | title |",
        "|---|---|---|---|",
    ]
    lines += [f"| [{r.id}](#{r.id.lower()}) | `{r.name}` | {r.severity} | {md_escape(r.title)} |" for r in rules]
    for r in rules:
        tags = ", ".join(f"`{t}`" for t in r.tags)
        lines += ["", f"## {r.id}", "", f"**{r.title}**", "", f"`{r.name}` · severity **{r.severity}** · {tags}"]
        lines += ["", r.description]
        params = (defaults or {}).get(r.id)
        if params:
            lines += ["", "Parameters (defaults):", ""]
            lines += [f"- `{key}`: `{json.dumps(value)}`" for key, value in params.items()]
    return "\n".join(lines) + "\n"
