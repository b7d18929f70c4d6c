"""vCenter events and tasks, reduced to what attribution needs."""

from __future__ import annotations

from driftguard.models.base import Model
from driftguard.models.times import UtcTime


class ConfigChanges(Model):
    """``ChangesInfoEventArgument``: the vCenter 6.5+ text of what a reconfigure changed."""

    modified: str | None = None
    added: str | None = None
    deleted: str | None = None


class Event(Model):
    """A vCenter ``Event`` (or ``EventEx``: ``type`` is then its ``eventTypeId``)."""

    key: int
    chain_id: int | None = None
    type: str
    created: UtcTime
    user: str | None = None
    message: str | None = None
    datacenter: str | None = None
    """Datacenter id."""
    cluster: str | None = None
    """Compute resource id."""
    host: str | None = None
    vm: str | None = None
    datastore: str | None = None
    dvs: str | None = None
    network: str | None = None
    config_changes: ConfigChanges | None = None
    changed_paths: list[str] = []
    """vSphere property paths the event says it changed (from ``configSpec`` / ``configChanges``), e.g.
    ``config.hardware.numCPU``. Empty when the event does not say."""
    unmapped_changes: list[str] = []
    """Paths the event's ``configChanges`` names that cannot be mapped to a property of its object (an unknown
    root, a positional index into a keyed list such as ``option[3]``). They say *something* changed, not what:
    attribution never takes them as evidence that the event changed something else."""


class Task(Model):
    """A vCenter task (``TaskInfo``)."""

    key: str
    description_id: str
    entity: str | None = None
    """Entity id."""
    entity_name: str | None = None
    state: str | None = None
    queued: UtcTime | None = None
    started: UtcTime | None = None
    completed: UtcTime | None = None
    user: str | None = None
    chain_id: int | None = None
    error: str | None = None


class History(Model):
    """Events and tasks for a time window, and whether the window is fully covered."""

    begin: UtcTime | None = None
    end: UtcTime | None = None
    events: list[Event] = []
    tasks: list[Task] = []
    complete: bool = True
    """False when the server's retained history does not reach back to ``begin`` or could not be read:
    attribution then says *unknown*, never *unattributed*."""
    tasks_complete: bool = True
    """False when the tasks are not the full task history of the window (the server had none and only
    ``recentTask`` was read). Added for attribution: an unattributed change that vCenter records only as a task
    (host networking, services, advanced options) then says that the task history was partial."""
    notes: list[str] = []
