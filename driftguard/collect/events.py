"""Event and task history for a time window, with an honest statement of whether it is complete.

Attribution must be able to say *unknown* (the audit trail for the window is gone or unreadable) rather
than *unattributed* (the trail is there and explains nothing). So besides the events we report whether
the server's retained history verifiably reaches back to the window's start: some event at or before
``begin`` must exist. vCenter purges the oldest events first, so one such event proves nothing in the
window was purged.

The simulator ignores the filter's time and user fields, keeps only its last 1000 events and returns them
newest first (reference §9): filtering and ordering are always redone on the client.
"""

from __future__ import annotations

import contextlib
import http.client
from collections.abc import Collection
from datetime import UTC, datetime
from typing import Any, Literal

from driftguard.collect._vmomi import vim, vmodl
from driftguard.collect.errors import CollectError, CollectionError
from driftguard.collect.inventory import ProgressCallback, raw_vcenter, retrieve_pages
from driftguard.collect.session import Session
from driftguard.models.raw import RAW_HISTORY_SCHEMA, RawData, RawHistory
from driftguard.models.times import iso, now, utc

MAX_PAGE = 1000
"""The largest page ReadNextEvents/ReadNextTasks accept (and the simulator's whole history)."""

_PC = vmodl.query.PropertyCollector


def collect_history(
    session: Session,
    *,
    begin: datetime | None,
    end: datetime | None = None,
    users: Collection[str] | None = None,
    page_size: int = MAX_PAGE,
    on_progress: ProgressCallback | None = None,
) -> RawHistory:
    """Events and tasks in the window ``(begin, end]`` (``end`` defaults to now), oldest first.

    ``users`` keeps only events/tasks by those user names. ``begin=None`` reads all retained history and
    reports it as not complete (there is no window start to prove coverage for).
    Raises :class:`~driftguard.collect.errors.CollectionError` when the connection drops or the server
    fails a call.
    """
    page = max(1, min(page_size, MAX_PAGE))
    end = end or now()
    begin_utc = utc(begin) if begin is not None else None
    end_utc = utc(end)
    first_request = session.round_trips
    notes: list[str] = []
    content = session.content
    root = vim.event.EventFilterSpec.ByEntity(entity=content.rootFolder, recursion="all")

    unknown: set[str] = set()
    with session.guard("reading the event history"):
        events = _read_events(session, root, (begin_utc, end_utc), page, on_progress, unknown)
    in_window = [e for e in events if _in_window(_time(e.get("createdTime")), begin_utc, end_utc)]
    if len(in_window) < len(events):
        notes.append(f"server returned {len(events) - len(in_window)} events outside the window; filtered client-side")
    in_window = [e for e in in_window if _by_user(e.get("userName"), users)]
    in_window.sort(key=lambda e: (_time(e.get("createdTime")), e.get("key") if isinstance(e.get("key"), int) else 0))

    complete = False
    seen = [_time(e.get("createdTime")) for e in events]
    if begin_utc is None:
        notes.append("no window start given: events are whatever history the server retains")
    elif any(moment <= begin_utc for moment in seen):
        complete = True
    else:
        with session.guard("checking how far the event history reaches back"):
            earlier = _retained_before(session, root, begin_utc, unknown)
        complete = earlier is not None
        if earlier is not None:
            seen.append(earlier)
        if not complete:
            notes.append(f"no event at or before {iso(begin_utc)} is retained: the window predates history")

    with session.guard("reading the task history"):
        tasks, source = _read_tasks(session, (begin_utc, end_utc), page, on_progress, unknown)
    tasks = [t for t in tasks if _in_window(_task_time(t), begin_utc, end_utc) and _by_user(_task_user(t), users)]
    tasks.sort(key=lambda t: (_task_time(t), str(t.get("key"))))
    if source == "recent":
        notes.append("server has no task history (CreateCollectorForTasks unsupported): only recentTask was read")
    if unknown:
        notes.append(unknown_types_note(sorted(unknown)))

    oldest = min(seen, default=None)
    return RawHistory(
        schema=RAW_HISTORY_SCHEMA,
        vcenter=raw_vcenter(session),
        begin=iso(begin_utc) if begin_utc else None,
        end=iso(end_utc),
        events=in_window,
        tasks=tasks,
        complete=complete,
        tasks_complete=complete and source == "history",
        tasks_source=source,
        oldest_event_time=iso(oldest) if oldest else None,
        notes=notes,
        round_trips=session.round_trips - first_request,
    )


UNKNOWN_TYPES_NOTE = "types this driftguard does not know, kept as raw data: "
"""How a history's notes name the event/task data types pyVmomi's metadata lacks (see :func:`unknown_types`)."""


def unknown_types_note(names: list[str]) -> str:
    return UNKNOWN_TYPES_NOTE + ", ".join(names)


def unknown_types(notes: Collection[str]) -> list[str]:
    """The unknown type names a history's ``notes`` report (a newer vCenter's or a plugin's event types)."""
    found: set[str] = set()
    for note in notes:
        if note.startswith(UNKNOWN_TYPES_NOTE):
            found.update(name for name in note[len(UNKNOWN_TYPES_NOTE) :].split(", ") if name)
    return sorted(found)


def _read_history_page(
    session: Session, collector: Any, method: str, page: int, cls: Any, unknown: set[str]
) -> list[RawData]:
    return _read_history_page_args(session, collector, method, [page], cls, unknown)


