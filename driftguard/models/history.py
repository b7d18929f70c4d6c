"""Operations on :class:`~driftguard.models.events.History`: the union of the histories stored with several
snapshot commits, and the part of a window's history worth storing with a commit."""

from __future__ import annotations

from collections.abc import Collection, Iterable, Sequence
from datetime import datetime

from driftguard.models.drift import DriftItem
from driftguard.models.events import Event, History, Task
from driftguard.models.patterns import glob_any


def merge(parts: Iterable[tuple[str, History | None]]) -> History:
    """Union of the histories stored with each commit of ``parts`` (commit sha, its history or None).

    A commit without a stored history (made by hand, or by another tool) makes the union incomplete, so the
    changes it explains read *unknown*, not *unattributed*.
    """
    events: dict[int, Event] = {}
    tasks: dict[str, Task] = {}
    complete = tasks_complete = True
    begins: list[datetime] = []
    ends: list[datetime] = []
    notes: list[str] = []
    for commit, part in parts:
        if part is None:
            complete = False
            notes.append(f"commit {commit[:10]} stores no event history")
            continue
        complete = complete and part.complete
        tasks_complete = tasks_complete and part.tasks_complete
        begins += [part.begin] if part.begin else []
        ends += [part.end] if part.end else []
        notes += part.notes
        events.update({e.key: e for e in part.events})
        tasks.update({t.key: t for t in part.tasks})
    return History(
        begin=min(begins) if begins else None,
        end=max(ends) if ends else None,
        events=sorted(events.values(), key=lambda e: (e.created, e.key)),
        tasks=sorted(tasks.values(), key=lambda t: t.key),
        complete=complete,
        tasks_complete=tasks_complete,
        notes=notes,
    )


def relevant(history: History, items: Sequence[DriftItem], wanted_types: Collection[str]) -> History:
    """What a later offline ``diff`` or ``check`` needs of a window's history: the events and tasks some item
    names as a candidate, and those whose type (event type or task description id) matches an identifier glob
    (:func:`~driftguard.models.patterns.glob_match`) of ``wanted_types`` — what the policy rules read (migrations,
    host failures, HA restarts ...), which explain no drift but are findings in themselves."""
    event_keys: set[str] = set()
    task_keys: set[str] = set()
    for item in items:
        for cand in item.attribution.candidates if item.attribution else []:
            (task_keys if cand.source == "task" else event_keys).add(str(cand.event_key))

    def wanted(kind: str) -> bool:
        return glob_any(wanted_types, kind)

    return history.model_copy(
        update={
            "events": [e for e in history.events if str(e.key) in event_keys or wanted(e.type)],
            "tasks": [t for t in history.tasks if t.key in task_keys or wanted(t.description_id)],
        }
    )
