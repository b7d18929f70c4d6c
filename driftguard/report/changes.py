"""Drift items → logical changes: what a person reads as one change, as pure functions over :class:`DriftItem` lists.

The diff engine reports one item per changed leaf, which is right for JSON and for baselines but not for a
reader: one CD-ROM re-pointed at an ISO is three items (``backing.device_name``, ``backing.file_name``,
``backing.type``), one HA agent file edit is three (``sha256``, ``size``, ``text``). Two steps put them back
together:

- :func:`logical_changes`: the items of one object under one entry of a keyed collection (``devices["CD/DVD
  drive 1"]``, ``ha_agent.files["/etc/opt/vmware/fdm/fdm.cfg"]``, ``network.portgroups["DMZ"]``), explained by the
  same event, become one :class:`LogicalChange` whose ``old``/``new`` are the changed fields of that entry;
- :func:`group_identical`: the same change (path, old, new) by the same user on the same day on many objects
  becomes one change listing those objects ("memory.size_mb 32 → 4096 on 150 VMs · zoe · 2026-11-30").

Names for morefs (a VM's ``cluster`` is ``clustercomputeresource-27``) come from :func:`names_from_snapshot` or,
for the objects a report already names, :func:`names_from_items`.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any

from driftguard.models import SEVERITIES, Attribution, DriftItem, Snapshot
from driftguard.models.paths import Key, PathError, parse, render

GROUP_MIN = 3
"""Identical changes on at least this many objects are shown as one change."""


@dataclass(frozen=True, slots=True)
class ObjectRef:
    """One object a change was seen on."""

    vcenter: str
    kind: str
    id: str
    name: str


@dataclass(frozen=True, slots=True)
class LogicalChange:
    """One change as a reader sees it: one or more drift items of one entry, on one or more objects.

    ``path`` is the entry's path (``devices["CD/DVD drive 1"]``) or the item's own path when it stands alone;
    ``fields`` are the changed sub-paths relative to it (``("backing.type", ...)``, empty for a single item), and
    ``old``/``new`` the values at ``path`` as far as the items tell: for a merged entry, a dict of only the
    changed fields. ``objects`` has one entry, or several when identical changes were grouped.
    """

    objects: tuple[ObjectRef, ...]
    change: str
    path: str
    old: Any
    new: Any
    severity: str
    attribution: Attribution | None
    items: tuple[DriftItem, ...]
    fields: tuple[str, ...] = ()
    approved: bool | None = None
    baseline: str | None = None
    attributions: tuple[Attribution | None, ...] = field(default=())
    """Every object's attribution when grouped (``attribution`` is the first)."""

    @property
    def kind(self) -> str:
        return self.objects[0].kind

    @property
    def grouped(self) -> bool:
        return len(self.objects) > 1


def unit_path(path: str) -> tuple[str, str]:
    """(entry path, sub-path) of a drift path: the entry is everything up to the last collection key that has
    fields after it. ``devices["CD/DVD drive 1"].backing.type`` → (``devices["CD/DVD drive 1"]``,
    ``backing.type``); ``ha.options["das.isolationaddress0"]`` stays whole (its key is the leaf)."""
    try:
        segments = parse(path)
    except PathError:
        return path, ""
    last = max((i for i, seg in enumerate(segments) if isinstance(seg, Key) and i < len(segments) - 1), default=-1)
    if last < 0:
        return path, ""
    return render(segments[: last + 1]), render(segments[last + 1 :])


def _event_identity(attribution: Attribution | None) -> tuple[Any, ...]:
    if attribution is None:
        return (None,)
    return (attribution.status, attribution.user, attribution.event_type, attribution.event_key, attribution.time)


def _severity(items: Iterable[DriftItem]) -> str:
    return max((item.severity for item in items), key=SEVERITIES.index)


def _set_in(target: dict[str, Any], sub_path: str, value: Any) -> None:
    """Put ``value`` at the dotted ``sub_path`` of a nested dict (sub-paths of one entry are plain fields)."""
    node = target
    parts = sub_path.split(".")
    for part in parts[:-1]:
        child = node.get(part)
        if not isinstance(child, dict):
            child = node[part] = {}
        node = child
    node[parts[-1]] = value


