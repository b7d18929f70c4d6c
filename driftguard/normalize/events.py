"""Raw vCenter events and tasks (collect's plain dicts) → :class:`Event`, :class:`Task`, :class:`History`.

The raw layer keeps each data object's vSphere type name in ``_type``, morefs as
``{"_type": "ManagedObjectReference", "type": ..., "value": ...}`` and times as ISO 8601 strings; unset values
are simply absent. Everything here tolerates missing keys: a field that is not there stays None.

``Event.changed_paths`` lists the vSphere property paths an event says it changed, read from
``configChanges`` text (vCenter 6.5+) and ``VmReconfiguredEvent.configSpec``. Keys inside paths are always
rendered the same way, because attribution compares them as strings: an integer key bare
(``config.hardware.device[3002]``), any other key as a JSON string (``option["das.isolationaddress0"]``).

``configChanges`` is vCenter's own diff of the object's configuration, so where it names anything it is the
authority: the ``configSpec`` then adds only paths outside ``config`` (the part vCenter diffs), and never its
echo fields (``changeVersion``, ``createDate``, ``files.vmPathName``), which a real vCenter re-sends on every
reconfigure whatever changed. Cluster change text comes in several spellings: relative to the spec
(``dasConfig.option("k").value``), to the legacy ``configuration`` property, or to ``configurationEx``; all are
mapped to ``configurationEx``. What cannot be mapped to a property of the object (an unknown root, a positional
index such as ``option[3]`` into a list keyed by name) goes to ``Event.unmapped_changes``: evidence that the
event changed *something*, never that it changed something else.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping, Sequence
from datetime import UTC, datetime
from typing import Any, TypeVar

from driftguard.models import ConfigChanges, Event, History, Task
from driftguard.models.paths import render_key
from driftguard.models.times import parse_time, utc

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


# --- configSpec → property paths --------------------------------------------------------------------------------


def _value_paths(path: str, value: Any) -> Iterator[str]:
    """``path`` itself, or for a data object the path of each property it sets (``config.cpuAllocation.limit``)."""
    if isinstance(value, Mapping) and value.get("_type") != "ManagedObjectReference":
        fields = [k for k in value if k != "_type"]
        if fields:
            for name in fields:
                yield from _value_paths(f"{path}.{name}", value[name])
            return
    yield path


def _option_paths(path: str, value: Any) -> Iterator[str]:
    """``OptionValue[]`` (``extraConfig``) → one path per option key."""
    options = value if isinstance(value, list) else []
    keys = [o.get("key") for o in options if isinstance(o, Mapping) and o.get("key") not in (None, "")]
    if not keys:
        yield path
    for key in keys:
        yield f"{path}[{render_key(str(key))}]"


def _device_paths(path: str, value: Any) -> Iterator[str]:
    """``deviceChange[]`` → ``config.hardware.device[<key>]`` per added, edited or removed device.

    A device being added carries a temporary non-positive key until vCenter assigns the real one, so it can only
    name the device list as a whole.
    """
    changes = value if isinstance(value, list) else []
    for change in changes:
        device = change.get("device") if isinstance(change, Mapping) else None
        key = device.get("key") if isinstance(device, Mapping) else None
        yield f"{path}[{int(key)}]" if isinstance(key, int) and key > 0 else path
    if not changes:
        yield path


_Expander = Callable[[str, Any], Iterator[str]]

_VM_SPEC: dict[str, tuple[str, _Expander]] = {
    # VirtualMachineConfigSpec field → VirtualMachine property path. Fields not listed map to config.<field>,
    # which is right for most of them (guestId, cpuAllocation, memoryAllocation, cpuFeatureMask, cpuAffinity,
    # annotation, firmware, ftInfo, nestedHVEnabled, ...).
    "name": ("name", _value_paths),
    "version": ("config.version", _value_paths),
    "numCPUs": ("config.hardware.numCPU", _value_paths),
    "numCPU": ("config.hardware.numCPU", _value_paths),  # not a spec field; tolerated for hand-written input
    "numCoresPerSocket": ("config.hardware.numCoresPerSocket", _value_paths),
    "memoryMB": ("config.hardware.memoryMB", _value_paths),
    "virtualICH7MPresent": ("config.hardware.virtualICH7MPresent", _value_paths),
    "virtualSMCPresent": ("config.hardware.virtualSMCPresent", _value_paths),
    "simultaneousThreads": ("config.hardware.simultaneousThreads", _value_paths),
    "motherboardLayout": ("config.hardware.motherboardLayout", _value_paths),
    "deviceChange": ("config.hardware.device", _device_paths),
    "extraConfig": ("config.extraConfig", _option_paths),
    "powerOpInfo": ("config.defaultPowerOps", _value_paths),
    "crypto": ("config.keyId", _value_paths),
}

_VM_SPEC_ECHO = frozenset(
    {
        # Re-sent by vCenter's own clients on every reconfigure, whatever changed (a real 7.0 VmReconfiguredEvent's
        # configSpec for a NIC change carries all three): never evidence of a change.
        "files.vmPathName",
    }
)

_VM_SPEC_IGNORED = frozenset(
    {
        # Not configuration: a concurrency guard, creation metadata, storage-policy and tag requests.
        "changeVersion",
        "createDate",
        "locationId",
        "vmProfile",
        "tagSpecs",
        "vmPlacementPolicies",
        "vAppConfigRemoved",
        "npivWorldWideNameOp",
        "npivTemporaryDisabled",
    }
)


def spec_paths(spec: Raw) -> list[str]:
    """The ``VirtualMachine`` property paths a ``VirtualMachineConfigSpec`` sets (sorted, unique)."""
    paths: set[str] = set()
    for name, value in spec.items():
        if name == "_type" or name in _VM_SPEC_IGNORED:
            continue
        path, expand = _VM_SPEC.get(name, (f"config.{name}", _value_paths))
        paths.update(p for p in expand(path, value) if p.removeprefix("config.") not in _VM_SPEC_ECHO)
    return sorted(paths)


# --- configChanges text → property paths ------------------------------------------------------------------------

_OPEN = {"[": "]", "(": ")", "{": "}"}
_CLOSE = {v: k for k, v in _OPEN.items()}
_HEADERS = ("modified:", "added:", "deleted:")


def _split_entries(text: str, *, separators: str) -> list[str] | None:
    """Split at separators outside quotes and brackets; None when quotes or brackets do not balance."""
    entries: list[str] = []
    depth: list[str] = []
    quote: str | None = None
    start = 0
    i = 0
    while i < len(text):
        char = text[i]
        if quote:
            if char == "\\":
                i += 1
            elif char == quote:
                quote = None
        elif char in "\"'":
            quote = char
        elif char in _OPEN:
            depth.append(char)
        elif char in _CLOSE:
            if not depth or depth[-1] != _CLOSE[char]:
                return None
            depth.pop()
        elif char in separators and not depth:
            entries.append(text[start:i])
            start = i + 1
        i += 1
    if quote or depth:
        return None
    entries.append(text[start:])
    return entries


def _is_ident_start(char: str) -> bool:
    return char.isalpha() or char == "_"


def _is_ident(char: str) -> bool:
    return char.isalnum() or char == "_"


def _read_key(text: str, i: int, close: str) -> tuple[int | str, int] | None:
    """The key inside brackets starting at ``text[i]`` (just past the opener); returns (key, index past closer)."""
    if i < len(text) and text[i] in "\"'":
        quote = text[i]
        j = i + 1
        chars: list[str] = []
        while j < len(text) and text[j] != quote:
            if text[j] == "\\" and j + 1 < len(text):
                j += 1
            chars.append(text[j])
            j += 1
        if text[j + 1 : j + 2] != close:  # also when the quote never closed (j == len(text))
            return None
        return _object_key("".join(chars)), j + 2
    end = text.find(close, i)
    if end < 0:
        return None
    bare = text[i:end].strip()
    if not bare:
        return None
    return (int(bare) if bare.lstrip("-").isdigit() else _object_key(bare)), end + 1


def _object_key(key: str) -> str:
    """A key that is a managed object, written ``vim.VirtualMachine:vm-42``, is that object's id."""
    prefix, colon, moid = key.partition(":")
    return moid if colon and prefix.startswith("vim.") and prefix[4:].replace(".", "").isalnum() and moid else key


