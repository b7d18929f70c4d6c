"""``VirtualMachine`` → :class:`~driftguard.models.VM` (reference §4-5)."""

from __future__ import annotations

from typing import Any

from driftguard.models import VM, Backing, CpuIdMask, Device, Memory, SnapshotNode, VmCpu
from driftguard.normalize._raw import (
    Inventory,
    RawMap,
    boolean,
    dig,
    integer,
    nonempty,
    objects,
    props,
    ref_id,
    ref_ids,
    text,
    unique_key,
    unknowns_for,
    vtype,
)

_CONFIG_FIELDS = (
    "template",
    "guest_id",
    "guest_full_name",
    "is_64bit",
    "hardware_version",
    "instance_uuid",
    "cpu",
    "memory",
    "devices",
    "networks",
    "ft_role",
)

UNKNOWN_TARGETS: dict[str, tuple[str, ...]] = {
    "name": ("name",),
    "parent": ("datacenter",),
    "config": _CONFIG_FIELDS,
    "resourcePool": (),  # placement is read from runtime.host; the pool is not in the model
    "runtime.host": ("host", "cluster"),
    "runtime.powerState": ("power_state",),
    "runtime.connectionState": (),  # only explains absent configuration
    "runtime.minRequiredEVCModeKey": ("cpu.min_required_evc_mode",),
    "runtime.featureRequirement": ("cpu.feature_requirements", "is_64bit"),
    "runtime.offlineFeatureRequirement": ("cpu.offline_feature_requirements", "is_64bit"),
    "runtime.featureMask": ("cpu.runtime_feature_mask",),
    "datastore": ("datastores",),
    "network": ("networks",),
    "snapshot": ("snapshots", "current_snapshot"),
}

# Guest ids of 64-bit-only guests whose id lacks "64" (reference §4).
_64BIT_WITHOUT_64 = ("vmkernel", "windowsHyperV")


def normalize_vms(inventory: Inventory) -> dict[str, VM]:
    """Every VM (and template) of the inventory, by id."""
    return {vm.id: vm for vm in (normalize_vm(obj, inventory) for obj in inventory.of_type("VirtualMachine"))}


def normalize_vm(obj: RawMap, inventory: Inventory) -> VM:
    """One raw ``VirtualMachine`` object as a :class:`VM`."""
    moref = str(obj.get("moref"))
    p = props(obj)
    config = p.get("config")
    unknowns = unknowns_for(obj, UNKNOWN_TARGETS)
    state = text(p.get("runtime.connectionState"))
    if config is None and "config" not in unknowns and state not in (None, "connected"):
        # An inaccessible/orphaned VM returns no config: say so rather than show every device removed.
        for field in _CONFIG_FIELDS:
            unknowns[field] = f"VmNotAccessible: VM is {state}; vCenter returned no configuration"

    requirements = _requirements(p, "runtime.featureRequirement")
    offline = _requirements(p, "runtime.offlineFeatureRequirement")
    devices = _devices(dig(config, "hardware.device"), inventory)
    host = ref_id(p.get("runtime.host"))
    snapshots, current = _snapshots(p.get("snapshot"))
    return VM(
        id=moref,
        name=text(p.get("name")) or moref,
        unknowns=dict(sorted(unknowns.items())),
        datacenter=inventory.datacenter_name(moref),
        cluster=inventory.cluster_of(host),
        host=host,
        datastores=ref_ids(p.get("datastore")),
        template=boolean(dig(config, "template")) or False,
        power_state=nonempty(p.get("runtime.powerState")),
        guest_id=nonempty(dig(config, "guestId")),
        guest_full_name=nonempty(dig(config, "guestFullName")),
        is_64bit=is_64bit({**offline, **requirements}, dig(config, "guestId"), dig(config, "guestFullName")),
        hardware_version=nonempty(dig(config, "version")),
        instance_uuid=nonempty(dig(config, "instanceUuid")),
        cpu=_cpu(config, p, requirements, offline),
        memory=_memory(config),
        devices=devices,
        networks=sorted({d.backing.network for d in devices.values() if d.backing and d.backing.network}),
        snapshots=snapshots,
        current_snapshot=current,
        ft_role=integer(dig(config, "ftInfo.role")),
    )


