"""A :class:`~driftguard.report.changes.LogicalChange` in words: one summary line and detail lines, as plain
strings (the renderers escape them; nothing here is markup).

- a device whose backing changed reads as the backing: ``host device /dev/cdrom → ISO [LocalDS_0] iso/rescue.iso``;
- an HA agent file edit reads as its size and digest, then a unified diff of its text;
- an added or removed entry lists its fields, the ones people look for first (plain fields, then security
  settings such as ``forged_transmits: true``);
- a moref that the name map knows is shown as the name (``DC0_C1``, with the moref too under ``--wide``).

Without ``wide``, values are cut at :data:`VALUE_CHARS`, diffs at :data:`DIFF_LINES` and field lists at
:data:`FIELDS`, each cut saying so; ``wide`` shows everything.
"""

from __future__ import annotations

import difflib
import json
import re
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from typing import Any

from driftguard.report.changes import LogicalChange, unit_path

VALUE_CHARS = 60
DIFF_LINES = 20
FIELDS = 10

_BACKINGS: dict[str, tuple[str, str | None]] = {
    # backing type → (what it is, the field that says which one)
    "VirtualCdromAtapiBackingInfo": ("host device", "device_name"),
    "VirtualCdromPassthroughBackingInfo": ("host device (passthrough)", "device_name"),
    "VirtualCdromRemoteAtapiBackingInfo": ("client device", None),
    "VirtualCdromRemotePassthroughBackingInfo": ("client device (passthrough)", None),
    "VirtualCdromIsoBackingInfo": ("ISO", "file_name"),
    "VirtualFloppyDeviceBackingInfo": ("host device", "device_name"),
    "VirtualFloppyImageBackingInfo": ("image", "file_name"),
    "VirtualFloppyRemoteDeviceBackingInfo": ("client device", None),
    "VirtualSerialPortDeviceBackingInfo": ("host device", "device_name"),
    "VirtualSerialPortFileBackingInfo": ("file", "file_name"),
    "VirtualSerialPortPipeBackingInfo": ("pipe", "device_name"),
    "VirtualSerialPortURIBackingInfo": ("network", "service_uri"),
    "VirtualParallelPortDeviceBackingInfo": ("host device", "device_name"),
    "VirtualParallelPortFileBackingInfo": ("file", "file_name"),
    "VirtualEthernetCardNetworkBackingInfo": ("network", "network"),
    "VirtualEthernetCardDistributedVirtualPortBackingInfo": ("distributed portgroup", "network"),
    "VirtualDiskFlatVer2BackingInfo": ("disk", "file_name"),
    "VirtualDiskRawDiskMappingVer1BackingInfo": ("RDM", "file_name"),
}
_PREFERRED = ("vlan_id", "vswitch", "security", "effective_security")


@dataclass(frozen=True, slots=True)
class Shown:
    """``summary``: one line (``1 → 4``); ``details``: lines under it (fields, a diff); ``cut``: something was
    left out that ``--wide`` shows."""

    summary: str
    details: tuple[str, ...] = ()
    cut: bool = False


class Values:
    """Formats values for people: strings bare when unambiguous, morefs as names, long values cut."""

    def __init__(self, names: Mapping[str, str] | None = None, *, wide: bool = False) -> None:
        self.names = names or {}
        self.wide = wide
        self.cut = False

    def name(self, value: str) -> str | None:
        name = self.names.get(value)
        if name is None or name == value:
            return None
        return f"{name} ({value})" if self.wide else name

    def __call__(self, value: Any, *, limit: int = VALUE_CHARS) -> str:
        if value is None:
            return "-"
        if isinstance(value, str):
            named = self.name(value)
            shown = named if named is not None else value if _bare(value) else json.dumps(value, ensure_ascii=False)
        elif isinstance(value, list) and all(isinstance(v, str) for v in value) and any(v in self.names for v in value):
            shown = "[" + ", ".join(self.name(v) or json.dumps(v, ensure_ascii=False) for v in value) + "]"
        else:
            shown = json.dumps(value, sort_keys=True, ensure_ascii=False, separators=(", ", ": "))
        return self.shorten(shown, limit)

    def shorten(self, shown: str, limit: int = VALUE_CHARS) -> str:
        if self.wide or len(shown) <= limit:
            return shown
        self.cut = True
        return shown[: limit - 1] + "…"


