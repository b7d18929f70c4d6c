"""Attribution: match history-drift items to the vCenter events and tasks that explain them.

For an item on object O between snapshot times T0 and T1, the candidates are the events and tasks in (T0, T1]
posted on O, or on a parent where the setting lives or is driven from, whose type can change the item's path
(:mod:`driftguard.attribute.table`). Time is filtered here, never trusted to the server (vcsim ignores it).

Confidence of one candidate:

* *exact*: the event names the changed property: its ``changed_paths`` (``configSpec``/``configChanges``) overlap
  the item's vSphere properties, or its type names the change by itself (``VmRenamedEvent``, ``DasEnabledEvent``
  when HA became enabled, a migration whose destination is the new host). Only events and tasks on O itself.
* *likely*: a relevant type on O or its parent that does not say what it changed. Tasks never say.
* not a candidate: an event on O that lists what it changed, none of it this item's properties (it explains a
  different change), and the tasks of its chain, unless another record of the chain names this change; failed
  tasks. Change text that cannot be mapped to a property (``Event.unmapped_changes``) never excludes: such an
  event is *likely*.

Status of the item: *attributed* with the best candidate's confidence when there is any candidate (several
likely ones are all reported; the best is the newest); else *unknown* when the event history does not cover
the window (unreadable, retention-purged, read for a narrower window) or vCenter records nothing for the
setting; else *unattributed*. Only events decide coverage: a server without a task history (the simulator;
collect then reads ``recentTask``) does not turn every host-networking change into *unknown*, but the reason
of an unattributed change that vCenter may record only as a task says that the task history was partial.

Candidates are ranked exact before likely, the object's own before its parents', then newest first (the last
change is the one that left the new value), events before tasks. An event and the tasks that share its chain id
are one operation and one candidate; so are a task without a chain id (the simulator's) and the relevant event
posted on its object while it ran.

Who: the best operation's user is its best record's, else another record's of its chain, else that of a candidate
task on the same object that ran within ``SAME_OPERATION_SECONDS`` of the event (an ESXi-forwarded event has no
user); ``Attribution.user_source`` says which.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from datetime import datetime

from driftguard.attribute.properties import Objects, item_properties, scope_ids
from driftguard.attribute.sources import Scope
from driftguard.attribute.table import Rule, captured_key, lookup
from driftguard.models import (
    KINDS,
    Attribution,
    Candidate,
    Confidence,
    DriftItem,
    Event,
    History,
    Kind,
    Snapshot,
    SnapshotObject,
    Task,
)
from driftguard.models.drift import UserSource
from driftguard.models.paths import overlaps
from driftguard.models.patterns import glob_any
from driftguard.models.times import iso, utc

_KIND_FIELD: dict[str, str] = {
    # object kind → the Event field that names an object of that kind
    "vm": "vm",
    "host": "host",
    "cluster": "cluster",
    "dvswitch": "dvs",
    "datastore": "datastore",
}
_SCOPE_FIELD: dict[Scope, str] = {"cluster": "cluster", "host": "host", "member_hosts": "host", "portgroup": "network"}
_SCOPE_WORDS: dict[Scope, str] = {
    "self": "",
    "cluster": "its cluster",
    "host": "its host",
    "member_hosts": "its hosts",
    "portgroup": "the portgroup",
}


# --- collecting candidates --------------------------------------------------------------------------------------

_CONFIDENCE_RANK: dict[Confidence, int] = {"exact": 0, "likely": 1}


@dataclass(frozen=True)
class _Hit:
    record: Event | Task
    confidence: Confidence
    own: bool
    """Posted on the drifted object itself (not a parent)."""
    linked: Event | None = None
    """For a task without a chain id: the event it posted, found by object and time."""

    @property
    def time(self) -> datetime:
        if isinstance(self.record, Event):
            return utc(self.record.created)
        span = _task_span(self.record)
        if span is None:  # never: tasks without a time are not in the window
            raise ValueError(f"task {self.record.key} has no time")
        return span[1]

    @property
    def chain(self) -> tuple[str, int | str]:
        return _operation(self.linked or self.record)

    def rank(self) -> tuple[int, int, float, int, int, str]:
        key = self.record.key
        return (
            _CONFIDENCE_RANK[self.confidence],
            0 if self.own else 1,
            -self.time.timestamp(),
            0 if isinstance(self.record, Event) else 1,
            key if isinstance(key, int) else 0,
            key if isinstance(key, str) else "",
        )


def _operation(record: Event | Task) -> tuple[str, int | str]:
    """What identifies the vCenter operation a record belongs to: its chain, else the record itself."""
    if record.chain_id:
        return ("chain", record.chain_id)
    return ("event", record.key) if isinstance(record, Event) else ("task", record.key)


def _task_span(task: Task) -> tuple[datetime, datetime] | None:
    """When the task was queued (else started, else completed) and completed (else started, else queued)."""
    first = task.queued or task.started or task.completed
    last = task.completed or task.started or task.queued
    return (utc(first), utc(last)) if first is not None and last is not None else None


_EVENT_FIELDS = ("vm", "host", "cluster", "dvs", "datastore", "network")


class _Window:
    """The history's events and tasks in (T0, T1], indexed by the objects they are posted on."""

    def __init__(self, history: History, t0: datetime, t1: datetime) -> None:
        self.history, self.t0, self.t1 = history, t0, t1
        self._events: dict[tuple[str, str], list[Event]] = {}
        for event in history.events:
            if t0 < utc(event.created) <= t1:
                for field in _EVENT_FIELDS:
                    if value := getattr(event, field):
                        self._events.setdefault((field, value), []).append(event)
        self._tasks: dict[str, list[Task]] = {}
        for task in history.tasks:
            span = _task_span(task)
            # a task that ran at some moment in (T0, T1]; one that failed changed nothing
            if task.entity and task.state != "error" and span and span[1] > t0 and span[0] <= t1:
                self._tasks.setdefault(task.entity, []).append(task)

    def events(self, field: str, ids: Iterable[str]) -> Iterator[Event]:
        """Events whose ``field`` (``vm``, ``host`` ...) is one of ``ids``."""
        for object_id in sorted(ids):
            yield from self._events.get((field, object_id), ())

    def tasks(self, ids: Iterable[str]) -> Iterator[Task]:
        for object_id in sorted(ids):
            yield from self._tasks.get(object_id, ())

    def linked_event(self, task: Task, types: frozenset[str]) -> Event | None:
        """The event a chainless task posted: of a relevant type, on the task's object, created while it ran.

        vCenter links the two by chain id; the simulator leaves the task's chain at 0 but posts the event during
        the task, so object and time identify it. With several, the last one created wins.
        """
        span = _task_span(task)
        if task.chain_id or span is None or task.entity is None:
            return None
        during = [
            e
            for field in _EVENT_FIELDS
            for e in self._events.get((field, task.entity), ())
            if span[0] <= utc(e.created) <= span[1] and glob_any(types, e.type)
        ]
        return max(during, key=lambda e: (utc(e.created), e.key), default=None)


