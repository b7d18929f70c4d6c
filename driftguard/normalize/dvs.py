"""Distributed switches with their portgroups → :class:`~driftguard.models.DvSwitch`."""

from __future__ import annotations

from typing import Any

from driftguard.models import DvPortgroup, DvSwitch, Vlan
from driftguard.normalize._policy import dvs_policy
from driftguard.normalize._raw import (
    Inventory,
    RawMap,
    boolean,
    dig,
    integer,
    missing,
    nonempty,
    objects,
    props,
    ref_id,
    text,
    unique_key,
    unknowns_for,
    vtype,
)

SWITCH_TYPES = ("VmwareDistributedVirtualSwitch", "DistributedVirtualSwitch")
"""Concrete types a vCenter (``Vmware…``) or the simulator (the base type) reports for switches."""

UNKNOWN_TARGETS: dict[str, tuple[str, ...]] = {
    "name": ("name",),
    "parent": ("datacenter",),
    "uuid": ("uuid",),
    "config": ("version", "mtu", "uplink_names", "hosts", "policy"),
}

# A portgroup's unknowns land on its switch, under the portgroup's canonical path.
_PORTGROUP_TARGETS: dict[str, tuple[str, ...]] = {"config": ("",), "key": ("key",), "name": ("",)}


def normalize_dvswitches(inventory: Inventory) -> dict[str, DvSwitch]:
    """Every distributed switch of the inventory with its portgroups, by id."""
    portgroups: dict[str, list[RawMap]] = {}
    for group in inventory.of_type("DistributedVirtualPortgroup"):
        switch_id = ref_id(dig(props(group).get("config"), "distributedVirtualSwitch"))
        portgroups.setdefault(switch_id or "", []).append(group)
    switches = {
        switch.id: switch
        for switch in (
            normalize_dvswitch(obj, portgroups.get(str(obj.get("moref")), []), inventory)
            for obj in inventory.of_type(*SWITCH_TYPES)
        )
    }
    # A portgroup whose config (and so its switch) could not be read may belong to any switch of its
    # datacenter: each of them says so, rather than the portgroup vanishing.
    for group in portgroups.get("", []):
        moref = str(group.get("moref"))
        name = text(props(group).get("name")) or moref
        reasons = missing(group)
        reason = reasons.get("config") or next(iter(reasons.values()), "switch of portgroup not readable")
        datacenter = inventory.datacenter_name(moref)
        for candidate in switches.values():
            if candidate.datacenter == datacenter and name not in candidate.portgroups:
                candidate.unknowns[f'portgroups["{name}"]'] = f"{reason} (portgroup {moref}, switch unknown)"
    return switches


def normalize_dvswitch(obj: RawMap, portgroups: list[RawMap], inventory: Inventory) -> DvSwitch:
    """One raw switch and its raw ``DistributedVirtualPortgroup`` objects as a :class:`DvSwitch`."""
    moref = str(obj.get("moref"))
    p = props(obj)
    config = p.get("config")
    unknowns = unknowns_for(obj, UNKNOWN_TARGETS)
    groups: dict[str, DvPortgroup] = {}
    for group in portgroups:
        group_moref = str(group.get("moref"))
        gp = props(group)
        name = unique_key(groups, text(gp.get("name")) or group_moref, group_moref)
        groups[name] = _portgroup(gp, group_moref)
        for target, reason in unknowns_for(group, _PORTGROUP_TARGETS).items():
            suffix = f".{target}" if target else ""
            unknowns[f'portgroups["{name}"]{suffix}'] = reason
    hosts = sorted({h for h in (ref_id(dig(member, "config.host")) for member in objects(dig(config, "host"))) if h})
    return DvSwitch(
        id=moref,
        name=text(p.get("name")) or moref,
        unknowns=dict(sorted(unknowns.items())),
        datacenter=inventory.datacenter_name(moref),
        uuid=nonempty(p.get("uuid")) or nonempty(dig(config, "uuid")),
        version=nonempty(dig(config, "productInfo.version")),
        mtu=integer(dig(config, "maxMtu")) or None,
        uplink_names=[n for n in (dig(config, "uplinkPortPolicy.uplinkPortName") or []) if isinstance(n, str)],
        hosts=hosts,
        policy=dvs_policy(dig(config, "defaultPortConfig")),
        portgroups=dict(sorted(groups.items())),
    )


def _portgroup(gp: RawMap, moref: str) -> DvPortgroup:
    config = gp.get("config")
    port = dig(config, "defaultPortConfig")
    return DvPortgroup(
        key=text(gp.get("key")) or text(dig(config, "key")) or moref,
        vlan=vlan(dig(port, "vlan")),
        policy=dvs_policy(port),
        num_ports=integer(dig(config, "numPorts")),
        binding=nonempty(dig(config, "type")),
        uplink=boolean(dig(config, "uplink")) or False,
    )


def vlan(spec: Any) -> Vlan | None:
    """A DVS ``VlanSpec``: a single id (0 = none), trunk ranges or a private VLAN."""
    kind = vtype(spec)
    if kind == "VmwareDistributedVirtualSwitchVlanIdSpec":
        vlan_id = integer(dig(spec, "vlanId"))
        return Vlan(type="none" if not vlan_id else "vlan", vlan_id=vlan_id)
    if kind == "VmwareDistributedVirtualSwitchTrunkVlanSpec":
        ranges = [f"{integer(r.get('start'))}-{integer(r.get('end'))}" for r in objects(dig(spec, "vlanId"))]
        return Vlan(type="trunk", ranges=ranges)
    if kind == "VmwareDistributedVirtualSwitchPvlanSpec":
        return Vlan(type="pvlan", vlan_id=integer(dig(spec, "pvlanId")))
    return None
