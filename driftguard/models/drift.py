"""Drift items and the ``driftguard.diff/v1`` report contract (design.md, "Outputs")."""

from __future__ import annotations

from typing import Any, Literal

from pydantic import Field

from driftguard.models.base import Model
from driftguard.models.snapshot import Kind
from driftguard.models.suppression import Suppressed
from driftguard.models.times import MaybeTime, UtcTime

Change = Literal["added", "removed", "modified", "renamed"]
Severity = Literal["info", "low", "medium", "high", "critical"]
SEVERITIES: tuple[Severity, ...] = ("info", "low", "medium", "high", "critical")
AttributionStatus = Literal["attributed", "unattributed", "unknown"]
Confidence = Literal["exact", "likely"]


class Candidate(Model):
    """One event or task that may explain a drift item."""

    source: Literal["event", "task"] = "event"
    confidence: Confidence
    user: str | None = None
    time: UtcTime | None = None
    event_type: str
    """Event class name / ``eventTypeId``, or the task's ``descriptionId``."""
    event_key: int | str | None = None
    chain_id: int | None = None
    message: str | None = None


class Attribution(Model):
    """Who changed it and when, from vCenter's own history; the best candidate is copied to the top level."""

    status: AttributionStatus
    confidence: Confidence | None = None
    user: str | None = None
    time: UtcTime | None = None
    event_type: str | None = None
    event_key: int | str | None = None
    chain_id: int | None = None
    reason: str | None = None
    """Why the status is unattributed/unknown (no candidate event; history purged ...)."""
    candidates: list[Candidate] = []


class DriftItem(Model):
    """One difference on one path of one object."""

    vcenter: str
    kind: Kind
    id: str
    name: str
    change: Change
    path: str
    """Readable canonical path, e.g. ``network.portgroups["DMZ"].vlan_id``; empty for whole-object changes."""
    old: Any = None
    new: Any = None
    category: str
    severity: Severity
    attribution: Attribution | None = None
    # Baselines (docs/baselines.md). History drift: whether the new value is what the baselines in force at the
    # newer snapshot's commit expect. Compliance drift (`check`, `plan`): the expectation the value violates.
    approved: bool | None = None
    """History drift: True when a baseline in force asked for the new value, False otherwise; None when
    baselines were not consulted (compliance items, diffs read without a state repo)."""
    baseline: str | None = None
    """The baseline (file name without ``.yaml``) whose expectation approves the new value, or is violated."""
    approved_commit: str | None = None
    """The last commit that touched that baseline's file; None for a baseline shipped with driftguard."""
    expected: dict[str, Any] | None = None
    """The expectation: ``{"equals": "10.0.0.1"}``, ``{"min": 2}``, ``{"one_of": [...]}``, ``{"absent": true}``."""
    reason: str | None = None
    """Why the baseline asks for it (the expectation's ``reason``)."""


class Endpoint(Model):
    ref: str
    """A commit sha, or ``live``."""
    collected_at: MaybeTime = None


class Summary(Model):
    items: int = 0
    objects: int = 0
    attributed: int = 0
    unattributed: int = 0
    unknown: int = 0
    approved: int = 0
    """Items whose new value a baseline in force asks for."""
    unapproved: int = 0
    """Items checked against the baselines that no expectation approves."""


class DiffReport(Model):
    """The JSON contract of ``driftguard diff`` (``driftguard.diff/v1``)."""

    schema_: Literal["driftguard.diff/v1"] = Field(default="driftguard.diff/v1", alias="schema")
    from_: Endpoint = Field(alias="from")
    to: Endpoint
    items: list[DriftItem] = []
    summary: Summary = Summary()
    suppressed: Suppressed = Suppressed()
    """The items ignore rules hid, and which rules (docs/incident-review.md)."""

    model_config = {"extra": "forbid", "populate_by_name": True}

    @staticmethod
    def summarize(items: list[DriftItem]) -> Summary:
        statuses = [i.attribution.status if i.attribution else "unknown" for i in items]
        return Summary(
            items=len(items),
            objects=len({(i.vcenter, i.kind, i.id) for i in items}),
            attributed=statuses.count("attributed"),
            unattributed=statuses.count("unattributed"),
            unknown=statuses.count("unknown"),
            approved=sum(1 for i in items if i.approved is True),
            unapproved=sum(1 for i in items if i.approved is False),
        )


class LogEntry(Model):
    """One snapshot commit in the state repo's history (``driftguard log``)."""

    commit: str
    vcenter: str
    committed_at: UtcTime
    collected_at: MaybeTime = None
    subject: str
    summary: Summary | None = None
    """Drift against the previous snapshot, from the commit's trailer; None for the first snapshot."""