_AMBIGUOUS = re.compile(
    r"-?(?:0|[1-9][0-9]*)(?:\.[0-9]+)?(?:[eE][+-]?[0-9]+)?|true|false|null|-|.*→.*|[\"'\[{].*|.*[\"']"
)


def _bare(value: str) -> bool:
    """Whether a string reads unambiguously without quotes: not empty, no outer spaces, not a number, a JSON
    word, a quote or bracket at either end, nor an arrow."""
    return bool(value) and value == value.strip() and value.isprintable() and not _AMBIGUOUS.fullmatch(value)


def describe(change: LogicalChange, names: Mapping[str, str] | None = None, *, wide: bool = False) -> Shown:
    """The words for one logical change (see the module docstring)."""
    values = Values(names, wide=wide)
    if change.path.startswith("ha_agent.files["):
        shown = _agent_file(change, values)
    elif change.path.startswith("devices[") and _backing_changed(change):
        shown = _device(change, values)
    elif change.change in {"added", "removed"} and isinstance(
        change.new if change.change == "added" else change.old, dict
    ):
        shown = _entry(change, values)
    elif change.fields:
        lines = [f"{sub}: {values(_at(change.old, sub))} → {values(_at(change.new, sub))}" for sub in change.fields]
        shown = Shown(lines[0] if len(lines) == 1 else f"{len(lines)} fields", tuple(lines) if len(lines) > 1 else ())
    elif change.change == "renamed":  # names are never cut, and shown as they are (the renderer escapes them)
        shown = Shown(f"{change.old} → {change.new}")
    elif change.change == "added":
        shown = Shown(f"+ {values(change.new)}")
    elif change.change == "removed":
        shown = Shown(f"- {values(change.old)}")
    else:
        shown = Shown(f"{values(change.old)} → {values(change.new)}")
    return Shown(shown.summary, shown.details, shown.cut or values.cut)


def _whole(change: LogicalChange) -> Any:
    return change.new if change.change == "added" else change.old


def _at(value: Any, sub: str) -> Any:
    for part in sub.split("."):
        value = value.get(part) if isinstance(value, dict) else None
    return value


def _backing_changed(change: LogicalChange) -> bool:
    if change.change in {"added", "removed"}:
        device = change.new if change.change == "added" else change.old
        return isinstance(device, dict) and isinstance(device.get("backing"), dict)
    return "backing.type" in change.fields


def _backing(backing: Any, values: Values) -> str:
    if not isinstance(backing, dict) or not backing.get("type"):
        return "none"
    kind = str(backing["type"])
    what, which = _BACKINGS.get(kind, (kind.removeprefix("Virtual").removesuffix("BackingInfo"), None))
    detail = backing.get(which) if which else None
    if detail is None:
        detail = backing.get("file_name") or backing.get("device_name")
    return f"{what} {values.shorten(str(values.name(detail) or detail))}" if detail else what


def _device(change: LogicalChange, values: Values) -> Shown:
    old = change.old if isinstance(change.old, dict) else {}
    new = change.new if isinstance(change.new, dict) else {}
    if change.change == "added":
        return Shown(f"+ {new.get('type', 'device')}: {_backing(new.get('backing'), values)}")
    if change.change == "removed":
        return Shown(f"- {old.get('type', 'device')}: {_backing(old.get('backing'), values)}")
    summary = f"{_backing(old.get('backing'), values)} → {_backing(new.get('backing'), values)}"
    rest = [
        f"{sub}: {values(_at(old, sub))} → {values(_at(new, sub))}"
        for sub in change.fields
        if not sub.startswith("backing.")
    ]
    return Shown(summary, tuple(rest))


