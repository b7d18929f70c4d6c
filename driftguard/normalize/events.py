"""Raw vCenter events and tasks (collect's plain dicts) → :class:`Event`, :class:`Task`, :class:`History`.

The raw layer keeps each data object's vSphere type name in ``_type``, morefs as
``{"_type": "ManagedObjectReference", "type": ..., "value": ...}`` and times as ISO 8601 strings; unset values
are simply absent. Everything here tolerates missing keys: a field that is not there stays None.

``Event.changed_paths`` / ``unmapped_changes``: what the event says it changed, read from its ``configChanges``
text (vCenter 6.5+) and ``VmReconfiguredEvent.configSpec`` by :mod:`driftguard.normalize.changed_paths`.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from datetime import UTC, datetime
from typing import Any, TypeVar

from driftguard.models import ConfigChanges, Event, History, Task
from driftguard.models.times import parse_time, utc
from driftguard.normalize.changed_paths import config_change_paths, event_paths, spec_paths

__all__ = ["config_change_paths", "normalize_event", "normalize_history", "normalize_task", "spec_paths"]

Raw = Mapping[str, Any]
_T = TypeVar("_T")

# --- entity arguments -------------------------------------------------------------------------------------------

_ARGUMENT_FIELDS: dict[str, str] = {
    # raw Event argument → Event model field; each argument is {"name": ..., "<entity>": moref}
    "datacenter": "datacenter",
    "computeResource": "cluster",
    "host": "host",
    "vm": "vm",
    "ds": "datastore",
    "dvs": "dvs",
    "net": "network",
}

_MOREF_TYPE_FIELDS: dict[str, str] = {
    # moref type → Event model field, for EventEx.objectType/objectId and ExtendedEvent.managedObject
    "Datacenter": "datacenter",
    "ClusterComputeResource": "cluster",
    "ComputeResource": "cluster",
    "HostSystem": "host",
    "VirtualMachine": "vm",
    "Datastore": "datastore",
    "DistributedVirtualSwitch": "dvs",
    "VmwareDistributedVirtualSwitch": "dvs",
    "Network": "network",
    "DistributedVirtualPortgroup": "network",
    "OpaqueNetwork": "network",
}

_EXTENDED_TYPES = frozenset({"EventEx", "ExtendedEvent"})


def _moref_value(value: Any) -> str | None:
    """The managed-object id of a raw moref (or of a bare id string)."""
    if isinstance(value, str):
        return value or None
    if isinstance(value, Mapping):
        inner = value.get("value")
        return str(inner) if inner else None
    return None


def _argument_entity(argument: Any) -> str | None:
    """The moref id inside an ``EntityEventArgument`` (its one ``ManagedObjectReference`` field)."""
    if not isinstance(argument, Mapping):
        return None
    for key, value in argument.items():
        if key != "_type" and isinstance(value, Mapping) and value.get("_type") == "ManagedObjectReference":
            return _moref_value(value)
    return None


def _type_name(value: Any) -> str:
    """A vSphere type name without a pyVmomi ``vim.event.`` prefix."""
    name = str(value or "")
    return name.rsplit(".", 1)[-1] if name.startswith("vim.") else name


# --- scalars ----------------------------------------------------------------------------------------------------


def _raw_time(value: Any) -> datetime | None:
    """A raw time field (ISO 8601 text, or absent/empty) as an aware UTC time."""
    if value is None or value == "":
        return None
    if isinstance(value, datetime):
        return utc(value)
    if isinstance(value, str):
        return parse_time(value)
    raise ValueError(f"not a time: {value!r}")


def _text(value: Any) -> str | None:
    return str(value) if value not in (None, "") else None


def _chain(value: Any) -> int | None:
    # vCenter chain ids are positive; vcsim leaves TaskInfo.eventChainId at 0, which means "not linked".
    return int(value) if value else None


# --- models -----------------------------------------------------------------------------------------------------


def _changes(raw: Any) -> ConfigChanges | None:
    if not isinstance(raw, Mapping):
        return None
    changes = ConfigChanges(
        modified=_text(raw.get("modified")), added=_text(raw.get("added")), deleted=_text(raw.get("deleted"))
    )
    return changes if changes.modified or changes.added or changes.deleted else None


def normalize_event(raw: Raw) -> Event:
    """One raw vCenter event → :class:`Event`. Raises ``ValueError`` when ``key`` or ``createdTime`` is missing."""
    raw_type = _type_name(raw.get("_type"))
    type_id = _text(raw.get("eventTypeId"))
    event_type = type_id if type_id and (raw_type in _EXTENDED_TYPES or not raw_type) else raw_type or "Event"
    if raw.get("key") is None:
        raise ValueError(f"{event_type} without a key")
    created = _raw_time(raw.get("createdTime"))
    if created is None:
        raise ValueError(f"{event_type} {raw.get('key')} without createdTime")

    entities: dict[str, str] = {}
    for raw_field, field in _ARGUMENT_FIELDS.items():
        entity = _argument_entity(raw.get(raw_field))
        if entity:
            entities[field] = entity
    # EventEx names its object by type and id, ExtendedEvent by moref; they fill only what the arguments left unset
    managed = raw.get("managedObject")
    managed_type = managed.get("type") if isinstance(managed, Mapping) else None
    for moref_type, entity_id in (
        (raw.get("objectType"), _moref_value(raw.get("objectId"))),
        (managed_type, _moref_value(managed)),
    ):
        object_field = _MOREF_TYPE_FIELDS.get(str(moref_type))
        if object_field and entity_id:
            entities.setdefault(object_field, entity_id)

    config_changes = _changes(raw.get("configChanges"))
    paths, unmapped = event_paths(event_type, config_changes, raw.get("configSpec"))

    return Event(
        key=int(raw["key"]),
        chain_id=_chain(raw.get("chainId")),
        type=event_type,
        created=created,
        user=_text(raw.get("userName")),
        message=_text(raw.get("fullFormattedMessage")) or _text(raw.get("message")),
        config_changes=config_changes,
        changed_paths=paths,
        unmapped_changes=unmapped,
        **entities,
    )


def _task_error(raw: Any) -> str | None:
    if not isinstance(raw, Mapping):
        return _text(raw)
    fault = raw.get("fault")
    fault_type = _type_name(fault.get("_type")) if isinstance(fault, Mapping) else None
    return _text(raw.get("localizedMessage")) or fault_type or _type_name(raw.get("_type")) or None


def normalize_task(raw: Raw) -> Task:
    """One raw ``TaskInfo`` → :class:`Task`. Raises ``ValueError`` when ``key`` is missing.

    ``user`` is the ``TaskReasonUser`` user name; tasks started by the system, an alarm or a schedule have none.
    """
    if raw.get("key") in (None, ""):
        raise ValueError(f"task {raw.get('descriptionId')!r} without a key")
    reason = raw.get("reason")
    user = _text(reason.get("userName")) if isinstance(reason, Mapping) else None
    return Task(
        key=str(raw["key"]),
        description_id=str(raw.get("descriptionId") or ""),
        entity=_moref_value(raw.get("entity")),
        entity_name=_text(raw.get("entityName")),
        state=_text(raw.get("state")),
        queued=_raw_time(raw.get("queueTime")),
        started=_raw_time(raw.get("startTime")),
        completed=_raw_time(raw.get("completeTime")),
        user=user,
        chain_id=_chain(raw.get("eventChainId")),
        error=_task_error(raw.get("error")),
    )


def _normalize_all(raws: Any, normalize: Callable[[Raw], _T], what: str, notes: list[str]) -> tuple[list[_T], bool]:
    """Normalise a list; an unreadable entry is noted and makes the history incomplete (it may be the explanation)."""
    items: list[_T] = []
    ok = True
    for index, raw in enumerate(raws if isinstance(raws, Sequence) and not isinstance(raws, str) else []):
        try:
            if not isinstance(raw, Mapping):
                raise ValueError(f"not an object: {type(raw).__name__}")
            items.append(normalize(raw))
        except (ValueError, TypeError) as error:
            notes.append(f"{what} #{index} unreadable: {error}")
            ok = False
    return items, ok


def _task_order(task: Task) -> tuple[datetime, str]:
    return (task.queued or task.started or task.completed or datetime.min.replace(tzinfo=UTC), task.key)


def normalize_history(raw: Raw) -> History:
    """collect's ``RawHistory`` → :class:`History` (events and tasks in time order; duplicates dropped).

    Keys read, all optional: ``events``, ``tasks``, ``complete``, ``tasks_complete``, ``begin``, ``end``,
    ``notes``. Completeness is never assumed: a missing ``complete`` is False (attribution then says *unknown*
    rather than *unattributed*), and an event or task that cannot be read makes the history incomplete too, as it
    may be the very one that explains a change.
    """
    notes = [str(note) for note in raw.get("notes") or []]
    events, events_ok = _normalize_all(raw.get("events"), normalize_event, "event", notes)
    tasks, tasks_ok = _normalize_all(raw.get("tasks"), normalize_task, "task", notes)
    unique_events = {e.key: e for e in reversed(events)}  # the first occurrence wins
    unique_tasks = {t.key: t for t in reversed(tasks)}
    complete = bool(raw.get("complete", False)) and events_ok
    return History(
        begin=_raw_time(raw.get("begin")),
        end=_raw_time(raw.get("end")),
        events=sorted(unique_events.values(), key=lambda e: (e.created, e.key)),
        tasks=sorted(unique_tasks.values(), key=_task_order),
        complete=complete,
        tasks_complete=complete and bool(raw.get("tasks_complete", True)) and tasks_ok,
        notes=notes,
    )
