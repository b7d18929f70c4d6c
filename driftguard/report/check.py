"""Rendering of :class:`~driftguard.models.CheckReport` (``driftguard check``) and of the rule catalogue
(``driftguard rules``): text (Rich), JSON, Markdown and SARIF 2.1.0.

The report stage does not import the policy stage; rules are read through the :class:`RuleInfo` protocol.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from typing import Any, Literal, Protocol

from pydantic import BaseModel, ConfigDict, Field
from rich.console import Console
from rich.table import Table
from rich.text import Text

from driftguard import __version__
from driftguard.models import SEVERITIES, CheckReport, Finding, Severity
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
from driftguard.report.escape import lines, md_code, sarif, text
from driftguard.report.layout import Blocks, Column, token_safe_table

SARIF_SCHEMA = "https://json.schemastore.org/sarif-2.1.0.json"
SARIF_VERSION: Literal["2.1.0"] = "2.1.0"
INFORMATION_URI = "https://github.com/driftguard/driftguard"
RULES_DOC = "docs/rules.md"

SarifLevel = Literal["none", "note", "warning", "error"]
SARIF_LEVEL: dict[str, SarifLevel] = {
    "critical": "error",
    "high": "error",
    "medium": "warning",
    "low": "note",
    "info": "note",
}
SECURITY_SEVERITY = {"critical": "9.5", "high": "8.0", "medium": "5.5", "low": "3.0", "info": "1.0"}
"""GitHub code scanning ranks security results by ``properties.security-severity`` (a CVSS-like number)."""


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


# -- SARIF 2.1.0 --------------------------------------------------------------------------------------------


class _Sarif(BaseModel):
    model_config = ConfigDict(populate_by_name=True, extra="forbid")


class Message(_Sarif):
    text: str
    markdown: str | None = None


class ReportingConfiguration(_Sarif):
    level: SarifLevel


class ReportingDescriptor(_Sarif):
    id: str
    name: str
    short_description: Message = Field(alias="shortDescription")
    full_description: Message = Field(alias="fullDescription")
    help: Message
    help_uri: str | None = Field(default=None, alias="helpUri")
    default_configuration: ReportingConfiguration = Field(alias="defaultConfiguration")
    properties: dict[str, Any] = {}


class ToolComponent(_Sarif):
    name: str
    version: str
    semantic_version: str = Field(alias="semanticVersion")
    information_uri: str = Field(alias="informationUri")
    rules: list[ReportingDescriptor] = []


class Tool(_Sarif):
    driver: ToolComponent


class ArtifactLocation(_Sarif):
    uri: str


class PhysicalLocation(_Sarif):
    artifact_location: ArtifactLocation = Field(alias="artifactLocation")


class LogicalLocation(_Sarif):
    name: str
    fully_qualified_name: str = Field(alias="fullyQualifiedName")
    kind: str


class Location(_Sarif):
    physical_location: PhysicalLocation | None = Field(default=None, alias="physicalLocation")
    logical_locations: list[LogicalLocation] = Field(default=[], alias="logicalLocations")


class Result(_Sarif):
    rule_id: str = Field(alias="ruleId")
    rule_index: int = Field(alias="ruleIndex")
    level: SarifLevel
    message: Message
    locations: list[Location]
    partial_fingerprints: dict[str, str] = Field(alias="partialFingerprints")
    properties: dict[str, Any] = {}


class VersionControlDetails(_Sarif):
    repository_uri: str = Field(default="", alias="repositoryUri")
    revision_id: str = Field(alias="revisionId")


class Run(_Sarif):
    tool: Tool
    results: list[Result]
    version_control_provenance: list[VersionControlDetails] | None = Field(
        default=None, alias="versionControlProvenance"
    )
    properties: dict[str, Any] = {}


class SarifLog(_Sarif):
    schema_: str = Field(default=SARIF_SCHEMA, alias="$schema")
    version: Literal["2.1.0"] = SARIF_VERSION
    runs: list[Run]


FINGERPRINT_KEY = "driftguardFingerprint/v1"


def _descriptor(rule: RuleInfo) -> ReportingDescriptor:
    return ReportingDescriptor(
        id=rule.id,
        name=rule.name,
        short_description=Message(text=rule.title),
        full_description=Message(text=rule.description, markdown=rule.description),
        help=Message(text=f"{rule.title}\n\n{rule.description}", markdown=f"**{rule.title}**\n\n{rule.description}"),
        help_uri=f"{INFORMATION_URI}/blob/main/{RULES_DOC}#{rule.id.lower()}",
        default_configuration=ReportingConfiguration(level=SARIF_LEVEL[rule.severity]),
        properties={
            "tags": ["security", *rule.tags],
            "precision": "high",
            "security-severity": SECURITY_SEVERITY[rule.severity],
        },
    )


def _result(finding: Finding, index: int) -> Result:
    physical = PhysicalLocation(artifact_location=ArtifactLocation(uri=finding.location)) if finding.location else None
    logical = LogicalLocation(
        name=finding.name,
        fully_qualified_name=f"{finding.vcenter}/{finding.kind}/{finding.id}"
        + (f"/{finding.path}" if finding.path else ""),
        kind=finding.kind,
    )
    return Result(
        rule_id=finding.rule_id,
        rule_index=index,
        level=SARIF_LEVEL[finding.severity],
        message=Message(text=sarif(finding.message)),
        locations=[Location(physical_location=physical, logical_locations=[logical])],
        partial_fingerprints={FINGERPRINT_KEY: finding.fingerprint},
        properties={
            "severity": finding.severity,
            "security-severity": SECURITY_SEVERITY[finding.severity],
            "object": {"vcenter": finding.vcenter, "kind": finding.kind, "id": finding.id, "name": finding.name},
            **({"path": finding.path} if finding.path else {}),
            **({"related": finding.related} if finding.related else {}),
            **({"evidence": finding.evidence} if finding.evidence else {}),
        },
    )


def check_sarif(report: CheckReport, rules: Sequence[RuleInfo]) -> str:
    """SARIF 2.1.0: ``tool.driver.rules`` from the rule docstrings, one result per finding, located at the
    object's file in the state repo, with the finding's stable fingerprint in ``partialFingerprints``."""
    descriptors = [_descriptor(r) for r in rules]
    index = {d.id: i for i, d in enumerate(descriptors)}
    for finding in report.findings:
        # A finding from a rule not in the catalogue given (a baseline, say) still needs a descriptor.
        if finding.rule_id not in index:
            index[finding.rule_id] = len(descriptors)
            descriptors.append(
                ReportingDescriptor(
                    id=finding.rule_id,
                    name=finding.rule_name,
                    short_description=Message(text=sarif(finding.rule_name)),
                    full_description=Message(text=sarif(finding.rule_name)),
                    help=Message(text=sarif(finding.rule_name)),
                    default_configuration=ReportingConfiguration(level=SARIF_LEVEL[finding.severity]),
                )
            )
    results = [_result(f, index[f.rule_id]) for f in report.findings]
    provenance = None
    if report.target.ref != "live":
        provenance = [VersionControlDetails(revision_id=report.target.ref)]
    run = Run(
        tool=Tool(
            driver=ToolComponent(
                name="driftguard",
                version=__version__,
                semantic_version=__version__,
                information_uri=INFORMATION_URI,
                rules=descriptors,
            )
        ),
        results=results,
        version_control_provenance=provenance,
        properties={"target": report.target.model_dump(mode="json"), "summary": report.summary.model_dump()},
    )
    log = SarifLog(runs=[run])
    return log.model_dump_json(by_alias=True, exclude_none=True, indent=2) + "\n"


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
