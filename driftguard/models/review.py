"""The incident-review contracts: one object's change history (``driftguard.history/v1``) and what ignore rules
and exemptions left out of a report (docs/incident-review.md)."""

from __future__ import annotations

from typing import Any, Literal

from pydantic import Field

from driftguard.models.base import Model
from driftguard.models.drift import DriftItem
from driftguard.models.findings import Finding
from driftguard.models.snapshot import Kind
from driftguard.models.suppression import Suppressed
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
    suppressed: Suppressed = Suppressed()
    """The changes of this object that ignore rules hid, and which rules."""

    model_config = {"extra": "forbid", "populate_by_name": True}


class StoredObject(Model):
    """The JSON contract of ``driftguard show`` (``driftguard.object/v1``): one object as stored at a commit."""

    schema_: Literal["driftguard.object/v1"] = Field(default="driftguard.object/v1", alias="schema")
    vcenter: str
    kind: Kind
    id: str
    name: str
    commit: str
    """The snapshot commit in force at the time asked for."""
    collected_at: UtcTime | None = None
    file: str
    """The object's file in the state repo."""
    object: dict[str, Any]
    """The canonical JSON of the object, as in the file."""

    model_config = {"extra": "forbid", "populate_by_name": True}


# --- --format jsonl: one self-describing JSON object per line ------------------------------------------------


class DiffItemLine(DriftItem):
    """One line of ``diff --format jsonl`` (``driftguard.diff-item/v1``): a drift item and its two commits."""

    schema_: Literal["driftguard.diff-item/v1"] = Field(default="driftguard.diff-item/v1", alias="schema")
    from_: str = Field(alias="from")
    to: str

    model_config = {"extra": "forbid", "populate_by_name": True}


class HistoryEntryLine(DriftItem):
    """One line of ``history --format jsonl`` (``driftguard.history-entry/v1``): a change and its commit."""

    schema_: Literal["driftguard.history-entry/v1"] = Field(default="driftguard.history-entry/v1", alias="schema")
    commit: str
    collected_at: UtcTime | None = None

    model_config = {"extra": "forbid", "populate_by_name": True}


class FindingLine(Finding):
    """One line of ``check --format jsonl`` (``driftguard.finding/v1``): a finding and the snapshot checked."""

    schema_: Literal["driftguard.finding/v1"] = Field(default="driftguard.finding/v1", alias="schema")
    target: str
    """The commit checked, or ``live``."""

    model_config = {"extra": "forbid", "populate_by_name": True}
