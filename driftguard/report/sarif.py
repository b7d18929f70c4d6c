"""SARIF 2.1.0 of :class:`~driftguard.models.CheckReport` (``driftguard check --format sarif``), for GitHub code
scanning and other SARIF consumers.

The report stage does not import the policy stage; rules are read through the :class:`RuleInfo` protocol.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

from driftguard import __version__
from driftguard.models import CheckReport, Finding
from driftguard.report.check import RuleInfo
from driftguard.report.escape import sarif

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