def is_64bit(requirements: dict[str, str], guest_id: Any, guest_full_name: Any) -> bool | None:
    """Whether the guest is 64-bit, by the reference's rules (§4), in order.

    1. the runtime feature requirements contain ``cpuid.lm`` (long mode);
    2. the guest id contains ``64`` (or is one of the 64-bit-only ids without it);
    3. the guest's full name ends in ``(64-bit)``.
    None when nothing is known about the guest.
    """
    if "cpuid.lm" in requirements:
        return requirements["cpuid.lm"].endswith(":1")
    gid = nonempty(guest_id)
    full = nonempty(guest_full_name)
    if gid is None and full is None:
        return None
    if gid is not None and ("64" in gid or gid.startswith(_64BIT_WITHOUT_64)):
        return True
    return full is not None and full.rstrip().endswith("(64-bit)")


def _requirements(p: RawMap, path: str) -> dict[str, str]:
    """``runtime.featureRequirement``, ``offlineFeatureRequirement`` or ``featureMask`` as ``{key: value}``."""
    result: dict[str, str] = {}
    for requirement in objects(p.get(path)):
        key = text(requirement.get("key"))
        if key is not None:
            result[key] = text(requirement.get("value")) or ""
    return result


def _cpu(config: Any, p: RawMap, requirements: dict[str, str], offline: dict[str, str]) -> VmCpu:
    allocation = dig(config, "cpuAllocation")
    masks: dict[str, CpuIdMask] = {}
    for mask in objects(dig(config, "cpuFeatureMask")):
        level = integer(mask.get("level"))
        if level is None:
            continue
        vendor = nonempty(mask.get("vendor"))
        masks[f"{level}/{vendor}" if vendor else str(level)] = CpuIdMask(
            level=level,
            vendor=vendor,
            eax=nonempty(mask.get("eax")),
            ebx=nonempty(mask.get("ebx")),
            ecx=nonempty(mask.get("ecx")),
            edx=nonempty(mask.get("edx")),
        )
    affinity = dig(config, "cpuAffinity.affinitySet")
    return VmCpu(
        count=integer(dig(config, "hardware.numCPU")),
        cores_per_socket=integer(dig(config, "hardware.numCoresPerSocket")),
        reservation_mhz=integer(dig(allocation, "reservation")),
        limit_mhz=integer(dig(allocation, "limit")),
        shares_level=nonempty(dig(allocation, "shares.level")),
        shares=integer(dig(allocation, "shares.shares")),
        feature_mask=dict(sorted(masks.items())),
        affinity=sorted(a for a in (integer(x) for x in affinity or []) if a is not None)
        if isinstance(affinity, list)
        else [],
        min_required_evc_mode=nonempty(p.get("runtime.minRequiredEVCModeKey")),
        feature_requirements=sorted(f"{key}={value}" for key, value in requirements.items()),
        offline_feature_requirements=sorted(f"{key}={value}" for key, value in offline.items()),
        runtime_feature_mask=dict(sorted(_requirements(p, "runtime.featureMask").items())),
    )


def _memory(config: Any) -> Memory:
    allocation = dig(config, "memoryAllocation")
    return Memory(
        size_mb=integer(dig(config, "hardware.memoryMB")),
        reservation_mb=integer(dig(allocation, "reservation")),
        limit_mb=integer(dig(allocation, "limit")),
        shares_level=nonempty(dig(allocation, "shares.level")),
        shares=integer(dig(allocation, "shares.shares")),
    )


