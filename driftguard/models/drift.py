"""Drift items and the ``driftguard.diff/v1`` report contract (design.md, "Outputs")."""

from __future__ import annotations

from typing import Any, Literal

from pydantic import Field

from driftguard.models.base import Model

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
    time: str | None = None
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
    time: str | None = None
    event_type: str | None = None
    event_key: int | str | None = None
    chain_id: int | None = None
    reason: str | None = None
    """Why the status is unattributed/unknown (no candidate event; history purged ...)."""
    candidates: list[Candidate] = []


class DriftItem(Model):
    """One difference on one path of one object."""

    vcenter: str
    kind: str
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


class Endpoint(Model):
    ref: str
    """A commit sha, or ``live``."""
    collected_at: str | None = None


class Summary(Model):
    items: int = 0
    objects: int = 0
    attributed: int = 0
    unattributed: int = 0
    unknown: int = 0


class DiffReport(Model):
    """The JSON contract of ``driftguard diff`` (``driftguard.diff/v1``)."""

    schema_: Literal["driftguard.diff/v1"] = Field(default="driftguard.diff/v1", alias="schema")
    from_: Endpoint = Field(alias="from")
    to: Endpoint
    items: list[DriftItem] = []
    summary: Summary = Summary()

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
        )


class LogEntry(Model):
    """One snapshot commit in the state repo's history (``driftguard log``)."""

    commit: str
    vcenter: str
    committed_at: str
    collected_at: str | None = None
    subject: str
    summary: Summary | None = None
    """Drift against the previous snapshot, from the commit's trailer; None for the first snapshot."""