def _read_path(entry: str) -> tuple[str, int, str] | None:
    """A property path at the start of ``entry``: (rendered path, segment count, the text after it)."""
    i = 0
    parts: list[str] = []
    segments = 0
    while i < len(entry):
        char = entry[i]
        if _is_ident_start(char) and (i == 0 or entry[i - 1] == "."):
            j = i
            while j < len(entry) and _is_ident(entry[j]):
                j += 1
            parts.append(entry[i:j])
            segments += 1
            i = j
        elif char == "." and parts and i + 1 < len(entry) and _is_ident_start(entry[i + 1]):
            parts.append(".")
            i += 1
        elif char in "[(" and parts:
            read = _read_key(entry, i + 1, _OPEN[char])
            if read is None:
                return None
            key, i = read
            parts.append(f"[{render_key(key)}]")
            segments += 1
        else:
            break
    if not parts:
        return None
    return "".join(parts), segments, entry[i:]


def config_change_paths(text: str | None) -> list[str]:
    """Property paths named in ``ChangesInfoEventArgument`` text (sorted, unique).

    vCenter writes one change per entry, entries ended by ``;`` and/or newlines, each ``<path>: <old> -> <new>``
    (added and deleted entries: ``<path>: <value>`` or the bare path). Keys appear as ``(4000)``,
    ``("das.isolationaddress0")`` or ``["das.isolationaddress0"]``; values may span lines inside parentheses and
    may hold ``;`` and ``:`` inside quotes. Anything that does not start with a property path is skipped.
    """
    if not text:
        return []
    entries = _split_entries(text, separators=";\n") or text.replace(";", "\n").splitlines()
    paths: set[str] = set()
    for raw_entry in entries:
        entry = raw_entry.strip()
        lowered = entry.lower()
        for header in _HEADERS:
            if lowered.startswith(header):
                entry = entry[len(header) :].strip()
                break
        read = _read_path(entry)
        if read is None:
            continue
        path, segments, rest = read
        rest = rest.strip()
        if (rest.startswith(":") or (not rest and segments > 1)) and path.lower() + ":" not in _HEADERS:
            paths.add(path)
    return sorted(paths)