def _read_events(
    session: Session,
    root: Any,
    window: tuple[datetime | None, datetime],
    page: int,
    on_progress: ProgressCallback | None,
    unknown: set[str],
) -> list[RawData]:
    begin, end = window
    spec = vim.event.EventFilterSpec(entity=root, time=vim.event.EventFilterSpec.ByTime(beginTime=begin, endTime=end))
    collector = session.content.eventManager.CreateCollectorForEvents(spec)
    if collector is None:
        raise CollectionError(f"vCenter {session.host} created no event collector", host=session.host)
    events: list[RawData] = []
    try:
        # A real vCenter's collector covers the whole filtered history whatever this says (it only sizes
        # ``latestPage``); the simulator's collector holds just ``latestPage`` (10 events by default).
        collector.SetCollectorPageSize(page)
        while batch := _read_history_page(session, collector, "ReadNextEvents", page, vim.event.Event, unknown):
            events.extend(batch)
            if on_progress:
                on_progress("events", len(events), None)
    finally:
        _destroy(collector)
    return events


def _retained_before(session: Session, root: Any, begin: datetime, unknown: set[str]) -> datetime | None:
    """The time of an event at or before ``begin`` that is still retained, if any (one QueryEvents call)."""
    spec = vim.event.EventFilterSpec(entity=root, time=vim.event.EventFilterSpec.ByTime(endTime=begin))
    if session.supports("vim.version.version11"):  # maxCount exists since API 6.5
        spec.maxCount = 1
    manager = session.content.eventManager
    found = _read_history_page_args(session, manager, "QueryEvents", [spec], vim.event.Event, unknown)
    # Checked on the client as well: the simulator ignores the time filter.
    return min((t for t in (_time(e.get("createdTime")) for e in found) if t <= begin), default=None)


def _read_history_page_args(
    session: Session, mo: Any, method: str, args: list[Any], cls: Any, unknown: set[str]
) -> list[RawData]:
    """One history answer (an array of events or task infos), decoded as raw data item by item."""
    decoder = session.decoder()
    items: list[RawData] = []
    session.stream(mo, method, args, "array", lambda elem: items.append(decoder.typed(elem, cls)))
    unknown.update(decoder.unknown_types)
    return items


def _read_tasks(
    session: Session,
    window: tuple[datetime | None, datetime],
    page: int,
    on_progress: ProgressCallback | None,
    unknown: set[str],
) -> tuple[list[RawData], Literal["history", "recent", "none"]]:
    """Task infos from the task history, or from ``recentTask`` when the server has no task history."""
    begin, end = window
    content = session.content
    spec = vim.TaskFilterSpec(
        entity=vim.TaskFilterSpec.ByEntity(entity=content.rootFolder, recursion="all"),
        time=vim.TaskFilterSpec.ByTime(timeType="completedTime", beginTime=begin, endTime=end),
    )
    try:
        collector = content.taskManager.CreateCollectorForTasks(spec)
    except (vmodl.fault.MethodNotFound, vmodl.fault.NotImplemented, vmodl.fault.NotSupported):
        return _recent_tasks(session, page), "recent"
    if collector is None:
        raise CollectionError(f"vCenter {session.host} created no task collector", host=session.host)
    tasks: list[RawData] = []
    try:
        while batch := _read_history_page(session, collector, "ReadNextTasks", page, vim.TaskInfo, unknown):
            tasks.extend(batch)
            if on_progress:
                on_progress("tasks", len(tasks), None)
    finally:
        _destroy(collector)
    return tasks, "history"


def _recent_tasks(session: Session, page: int) -> list[RawData]:
    """``info`` of every task in ``taskManager.recentTask``, in one paged PropertyCollector call."""
    content = session.content
    spec = _PC.FilterSpec(
        objectSet=[
            _PC.ObjectSpec(
                obj=content.taskManager,
                skip=True,
                selectSet=[_PC.TraversalSpec(name="recent", type=vim.TaskManager, path="recentTask", skip=False)],
            )
        ],
        propSet=[_PC.PropertySpec(type=vim.Task, pathSet=["info"])],
    )
    infos: list[RawData] = []
    for items in retrieve_pages(session, spec, page, what="tasks"):
        for item in items:
            infos.extend(
                prop["val"]
                for prop in item.get("propSet") or []
                if prop.get("name") == "info" and isinstance(prop.get("val"), dict)
            )
    return infos


def _destroy(collector: Any) -> None:
    # Collectors are per session and capped (maxCollector); a failure here is not worth a failed run, and its
    # answer carries no data.
    with contextlib.suppress(vmodl.MethodFault, OSError, http.client.HTTPException, CollectError):
        collector.DestroyCollector()


_NEVER = datetime.max.replace(tzinfo=UTC)


def _time(value: Any) -> datetime:
    """A raw ISO time as an aware datetime (an event without a readable time sorts last and is outside windows)."""
    if not isinstance(value, str):
        return _NEVER
    try:
        return utc(datetime.fromisoformat(value))
    except ValueError:
        return _NEVER


def _task_time(info: RawData) -> datetime:
    for name in ("completeTime", "startTime", "queueTime"):
        if isinstance(info.get(name), str):
            return _time(info[name])
    return _NEVER


def _task_user(info: RawData) -> str | None:
    reason = info.get("reason")
    user = reason.get("userName") if isinstance(reason, dict) else None
    return user if isinstance(user, str) else None


def _in_window(moment: datetime, begin: datetime | None, end: datetime) -> bool:
    return (begin is None or moment > begin) and moment <= end


def _by_user(user: str | None, users: Collection[str] | None) -> bool:
    return users is None or user in users


__all__ = ["MAX_PAGE", "UNKNOWN_TYPES_NOTE", "collect_history", "unknown_types", "unknown_types_note"]
