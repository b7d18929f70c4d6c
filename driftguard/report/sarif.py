"""SARIF 2.1.0 of :class:`~driftguard.models.CheckReport` (``driftguard check --format sarif``), for GitHub code
scanning and other SARIF consumers (docs/output-formats.md, "SARIF").

- One run per vCenter: ``automationDetails.id`` is ``driftguard/<vcenter>/``, so GitHub keeps one analysis (one
  category) per vCenter; ``versionControlProvenance`` names the state repo's remote and the checked commit.
- A result's identity is its object's moref, never its name or cluster: ``partialFingerprints`` (GitHub reads only
  ``primaryLocationLineHash``) is the finding's fingerprint (rule, vCenter, kind, moref, path) and the logical
  location is ``<vcenter>/<kind>/<moref>``. The physical location is the object's file, which is named for people
  and moves on a rename; GitHub matches alerts by the fingerprint, so the alert stays open and follows the file.
- The physical location's URI is percent-encoded (RFC 3986) and its region is the line of the finding's path in
  that file (:class:`~driftguard.models.findings.Region`, computed by the api from the file's canonical bytes).
- Every rule, built-in or from a baseline, carries the metadata GitHub shows: short and full description (at most
  1,024 characters each), help, default level and ``security-severity``.
- At most :data:`MAX_RESULTS` results (GitHub rejects more), most severe first; the rest are counted.

The report stage does not import the policy stage; rules are read through the :class:`RuleInfo` protocol.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, Literal
from urllib.parse import quote

from pydantic import BaseModel, ConfigDict, Field

from driftguard import __version__
from driftguard.models import SEVERITIES, CheckReport, DriftItem, Finding
from driftguard.report.check import RuleInfo
from driftguard.report.escape import md, md_code, sarif, visible

SARIF_SCHEMA = "https://json.schemastore.org/sarif-2.1.0.json"
SARIF_VERSION: Literal["2.1.0"] = "2.1.0"
INFORMATION_URI = "https://github.com/driftguard/driftguard"
RULES_DOC = "docs/rules.md"
BASELINES_DOC = "docs/baselines.md"
MAX_RESULTS = 25_000
"""GitHub rejects a run with more results ("SARIF support for code scanning", limits)."""
MAX_DESCRIPTION = 1_024
"""GitHub's limit on ``shortDescription.text`` and ``fullDescription.text``."""
FINGERPRINT_KEY = "driftguardFingerprint/v1"

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


class Region(_Sarif):
    start_line: int = Field(alias="startLine")
    start_column: int = Field(alias="startColumn")
    end_line: int = Field(alias="endLine")
    end_column: int = Field(alias="endColumn")


class PhysicalLocation(_Sarif):
    artifact_location: ArtifactLocation = Field(alias="artifactLocation")
    region: Region | None = None


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
    repository_uri: str = Field(alias="repositoryUri")
    revision_id: str | None = Field(default=None, alias="revisionId")


class RunAutomationDetails(_Sarif):
    id: str


class Notification(_Sarif):
    level: SarifLevel
    message: Message


class Invocation(_Sarif):
    execution_successful: bool = Field(alias="executionSuccessful")
    tool_execution_notifications: list[Notification] = Field(default=[], alias="toolExecutionNotifications")


class Run(_Sarif):
    tool: Tool
    automation_details: RunAutomationDetails | None = Field(default=None, alias="automationDetails")
    version_control_provenance: list[VersionControlDetails] | None = Field(
        default=None, alias="versionControlProvenance"
    )
    column_kind: Literal["unicodeCodePoints"] = Field(default="unicodeCodePoints", alias="columnKind")
    invocations: list[Invocation] | None = None
    results: list[Result]
    properties: dict[str, Any] = {}


class SarifLog(_Sarif):
    schema_: str = Field(default=SARIF_SCHEMA, alias="$schema")
    version: Literal["2.1.0"] = SARIF_VERSION
    runs: list[Run]