def _merge(items: Sequence[DriftItem], entry: str, subs: Sequence[str]) -> LogicalChange:
    first = items[0]
    ref = ObjectRef(first.vcenter, first.kind, first.id, first.name)
    if len(items) == 1:  # one field of an entry: its full path says more than the entry's
        return LogicalChange(
            objects=(ref,), change=first.change, path=first.path, old=first.old, new=first.new,
            severity=first.severity, attribution=first.attribution, items=(first,), approved=first.approved,
            baseline=first.baseline, attributions=(first.attribution,),
        )  # fmt: skip
    old: dict[str, Any] = {}
    new: dict[str, Any] = {}
    for item, sub in zip(items, subs, strict=True):
        _set_in(old, sub, item.old)
        _set_in(new, sub, item.new)
    approvals = {item.approved for item in items}
    return LogicalChange(
        objects=(ref,),
        change="modified",
        path=entry,
        old=old,
        new=new,
        severity=_severity(items),
        attribution=first.attribution,
        items=tuple(items),
        fields=tuple(subs),
        approved=(False if False in approvals else first.approved) if len(approvals) > 1 else first.approved,
        baseline=first.baseline,
        attributions=(first.attribution,),
    )


def logical_changes(items: Sequence[DriftItem]) -> list[LogicalChange]:
    """One :class:`LogicalChange` per entry of a keyed collection changed on one object by one event, in the
    order the entries first appear; a change of a whole entry (added, removed) or of a plain field stays alone."""
    units: dict[tuple[Any, ...], list[tuple[DriftItem, str]]] = {}
    for item in items:
        entry, sub = unit_path(item.path) if item.change == "modified" else (item.path, "")
        key: tuple[Any, ...] = (item.vcenter, item.kind, item.id, entry, _event_identity(item.attribution))
        if not sub:
            key = (*key, "alone", len(units))  # never merged: a whole value, or a plain field
        units.setdefault(key, []).append((item, sub))
    out = []
    for members in units.values():
        first, sub = members[0]
        entry = unit_path(first.path)[0] if sub else first.path
        out.append(_merge([item for item, _ in members], entry, [s for _, s in members]))
    return out


def _canonical(value: Any) -> str:
    return json.dumps(value, sort_keys=True, ensure_ascii=False, default=str)


def _group_key(change: LogicalChange) -> tuple[Any, ...]:
    a = change.attribution
    day = a.time.date().isoformat() if a is not None and a.time is not None else None
    who = (a.status, a.user, a.event_type, day) if a is not None else (None,)
    return (
        change.kind, change.change, change.path, _canonical(change.old), _canonical(change.new), change.fields,
        who, change.approved, change.baseline,
    )  # fmt: skip


def group_identical(changes: Sequence[LogicalChange], minimum: int = GROUP_MIN) -> list[LogicalChange]:
    """Identical changes (same kind, path, old and new value, same user and event type on the same day) on at
    least ``minimum`` objects become one change over all of them, placed where the first one was."""
    buckets: dict[tuple[Any, ...], list[LogicalChange]] = {}
    for change in changes:
        buckets.setdefault(_bucket_key(change), []).append(change)
    out: list[LogicalChange] = []
    for change in changes:
        members = buckets[_bucket_key(change)]
        if len(members) < minimum:
            out.append(change)
        elif members[0] is change:  # the group goes where its first member was; the others are in it
            out.append(_combined(members))
    return out


def _bucket_key(change: LogicalChange) -> tuple[Any, ...]:
    return _group_key(change) if change.change != "renamed" and change.path else ("alone", id(change))


def _combined(members: Sequence[LogicalChange]) -> LogicalChange:
    first = members[0]
    return LogicalChange(
        objects=tuple(ref for m in members for ref in m.objects),
        change=first.change,
        path=first.path,
        old=first.old,
        new=first.new,
        severity=_severity(item for m in members for item in m.items),
        attribution=first.attribution,
        items=tuple(item for m in members for item in m.items),
        fields=first.fields,
        approved=first.approved,
        baseline=first.baseline,
        attributions=tuple(a for m in members for a in m.attributions),
    )


def names_from_items(items: Iterable[DriftItem]) -> dict[str, str]:
    """moref → name for every object a report's items name (the new name of a renamed object)."""
    return {item.id: item.name for item in items}


def names_from_snapshot(snapshot: Snapshot) -> dict[str, str]:
    """moref → name for every object of a snapshot: clusters, hosts, VMs, switches, datastores."""
    return {obj.id: obj.name for obj in snapshot.objects()}