def _devices(raw_devices: Any, inventory: Inventory) -> dict[str, Device]:
    result: dict[str, Device] = {}
    # in device-key order, so that of two devices with one label the same one keeps the plain label every time
    for device in sorted(objects(raw_devices), key=lambda d: integer(d.get("key")) or 0):
        key = integer(device.get("key"))
        if key is None:
            continue
        label = unique_key(
            result, (text(dig(device, "deviceInfo.label")) or "").strip() or f"device {key}", f"key {key}"
        )
        backing = device.get("backing")
        result[label] = Device(
            key=key,
            type=vtype(device) or "VirtualDevice",
            controller_key=integer(device.get("controllerKey")),
            unit_number=integer(device.get("unitNumber")),
            connected=boolean(dig(device, "connectable.connected")),
            start_connected=boolean(dig(device, "connectable.startConnected")),
            backing=None if backing is None else _backing(backing, inventory),
            capacity_kb=integer(device.get("capacityInKB")),
            shared_bus=nonempty(device.get("sharedBus")),
            mac_address=nonempty(device.get("macAddress")),
            mac_type=nonempty(device.get("addressType")),
        )
    return dict(sorted(result.items()))


def _backing(backing: RawMap, inventory: Inventory) -> Backing:
    backing_type = vtype(backing) or "VirtualDeviceBackingInfo"
    switch_uuid = nonempty(dig(backing, "port.switchUuid"))
    portgroup_key = nonempty(dig(backing, "port.portgroupKey"))
    return Backing(
        type=backing_type,
        device_name=nonempty(backing.get("deviceName")),
        file_name=nonempty(backing.get("fileName")),
        datastore=ref_id(backing.get("datastore")),
        disk_mode=nonempty(backing.get("diskMode")),
        thin=boolean(backing.get("thinProvisioned")),
        compatibility_mode=nonempty(backing.get("compatibilityMode")),
        lun_uuid=nonempty(backing.get("lunUuid")),
        sharing=nonempty(backing.get("sharing")),
        network=_network_label(backing, backing_type, portgroup_key, inventory),
        switch_uuid=switch_uuid,
        portgroup_key=portgroup_key,
        service_uri=nonempty(backing.get("serviceURI")),
    )


def _network_label(backing: RawMap, backing_type: str, portgroup_key: str | None, inventory: Inventory) -> str | None:
    """The network label a NIC is on: what must exist, by that name, wherever the VM moves."""
    if backing_type == "VirtualEthernetCardNetworkBackingInfo":
        return nonempty(backing.get("deviceName")) or inventory.name(ref_id(backing.get("network")))
    if backing_type == "VirtualEthernetCardDistributedVirtualPortBackingInfo":
        # Unresolvable keys stay visible (as the key) instead of vanishing from the label list.
        return text(props(inventory.dvpg(portgroup_key)).get("name")) or portgroup_key
    if backing_type == "VirtualEthernetCardOpaqueNetworkBackingInfo":
        return nonempty(backing.get("opaqueNetworkId"))
    return None


def _snapshots(info: Any) -> tuple[dict[str, SnapshotNode], str | None]:
    """The snapshot tree flattened into name-keyed nodes that point at their parent's key."""
    nodes: dict[str, SnapshotNode] = {}
    by_ref: dict[str, str] = {}

    def walk(trees: Any, parent: str | None) -> None:
        for tree in objects(trees):
            ident = integer(tree.get("id"))
            if ident is None:
                continue
            name = text(tree.get("name")) or f"snapshot {ident}"
            key = unique_key(nodes, name, f"id {ident}")
            nodes[key] = SnapshotNode(
                id=ident,
                name=name,
                description=nonempty(tree.get("description")),
                created=text(tree.get("createTime")),
                state=nonempty(tree.get("state")),
                parent=parent,
            )
            ref = ref_id(tree.get("snapshot"))
            if ref is not None:
                by_ref[ref] = key
            walk(tree.get("childSnapshotList"), key)

    walk(dig(info, "rootSnapshotList"), None)
    return dict(sorted(nodes.items())), by_ref.get(ref_id(dig(info, "currentSnapshot")) or "")
