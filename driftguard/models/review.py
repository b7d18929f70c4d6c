"""The incident-review contracts: one object's change history (``driftguard.history/v1``) and what ignore rules
and exemptions left out of a report (docs/incident-review.md)."""

from __future__ import annotations

from typing import Literal

from pydantic import Field

from driftguard.models.base import Model
from driftguard.models.drift import DriftItem
from driftguard.models.snapshot import Kind
from driftguard.models.times import UtcTime

HISTORY_SCHEMA = "driftguard.history/v1"


class HistoryEntry(Model):
    """One field change of one object in one snapshot commit."""

    commit: str
    """The snapshot commit that recorded the change."""
    collected_at: UtcTime | None = None
    """When the collection that saw the new value finished."""
    item: DriftItem


class ObjectHistory(Model):
    """The JSON contract of ``driftguard history`` (``driftguard.history/v1``)."""

    schema_: Literal["driftguard.history/v1"] = Field(default="driftguard.history/v1", alias="schema")
    vcenter: str
    kind: Kind
    id: str
    names: list[str] = []
    """Every name the object had, oldest first (renames are followed by moref)."""
    entries: list[HistoryEntry] = []
    """Oldest first."""

    model_config = {"extra": "forbid", "populate_by_name": True}