def _event_hit(event: Event, item: DriftItem, rule: Rule, own: bool, properties: list[str]) -> _Hit | None:
    """The event as a candidate, or None when it lists what it changed and this item is not among it."""
    if not own:
        return _Hit(event, "likely", own=False)
    if glob_any(rule.exact_types(item.new), event.type):
        return _Hit(event, "exact", own=True)
    if rule.exact_field and _names_new_value(getattr(event, rule.exact_field), item):
        return _Hit(event, "exact", own=True)
    if properties and event.changed_paths:
        named = any(overlaps(changed, prop) for changed in event.changed_paths for prop in properties)
        if named:
            return _Hit(event, "exact", own=True)
        if not event.unmapped_changes:
            return None  # it says what it changed, and that is something else
    # it does not say, or says it in text we cannot map to a property: what its type proves, never evidence against
    return _Hit(event, "likely", own=True)


def _names_new_value(value: str | None, item: DriftItem) -> bool:
    """Whether an event field (a migration's destination host, datastore ...) is the item's new value, or one that
    a list of them gained (``datastores``)."""
    if value is None:
        return False
    if isinstance(item.new, str):
        return value == item.new
    if isinstance(item.new, list):
        return value in item.new and not (isinstance(item.old, list) and value in item.old)
    return False