def _cap(text: str, limit: int = MAX_DESCRIPTION) -> str:
    """``text`` cut at a word boundary to at most ``limit`` characters (the full text stays in ``help``)."""
    if len(text) <= limit:
        return text
    cut = text[: limit - 1].rsplit(" ", 1)[0]
    return cut + "\u2026"


def _descriptor(rule: RuleInfo) -> ReportingDescriptor:
    return ReportingDescriptor(
        id=rule.id,
        name=rule.name,
        short_description=Message(text=_cap(rule.title)),
        full_description=Message(text=_cap(rule.description), markdown=rule.description),
        help=Message(text=f"{rule.title}\n\n{rule.description}", markdown=f"**{rule.title}**\n\n{rule.description}"),
        help_uri=f"{INFORMATION_URI}/blob/main/{RULES_DOC}#{rule.id.lower()}",
        default_configuration=ReportingConfiguration(level=SARIF_LEVEL[rule.severity]),
        properties={
            "tags": ["security", *rule.tags],
            "precision": "high",
            "security-severity": SECURITY_SEVERITY[rule.severity],
        },
    )


def _baseline_descriptor(finding: Finding, item: DriftItem | None) -> ReportingDescriptor:
    """A rule from a baseline expectation (``baseline/<baseline>/<expectation>``): described by its reason, the
    expected value and where to change it, from the compliance item the finding came with."""
    parts = finding.rule_id.split("/")
    baseline = item.baseline if item is not None and item.baseline else (parts[1] if len(parts) == 3 else "?")
    reason = item.reason if item is not None and item.reason else finding.message
    expected = item.expected if item is not None and item.expected else finding.evidence.get("expected")
    shown = ", ".join(f"{check} {value!r}" for check, value in (expected or {}).items()) or "a value"
    source = finding.evidence.get("source")
    file = f"baselines/{baseline}.yaml"
    full = f"Baseline {baseline}, expectation {finding.rule_name}: {finding.path or 'the object'} must be {shown}. "
    full += reason + (f" Source: {source}." if source else "")
    fix = f"Set the value in vCenter, or change the expectation in {file} through a pull request."
    markdown = (
        f"**{md(reason)}**\n\nBaseline {md_code(baseline, table=False)}, expectation "
        f"{md_code(finding.rule_name, table=False)}: {md_code(finding.path or '', table=False)} must be {md(shown)}."
        + (f" Source: {md(source)}." if source else "")
        + f"\n\nSet the value in vCenter, or change the expectation in {md_code(file, table=False)} through a pull "
        "request."
    )
    return ReportingDescriptor(
        id=finding.rule_id,
        name=finding.rule_name,
        short_description=Message(text=_cap(visible(reason))),
        full_description=Message(text=_cap(visible(full))),
        help=Message(text=visible(f"{full}\n\n{fix}"), markdown=markdown),
        help_uri=f"{INFORMATION_URI}/blob/main/{BASELINES_DOC}",
        default_configuration=ReportingConfiguration(level=SARIF_LEVEL[finding.severity]),
        properties={
            "tags": ["security", "baseline", "compliance"],
            "precision": "very-high",
            "security-severity": SECURITY_SEVERITY[finding.severity],
        },
    )


def _uri(location: str) -> str:
    """A repo path as an RFC 3986 relative reference: every byte outside unreserved characters and ``/`` is
    percent-encoded, so a file name holding a literal ``%2F`` stays one segment (``%252F``)."""
    return quote(location, safe="/")


