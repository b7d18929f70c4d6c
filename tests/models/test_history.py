"""Selecting the history worth storing with a commit (driftguard.models.history.relevant)."""

from __future__ import annotations

from driftguard.models import Event, History, Task
from driftguard.models.history import relevant
from driftguard.models.patterns import glob_any

TYPES = ("VmMigratedEvent", "DrsVmMigratedEvent", "VmReconfiguredEvent", "com.vmware.vc.HA.HostFailedEvent")


def _history() -> History:
    events = [Event(key=n, type=kind, created="2026-11-28T03:00:00Z") for n, kind in enumerate(TYPES)]
    tasks = [Task(key=f"task-{n}", description_id=kind) for n, kind in enumerate(TYPES)]
    return History(begin=None, end="2026-11-28T04:00:00Z", events=events, tasks=tasks)


def test_event_types_are_selected_by_identifier_globs() -> None:
    # "?" and "[...]" are literal in the identifier-glob dialect (docs/patterns.md), unlike fnmatch.
    wanted = ["Vm?igratedEvent", "Drs[V]mMigratedEvent", "com.vmware.vc.HA.*"]
    kept = relevant(_history(), [], wanted)
    assert [e.type for e in kept.events] == ["com.vmware.vc.HA.HostFailedEvent"]
    assert [t.description_id for t in kept.tasks] == ["com.vmware.vc.HA.HostFailedEvent"]
    assert [e.type for e in kept.events] == [kind for kind in TYPES if glob_any(wanted, kind)]