def _hits(item: DriftItem, rule: Rule, objects: Objects, window: _Window) -> tuple[list[_Hit], int]:
    """Every candidate record for the item, and how many relevant events named other properties only."""
    properties = item_properties(rule, item.path, objects)
    key = captured_key(rule, item.path)
    kind_field = _KIND_FIELD.get(item.kind, "")
    hits: list[_Hit] = []
    excluded: set[tuple[str, int | str]] = set()
    event_types = frozenset().union(*(source.events for source in rule.sources))
    for source in rule.sources:
        own = source.scope == "self"
        ids = scope_ids(source.scope, item, key, objects)
        field = kind_field if own else _SCOPE_FIELD[source.scope]
        for event in window.events(field, ids):
            if not glob_any(source.events, event.type):
                continue
            about = getattr(event, kind_field) if kind_field else None
            if not own and about is not None and about != item.id:
                continue  # a parent-level event about a sibling object (another VM on the same host)
            hit = _event_hit(event, item, rule, own, properties)
            if hit is None:
                excluded.add(_operation(event))
            else:
                hits.append(hit)
        for task in window.tasks(ids):
            if glob_any(source.tasks, task.description_id):
                exact = own and glob_any(rule.exact_types(item.new), task.description_id)
                hits.append(_Hit(task, "exact" if exact else "likely", own, window.linked_event(task, event_types)))
    # An operation one of whose events names other properties only explains a different change, and takes its
    # task down with it; but not when another of its records names this change (a DasEnabledEvent of the chain).
    excluded -= {h.chain for h in hits if h.confidence == "exact"}
    return [h for h in hits if h.chain not in excluded], len(excluded)


def _merge(hits: Iterable[_Hit]) -> list[tuple[_Hit, list[_Hit]]]:
    """One candidate per operation: records of one chain (or one record without a chain) together, best first."""
    groups: dict[tuple[str, int | str], dict[tuple[str, int | str], _Hit]] = {}
    for hit in hits:
        identity = ("event" if isinstance(hit.record, Event) else "task", hit.record.key)
        group = groups.setdefault(hit.chain, {})
        if identity not in group or hit.rank() < group[identity].rank():
            group[identity] = hit
    merged = []
    for group in groups.values():
        members = sorted(group.values(), key=_member_order)
        merged.append((members[0], members))
    return sorted(merged, key=lambda pair: pair[0].rank())


def _member_order(hit: _Hit) -> tuple[int, int, int, float, int, str]:
    # the representative of an operation: its best-matching record, an event rather than a task, the latest
    confidence, own, newest, source, int_key, str_key = hit.rank()
    return (confidence, own, source, newest, int_key, str_key)


def _candidate(best: _Hit, members: list[_Hit]) -> Candidate:
    record = best.record
    users = [m.record.user for m in members if m.record.user]
    if isinstance(record, Event):
        return Candidate(
            source="event",
            confidence=best.confidence,
            user=record.user or (users[0] if users else None),
            time=record.created,
            event_type=record.type,
            event_key=record.key,
            chain_id=record.chain_id,
            message=record.message,
        )
    return Candidate(
        source="task",
        confidence=best.confidence,
        user=users[0] if users else None,
        time=best.time,
        event_type=record.description_id,
        event_key=record.key,
        chain_id=record.chain_id,
        message=f"task {record.key} {record.description_id} on {record.entity_name or record.entity}",
    )


SAME_OPERATION_SECONDS = 5.0
"""How close an event must be to a task's run on the same object to be one operation with it (ESXi forwards its
``esx.audit.*`` events within a second or two of the task that caused them)."""


def _best_user(merged: list[tuple[_Hit, list[_Hit]]]) -> tuple[str | None, UserSource | None, int | str | None]:
    """The user of the best operation, where it came from, and the key of the record that gave it.

    The record that best says *what* changed (an ESXi-forwarded event) often has no user; then another record of
    its chain, else a candidate task on the same object that ran within seconds of the event, says *who*.
    """
    best, members = merged[0]
    if best.record.user:
        return best.record.user, "record", best.record.key
    for member in members:
        if member.record.user:
            return member.record.user, "chain", member.record.key
    if isinstance(best.record, Event):
        event = best.record
        objects = {getattr(event, f) for f in _EVENT_FIELDS} - {None}
        created = utc(event.created).timestamp()
        concurrent = [
            hit.record
            for _, group in merged
            for hit in group
            if isinstance(hit.record, Task)
            and hit.record.user
            and hit.record.entity in objects
            and _near(hit.record, created)
        ]
        if concurrent:
            task = min(concurrent, key=lambda t: (_distance(t, created), t.key))
            return task.user, "concurrent task", task.key
    return None, None, None