def _result(finding: Finding, index: int) -> Result:
    physical = None
    if finding.location:
        region = None
        if finding.region is not None:
            region = Region(
                start_line=finding.region.start_line,
                start_column=finding.region.start_column,
                end_line=finding.region.end_line,
                end_column=finding.region.end_column,
            )
        physical = PhysicalLocation(artifact_location=ArtifactLocation(uri=_uri(finding.location)), region=region)
    logical = LogicalLocation(
        name=finding.id, fully_qualified_name=f"{finding.vcenter}/{finding.kind}/{finding.id}", kind="resource"
    )
    return Result(
        rule_id=finding.rule_id,
        rule_index=index,
        level=SARIF_LEVEL[finding.severity],
        message=Message(text=sarif(finding.message)),
        locations=[Location(physical_location=physical, logical_locations=[logical])],
        partial_fingerprints={
            "primaryLocationLineHash": f"{finding.fingerprint}:1",
            FINGERPRINT_KEY: finding.fingerprint,
        },
        properties={
            "severity": finding.severity,
            "security-severity": SECURITY_SEVERITY[finding.severity],
            "object": {"vcenter": finding.vcenter, "kind": finding.kind, "id": finding.id, "name": finding.name},
            **({"path": finding.path} if finding.path else {}),
            **({"related": finding.related} if finding.related else {}),
            **({"evidence": finding.evidence} if finding.evidence else {}),
        },
    )


def _descriptors(report: CheckReport, rules: Sequence[RuleInfo]) -> list[ReportingDescriptor]:
    """The catalogue's rules, then one per baseline expectation (or unknown rule) that a finding names."""
    descriptors = [_descriptor(r) for r in rules]
    known = {d.id for d in descriptors}
    items = {(i.baseline, i.kind, i.id, i.path): i for i in report.compliance}
    for finding in report.findings:
        if finding.rule_id in known:
            continue
        known.add(finding.rule_id)
        baseline = finding.rule_id.split("/")[1] if finding.rule_id.count("/") == 2 else None
        item = items.get((baseline, finding.kind, finding.id, finding.path or ""))
        descriptors.append(_baseline_descriptor(finding, item))
    return descriptors


def _kept(findings: Sequence[Finding], limit: int) -> list[Finding]:
    if len(findings) <= limit:
        return list(findings)
    rank = {severity: i for i, severity in enumerate(reversed(SEVERITIES))}
    return sorted(findings, key=lambda f: rank.get(f.severity, len(rank)))[:limit]


def check_sarif(
    report: CheckReport,
    rules: Sequence[RuleInfo],
    *,
    repository_uri: str | None = None,
    max_results: int = MAX_RESULTS,
) -> str:
    """SARIF 2.1.0, one run: ``tool.driver.rules`` from the rule docstrings and the baselines, one result per finding
    (at most ``max_results``, most severe first), located at the object's file and line in the state repo and
    identified by moref. ``repository_uri`` is the state repo's remote (:func:`driftguard.api.repository_uri`)."""
    descriptors = _descriptors(report, rules)
    index = {d.id: i for i, d in enumerate(descriptors)}
    kept = _kept(report.findings, max_results)
    omitted = len(report.findings) - len(kept)
    provenance = None
    if repository_uri:
        revision = None if report.target.ref == "live" else report.target.ref
        provenance = [VersionControlDetails(repository_uri=repository_uri, revision_id=revision)]
    vcenter = report.vcenter or next((f.vcenter for f in report.findings), None)
    invocations = None
    if omitted:
        text = (
            f"{omitted} of {len(report.findings)} results left out (GitHub code scanning accepts at most "
            f"{max_results} per run); the JSON output has them all"
        )
        invocations = [
            Invocation(
                execution_successful=True,
                tool_execution_notifications=[Notification(level="warning", message=Message(text=text))],
            )
        ]
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
        automation_details=RunAutomationDetails(id=f"driftguard/{vcenter}/") if vcenter else None,
        version_control_provenance=provenance,
        invocations=invocations,
        results=[_result(f, index[f.rule_id]) for f in kept],
        properties={
            "target": report.target.model_dump(mode="json"),
            "summary": report.summary.model_dump(),
            **({"omitted": omitted} if omitted else {}),
        },
    )
    log = SarifLog(runs=[run])
    return log.model_dump_json(by_alias=True, exclude_none=True, indent=2) + "\n"
