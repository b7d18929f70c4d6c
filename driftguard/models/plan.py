"""The ``driftguard plan`` report (``driftguard.plan/v1``): what a pull request that edits baselines would ask of
vCenter, for reviewers (docs/baselines.md)."""

from __future__ import annotations

from typing import Any, Literal

from pydantic import Field

from driftguard.models.base import Model
from driftguard.models.drift import DriftItem, Endpoint, Severity
from driftguard.models.snapshot import Kind


class BaselineIssue(Model):
    """One validation error of a baseline file, located for editors and reviewers."""

    file: str
    line: int | None = None
    column: int | None = None
    message: str

    def __str__(self) -> str:
        where = self.file + (f":{self.line}" if self.line else "") + (f":{self.column}" if self.column else "")
        return f"{where}: {self.message}"


class BaselineChange(Model):
    """One expectation, ignore rule or rule setting added, removed or modified by the change under review."""

    baseline: str
    """The baseline file (name without ``.yaml``) the entry belongs to."""
    section: Literal["expectation", "ignore", "rules", "file"]
    key: str
    """Expectation id, ignore pattern, rule id, or the baseline name for a whole file."""
    change: Literal["added", "removed", "modified"]
    before: Any = None
    after: Any = None


class PlanObject(Model):
    """One selected object of a changed expectation: what it has and what the expectation asks."""

    vcenter: str
    kind: Kind
    id: str
    name: str
    path: str
    observed: Any = None
    target: Any = None
    """The value to set (``equals``), else a description (``one of [...]``, ``>= 2``, ``absent``)."""
    compliant: bool
    unknown: bool = False
    """The value could not be read in the snapshot: neither compliant nor drift."""


class PlanGroup(Model):
    """Selected objects with the same path, observed value and target: "x 10.0.0.1 → 10.0.0.2 on 14 clusters"."""

    path: str
    kind: Kind
    observed: Any = None
    target: Any = None
    compliant: bool
    count: int
    names: list[str] = []


class PlannedExpectation(Model):
    """A changed (added or modified) expectation as the head revision states it, evaluated on the snapshot."""

    baseline: str
    id: str
    change: Literal["added", "modified"]
    kind: Kind
    path: str
    expected: dict[str, Any]
    severity: Severity
    reason: str
    selected: int = 0
    """Objects the selector picks."""
    noncompliant: int = 0
    groups: list[PlanGroup] = []
    objects: list[PlanObject] = []


class PlanSummary(Model):
    valid: bool = True
    files_changed: int = 0
    changes: int = 0
    noncompliant_before: int = 0
    noncompliant_after: int = 0
    newly_noncompliant: int = 0
    resolved: int = 0


class PlanReport(Model):
    """The JSON contract of ``driftguard plan`` (``driftguard.plan/v1``)."""

    schema_: Literal["driftguard.plan/v1"] = Field(default="driftguard.plan/v1", alias="schema")
    base: Endpoint
    """The revision the change is reviewed against (its baselines and its latest snapshot)."""
    head: Endpoint
    """The revision under review, or ``worktree``."""
    snapshots: list[Endpoint] = []
    """The snapshot commit(s) the expectations were evaluated on (one per vCenter)."""
    errors: list[BaselineIssue] = []
    """Validation errors of the head's baselines; when present nothing else was evaluated."""
    changes: list[BaselineChange] = []
    expectations: list[PlannedExpectation] = []
    newly_noncompliant: list[DriftItem] = []
    """Compliance drift the head's baselines report and the base's do not."""
    resolved: list[DriftItem] = []
    """Compliance drift of the base that the head's baselines no longer report."""
    summary: PlanSummary = PlanSummary()

    model_config = {"extra": "forbid", "populate_by_name": True}


class IgnorePreview(Model):
    """What the baselines' ignore rules hide (``driftguard baseline ignored``, ``driftguard.ignored/v1``)."""

    schema_: Literal["driftguard.ignored/v1"] = Field(default="driftguard.ignored/v1", alias="schema")
    patterns: list[str] = []
    """Every ignore rule in force, in the order they apply: the baselines', driftguard.yaml's (or
    .driftguardignore's)."""
    sources: dict[str, str] = {}
    """Pattern → where it is written (``baseline <name>``, ``driftguard.yaml``, ``.driftguardignore``)."""
    compliance: list[DriftItem] = []
    """Violations of the latest snapshots that an ignore rule hides."""
    history: list[DriftItem] = []
    """History drift of each vCenter's last change that an ignore rule hides."""

    model_config = {"extra": "forbid", "populate_by_name": True}