def _distance(task: Task, moment: float) -> float:
    span = _task_span(task)
    if span is None:
        return float("inf")
    first, last = span[0].timestamp(), span[1].timestamp()
    return max(first - moment, 0.0, moment - last)


def _near(task: Task, moment: float) -> bool:
    return _distance(task, moment) <= SAME_OPERATION_SECONDS


# --- status -----------------------------------------------------------------------------------------------------


def coverage_gap(history: History, t0: datetime, t1: datetime) -> str | None:
    """Why the event history cannot prove that nothing happened in (T0, T1], or None when it covers the window."""
    if not history.complete:
        # collect marks a window whose start predates the retained events (purged) as incomplete
        detail = "; ".join(history.notes)
        return "event history is incomplete" + (f": {detail}" if detail else "")
    if history.begin is not None and utc(history.begin) > t0:
        return f"event history was read from {iso(history.begin)}, after the window start {iso(t0)}"
    if history.end is not None and utc(history.end) < t1:
        return f"event history was read up to {iso(history.end)}, before the window end {iso(t1)}"
    return None


def _subject(item: DriftItem) -> str:
    return item.path or f"the {item.kind} being {item.change}"


def _attribute_item(item: DriftItem, objects: Objects, window: _Window) -> Attribution:
    try:
        rule = lookup(item.kind, item.path, item.change)
    except ValueError as error:
        return Attribution(status="unknown", reason=f"unreadable path {item.path!r}: {error}")
    if rule is None:
        return Attribution(status="unknown", reason=f"no event types are known to change {item.kind} {item.path!r}")
    if not rule.sources:
        return Attribution(status="unknown", reason=f"vCenter records no event or task for {_subject(item)}")

    hits, excluded = _hits(item, rule, objects, window)
    merged = _merge(hits)
    candidates = [_candidate(best, members) for best, members in merged]
    if candidates:
        best = candidates[0]
        user, source, record = _best_user(merged)
        return Attribution(
            status="attributed",
            confidence=best.confidence,
            user=user,
            time=best.time,
            event_type=best.event_type,
            event_key=best.event_key,
            chain_id=best.chain_id,
            user_source=source,
            user_record=record,
            candidates=candidates,
        )
    gap = coverage_gap(window.history, window.t0, window.t1)
    if gap:
        return Attribution(status="unknown", reason=gap)
    parents = [_SCOPE_WORDS[s.scope] for s in rule.sources if s.scope != "self"]
    where = f"{item.kind} {item.id}" + (f" or {', '.join(dict.fromkeys(parents))}" if parents else "")
    reason = f"no event or task in ({iso(window.t0)}, {iso(window.t1)}] on {where} can explain {_subject(item)}"
    if excluded:
        reason += f"; {excluded} operation(s) on it in the window name other properties only"
    if not window.history.tasks_complete and not any(source.always_posts_event for source in rule.sources):
        reason += "; vCenter may record such a change only as a task, and only part of the task history was read"
    return Attribution(status="unattributed", reason=reason)


_KINDS: dict[str, Kind] = {kind: kind for kind in KINDS}


def _object(snapshot: Snapshot | None, item: DriftItem) -> SnapshotObject | None:
    kind = _KINDS.get(item.kind)
    return snapshot.get(kind, item.id) if snapshot is not None and kind is not None else None


def attribute(
    items: Sequence[DriftItem],
    history: History,
    *,
    old: Snapshot | None,
    new: Snapshot,
    window: tuple[datetime, datetime],
) -> list[DriftItem]:
    """Copies of ``items`` with ``attribution`` set from ``history`` for the snapshot window ``(T0, T1]``.

    ``old``/``new`` are the snapshots at T0 and T1: they resolve device labels to device keys, and find the
    parents (cluster, host) whose events can explain a change. Pure and deterministic.
    """
    scoped = _Window(history, utc(window[0]), utc(window[1]))
    return [
        item.model_copy(update={"attribution": _attribute_item(item, (_object(old, item), _object(new, item)), scoped)})
        for item in items
    ]
