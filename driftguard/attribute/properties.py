"""A drift item's vSphere properties and the parent objects whose events can explain it.

The table (:mod:`driftguard.attribute.table`) writes properties with placeholders (``{device}``, ``{rule}``,
``{nics}``, ``{disks}``, ``{key}``); they are resolved here against the old and new snapshots of the object.
"""

from __future__ import annotations

from collections.abc import Callable

from driftguard.attribute.sources import Scope
from driftguard.attribute.table import Rule, captured_key
from driftguard.models import VM, Cluster, DriftItem, DvSwitch, Host, SnapshotObject
from driftguard.models.paths import render_key

Objects = tuple[SnapshotObject | None, SnapshotObject | None]
"""The drifted object in the old and the new snapshot."""


def _device_keys(label: int | str | None, objects: Objects) -> list[int | str]:
    return sorted({o.devices[label].key for o in objects if isinstance(o, VM) and label in o.devices})


def _rule_keys(name: int | str | None, objects: Objects) -> list[int | str]:
    keys = {o.drs.rules[name].key for o in objects if isinstance(o, Cluster) and name in o.drs.rules}
    return sorted(k for k in keys if k is not None)


def _nic_keys(_: int | str | None, objects: Objects) -> list[int | str]:
    return sorted(
        {
            device.key
            for o in objects
            if isinstance(o, VM)
            for device in o.devices.values()
            if device.backing and (device.backing.network or device.backing.portgroup_key)
        }
    )


def _disk_keys(_: int | str | None, objects: Objects) -> list[int | str]:
    return sorted(
        {
            device.key
            for o in objects
            if isinstance(o, VM)
            for device in o.devices.values()
            if device.backing and (device.backing.datastore or device.backing.file_name)
        }
    )


def _the_key(key: int | str | None, _: Objects) -> list[int | str]:
    return [] if key is None else [key]


_RESOLVERS: dict[str, Callable[[int | str | None, Objects], list[int | str]]] = {
    "key": _the_key,
    "device": _device_keys,
    "rule": _rule_keys,
    "nics": _nic_keys,
    "disks": _disk_keys,
}


def item_properties(rule: Rule, path: str, objects: Objects) -> list[str]:
    """The vSphere property paths behind one drift item, placeholders resolved against the snapshots.

    A placeholder that resolves to nothing (a label in neither snapshot) leaves the collection as a whole.
    """
    key = captured_key(rule, path)
    properties: list[str] = []
    for template in rule.properties:
        prefix, brace, rest = template.partition("[{")
        if not brace:
            properties.append(template)
            continue
        name, _, suffix = rest.partition("}]")
        keys = _RESOLVERS[name](key, objects)
        properties.extend(f"{prefix}[{render_key(k)}]{suffix}" for k in keys)
        if not keys:
            properties.append(prefix)
    return properties


def scope_ids(scope: Scope, item: DriftItem, key: int | str | None, objects: Objects) -> set[str]:
    if scope == "self":
        return {item.id}
    ids: set[str] = set()
    for o in objects:
        if scope == "cluster" and isinstance(o, VM | Host) and o.cluster:
            ids.add(o.cluster)
        elif scope == "host" and isinstance(o, VM) and o.host:
            ids.add(o.host)
        elif scope == "member_hosts" and isinstance(o, Cluster):
            ids.update(o.hosts)
        elif scope == "portgroup" and isinstance(o, DvSwitch) and isinstance(key, str) and key in o.portgroups:
            ids.add(o.portgroups[key].key)
    return ids
