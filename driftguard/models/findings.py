"""Findings: violated rules of the policy catalogue (and of baselines), and the ``driftguard check`` report."""

from __future__ import annotations

import hashlib
import json
from typing import Any, Literal, NotRequired

from pydantic import Field, SerializerFunctionWrapHandler, computed_field, model_serializer, model_validator
from typing_extensions import TypedDict

from driftguard.models.base import Model
from driftguard.models.config import Exemption
from driftguard.models.drift import DriftItem, Endpoint, Severity
from driftguard.models.snapshot import Kind
from driftguard.models.suppression import Suppressed


class Finding(Model):
    """One violated rule on one object (or on a group of objects, listed in ``related``)."""

    rule_id: str
    """Stable rule id, e.g. ``DG-VMOTION-001``."""
    rule_name: str
    """Slug, e.g. ``vmotion-blockers``."""
    severity: Severity
    message: str
    """One sentence for people: "web01 cannot vMotion: CD-ROM connected to host device; serial port on /dev/ttyS0"."""
    vcenter: str
    kind: Kind
    id: str
    """Object id (moref) the finding is about."""
    name: str
    path: str | None = None
    """Canonical path the finding points at, when there is one."""
    evidence: dict[str, Any] = {}
    related: list[str] = []
    """Other object ids involved (the production VMs a DMZ VM would restart next to, ...)."""
    location: str | None = None
    """The object's file in the state repo, for SARIF locations."""
    source: Literal["rule", "baseline"] = "rule"

    @model_validator(mode="before")
    @classmethod
    def _drop_derived(cls, data: Any) -> Any:
        # ``fingerprint`` is written with every finding but derived, never read: a report loads back unchanged.
        if isinstance(data, dict) and "fingerprint" in data:
            data = {k: v for k, v in data.items() if k != "fingerprint"}
        return data

    @computed_field  # type: ignore[prop-decorator]
    @property
    def fingerprint(self) -> str:
        """Stable across runs: rule, vCenter, object and path, never the message text or the evidence values."""
        key = json.dumps([self.rule_id, self.vcenter, self.kind, self.id, self.path or ""], ensure_ascii=False)
        return hashlib.sha256(key.encode("utf-8")).hexdigest()[:32]


class CheckSummaryJson(TypedDict):
    """``summary`` of ``driftguard.check/v1`` as written."""

    findings: int
    by_severity: dict[str, int]
    exempted: NotRequired[int]
    expired_exemptions: NotRequired[int]


class CheckSummary(Model):
    findings: int = 0
    by_severity: dict[str, int] = {}
    exempted: int = 0
    """Findings an exemption of driftguard.yaml accepts (listed in ``exempted``, not in ``findings``)."""
    expired_exemptions: int = 0
    """Findings reported again because the exemption that covered them has expired."""

    @model_serializer(mode="wrap")
    def _counts_when_used(self, handler: SerializerFunctionWrapHandler) -> CheckSummaryJson:
        # the exemption counts appear when exemptions are used: a report without them reads as it always did
        data: CheckSummaryJson = handler(self)
        for key in ("exempted", "expired_exemptions"):
            if not data.get(key):
                data.pop(key, None)  # type: ignore[misc]
        return data


class ExemptedFinding(Model):
    """A finding and the exemption (driftguard.yaml ``exemptions``) that covers it, or covered it until it expired."""

    finding: Finding
    exemption: Exemption


class CheckReport(Model):
    """The JSON contract of ``driftguard check`` (``driftguard.check/v1``)."""

    schema_: Literal["driftguard.check/v1"] = Field(default="driftguard.check/v1", alias="schema")
    target: Endpoint
    findings: list[Finding] = []
    summary: CheckSummary = CheckSummary()
    compliance: list[DriftItem] = []
    """Baseline violations in the ``diff`` item shape plus ``baseline``, ``expected``, ``reason`` (each is also a
    finding with ``source: baseline``)."""
    exempted: list[ExemptedFinding] = []
    """Findings an active exemption accepts: not in ``findings``, never silently dropped."""
    expired_exemptions: list[ExemptedFinding] = []
    """Findings whose exemption has expired: in ``findings`` again, and here with the exemption that expired."""
    suppressed: Suppressed = Suppressed()
    """The drift items ignore rules hid from the rules' view of the drift, and which rules."""

    model_config = {"extra": "forbid", "populate_by_name": True}

    @staticmethod
    def summarize(findings: list[Finding]) -> CheckSummary:
        by_severity: dict[str, int] = {}
        for f in findings:
            by_severity[f.severity] = by_severity.get(f.severity, 0) + 1
        return CheckSummary(findings=len(findings), by_severity=dict(sorted(by_severity.items())))
