"""What an event says it changed: ``configSpec`` and ``configChanges`` → vSphere property paths of its object.

Keys inside paths are always rendered the same way, because attribution compares them as strings: an integer key
bare (``config.hardware.device[3002]``), any other key as a JSON string (``option["das.isolationaddress0"]``).

``configChanges`` is vCenter's own diff of the object's configuration, so where it names anything it is the
authority: the ``configSpec`` then adds only paths outside ``config`` (the part vCenter diffs), and never its
echo fields (``changeVersion``, ``createDate``, ``files.vmPathName``), which a real vCenter re-sends on every
reconfigure whatever changed. Cluster change text comes in several spellings: relative to the spec
(``dasConfig.option("k").value``), to the legacy ``configuration`` property, or to ``configurationEx``; all are
mapped to ``configurationEx``. What cannot be mapped to a property of the object (an unknown root, a positional
index such as ``option[3]`` into a list keyed by name) is returned apart (``Event.unmapped_changes``): evidence
that the event changed *something*, never that it changed something else.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping
from typing import Any

from driftguard.models import ConfigChanges
from driftguard.models.paths import render_key

Raw = Mapping[str, Any]


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
    if roots is not None and root(path) not in roots:
        return False
    return not any(f"{name}[" in path and _positional(path, name) for name in _NAME_KEYED)


def root(path: str) -> str:
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


def change_paths(event_type: str, changes: ConfigChanges) -> tuple[set[str], set[str]]:
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


def event_paths(event_type: str, changes: ConfigChanges | None, spec: Any) -> tuple[list[str], list[str]]:
    """(changed_paths, unmapped_changes) of an event: its ``configChanges``, then what its ``configSpec`` adds."""
    paths, unmapped = change_paths(event_type, changes) if changes else (set(), set())
    if isinstance(spec, Mapping) and _spec_type(spec) in ("VirtualMachineConfigSpec", ""):
        # configChanges, where it names anything, is vCenter's diff of config: the spec adds only what lies outside
        authority = bool(paths or unmapped)
        paths.update(p for p in spec_paths(spec) if not authority or root(p) != "config")
    return sorted(paths), sorted(unmapped)


def _spec_type(spec: Raw) -> str:
    name = str(spec.get("_type") or "")
    return name.rsplit(".", 1)[-1] if name.startswith("vim.") else name