def _fields_of(change: LogicalChange) -> tuple[dict[str, Any], dict[str, Any]]:
    """The entry's old and new fields: a merged change has them; a lone field of an entry is one of them."""
    sub = unit_path(change.path)[1] if not change.fields else ""
    if sub and "." not in sub:
        return {sub: change.old}, {sub: change.new}
    old = change.old if isinstance(change.old, dict) else {}
    new = change.new if isinstance(change.new, dict) else {}
    return old, new


def _agent_file(change: LogicalChange, values: Values) -> Shown:
    old, new = _fields_of(change)
    if change.change == "added":
        old = {}
    parts = []
    if "size" in new or "size" in old:
        if change.change == "removed":
            parts.append(f"removed ({old.get('size', '?')} bytes)")
        elif change.change == "added":
            parts.append(f"added ({new.get('size', '?')} bytes)")
        else:
            parts.append(f"{old.get('size', '?')} → {new.get('size', '?')} bytes")
    if "sha256" in new and "sha256" in old and change.change == "modified":
        parts.append(f"sha256 {str(old['sha256'])[:12]} → {str(new['sha256'])[:12]}")
    others = [k for k in sorted({*old, *new}) if k not in {"size", "sha256", "text"}]
    if change.change == "modified":
        parts += [f"{k}: {values(old.get(k))} → {values(new.get(k))}" for k in others]
    else:  # a whole file: its fields as they are
        whole = new if change.change == "added" else old
        parts += [f"{k}: {values(whole.get(k))}" for k in others]
    lines = list(_text_diff(old.get("text"), new.get("text")))
    cut = not values.wide and len(lines) > DIFF_LINES
    if cut:
        lines = [*lines[:DIFF_LINES], f"… {len(lines) - DIFF_LINES} more diff lines (--wide shows all)"]
    return Shown(", ".join(parts) or change.change, tuple(lines), cut)


def _text_diff(old: Any, new: Any) -> Iterator[str]:
    if not isinstance(old, str) and not isinstance(new, str):
        return
    before = old.splitlines() if isinstance(old, str) else []
    after = new.splitlines() if isinstance(new, str) else []
    diff = difflib.unified_diff(before, after, lineterm="", n=1)
    for line in diff:
        if not line.startswith(("---", "+++")):
            yield line


def _leaves(value: Any, prefix: str = "") -> Iterator[tuple[str, Any]]:
    """Dotted paths to the set scalar leaves of a nested dict (None, [] and {} are left out)."""
    if isinstance(value, dict):
        for key in sorted(value):
            yield from _leaves(value[key], f"{prefix}{key}.")
    elif value is not None and value != []:
        yield prefix.rstrip("."), value


def _rank(path: str) -> tuple[int, str]:
    top = path.split(".")[0]
    if "." not in path:
        return (0 if top in _PREFERRED else 1, path)
    return (2 if "security" in path else 3, path)


def _entry(change: LogicalChange, values: Values) -> Shown:
    entry = change.new if change.change == "added" else change.old
    mark = "+" if change.change == "added" else "-"
    leaves = sorted(_leaves(entry), key=lambda leaf: _rank(leaf[0]))
    leaves = [(path, value) for path, value in leaves if path not in {"schema_version", "id", "kind", "name"}]
    lines = [f"{path}: {values(value)}" for path, value in leaves]
    cut = not values.wide and len(lines) > FIELDS
    if cut:
        lines = [*lines[:FIELDS], f"… {len(leaves) - FIELDS} more fields (--wide shows all)"]
    what = "added" if change.change == "added" else "removed"
    return Shown(f"{mark} {what} with {len(leaves)} field{'s' if len(leaves) != 1 else ''}", tuple(lines), cut)