# --- change text → the object's own property paths ---------------------------------------------------------------

_CLUSTER_SPEC_ROOTS: dict[str, str] = {
    # ClusterConfigSpecEx field → ClusterConfigInfoEx field, for change text written relative to the spec
    "dasConfig": "dasConfig",
    "drsConfig": "drsConfig",
    "dpmConfig": "dpmConfigInfo",
    "dpmConfigInfo": "dpmConfigInfo",
    "vsanConfig": "vsanConfigInfo",
    "rulesSpec": "rule",
    "rule": "rule",
    "groupSpec": "group",
    "group": "group",
    "dasVmConfigSpec": "dasVmConfig",
    "dasVmConfig": "dasVmConfig",
    "drsVmConfigSpec": "drsVmConfig",
    "drsVmConfig": "drsVmConfig",
    "dpmHostConfigSpec": "dpmHostConfig",
    "dpmHostConfig": "dpmHostConfig",
    "vmSwapPlacement": "vmSwapPlacement",
    "proactiveDrsConfig": "proactiveDrsConfig",
    "infraUpdateHaConfig": "infraUpdateHaConfig",
}

_OBJECT_ROOTS: dict[str, frozenset[str]] = {
    # event type → the first segments of its object's properties (what attribution's table can name)
    "VmReconfiguredEvent": frozenset({"config", "name", "runtime", "datastore", "network", "snapshot", "summary"}),
    "ClusterReconfiguredEvent": frozenset({"configurationEx", "summary", "name", "host", "datastore"}),
    "DvsReconfiguredEvent": frozenset({"config", "name", "summary", "portgroup"}),
    "DVPortgroupReconfiguredEvent": frozenset({"config", "name", "key"}),
}

_NAME_KEYED = frozenset({"option", "extraConfig", "dasVmConfig", "drsVmConfig", "group", "dpmHostConfig"})
"""Lists keyed by a name or an object id: an integer index into one is a position, which names no element."""


def _cluster_path(path: str) -> str:
    """A cluster change path relative to ``configurationEx``, from the spec-relative or legacy spellings."""
    head, dot, rest = path.partition(".")
    bracket = head.find("[")
    root, key = (head, "") if bracket < 0 else (head[:bracket], head[bracket:])
    if root == "configuration" and dot:
        return _cluster_path(f"configurationEx.{rest}")
    if root in _CLUSTER_SPEC_ROOTS:
        return f"configurationEx.{_CLUSTER_SPEC_ROOTS[root]}{key}{dot}{rest}"
    return path


def _is_mapped(path: str, roots: frozenset[str] | None) -> bool:
    """Whether ``path`` names a property of the object: a known root, and no positional index into a keyed list."""
    if roots is not None and _root(path) not in roots:
        return False
    return not any(f"{name}[" in path and _positional(path, name) for name in _NAME_KEYED)


def _root(path: str) -> str:
    """The first segment of a property path (``config`` of ``config.hardware.device[4000]``)."""
    end = len(path)
    for stop in ".[":
        found = path.find(stop)
        if 0 <= found < end:
            end = found
    return path[:end]


def _positional(path: str, name: str) -> bool:
    start = 0
    while (found := path.find(f"{name}[", start)) >= 0:
        start = found + len(name) + 1
        if found and path[found - 1] not in ".":
            continue
        if path[start : start + 1] != '"':  # a rendered string key is quoted; anything else is an integer
            return True
    return False


def _change_paths(event_type: str, changes: ConfigChanges) -> tuple[set[str], set[str]]:
    """(mapped, unmapped) property paths of an event's ``configChanges``."""
    roots = _OBJECT_ROOTS.get(event_type)
    mapped: set[str] = set()
    unmapped: set[str] = set()
    for text in (changes.modified, changes.added, changes.deleted):
        for path in config_change_paths(text):
            if event_type == "ClusterReconfiguredEvent":
                path = _cluster_path(path)
            (mapped if _is_mapped(path, roots) else unmapped).add(path)
    return mapped, unmapped


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
    paths, unmapped = _change_paths(event_type, config_changes) if config_changes else (set(), set())
    spec = raw.get("configSpec")
    if isinstance(spec, Mapping) and _type_name(spec.get("_type")) in ("VirtualMachineConfigSpec", ""):
        # configChanges, where it names anything, is vCenter's diff of config: the spec adds only what lies outside
        authority = bool(paths or unmapped)
        paths.update(p for p in spec_paths(spec) if not authority or _root(p) != "config")

    return Event(
        key=int(raw["key"]),
        chain_id=_chain(raw.get("chainId")),
        type=event_type,
        created=created,
        user=_text(raw.get("userName")),
        message=_text(raw.get("fullFormattedMessage")) or _text(raw.get("message")),
        config_changes=config_changes,
        changed_paths=sorted(paths),
        unmapped_changes=sorted(unmapped),
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
