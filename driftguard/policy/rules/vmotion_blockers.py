"""DG-VMOTION-001."""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterator
from typing import Literal

from driftguard.models import VM, Device, Finding, Host, Snapshot
from driftguard.policy.base import Rule, RuleParams
from driftguard.policy.context import RuleContext

Blocker = Literal[
    "removable-media",
    "serial-parallel",
    "scsi-passthrough",
    "pci-usb",
    "bus-sharing",
    "cpu-affinity",
    "network-missing",
    "private-vswitch",
    "cpu-mask",
    "cpu-compatibility",
]

_REMOTE_OR_DEVICE = ("AtapiBackingInfo", "PassthroughBackingInfo", "DeviceBackingInfo", "RemoteAtapiBackingInfo")


class VmotionBlockersParams(RuleParams):
    skip: list[Blocker] = []
    """Blocker kinds not to report (e.g. ``cpu-mask`` where EVC makes masks irrelevant)."""


class VmotionBlockers(Rule):
    """VMs that cannot be moved with vMotion, every blocker of a VM reported together.

    *Why*: Chapter 5, "VMotion", lists the points of failure that keep a VM where it is: CPU masks that do not
    match, a connected CD-ROM or floppy, a target without the proper networks, a source vSwitch without an active
    pNIC ("VMotion with Private vSwitches", Figure 5.3), serial port and SCSI pass-through, and, for a 64-bit VM,
    a target of another processor type and family ("Enhanced VMotion Capability (EVC)"). A VM that cannot move
    cannot be evacuated by DRS or for maintenance, and "VMware Hot Migration Failures" warns that a mask "changed
    accidentally or even purposefully" surfaces only when you need vMotion most. The device list follows the
    vSphere API reference §5 (host- or client-backed CD/DVD and floppy, device- or file-backed serial and parallel
    ports, SCSI/PCI/USB pass-through, bus-sharing SCSI controllers, CPU affinity).

    *Non-compliant*: ``web01`` has ``CD/DVD drive 1`` connected with an ``AtapiBackingInfo`` (the host's drive)
    and ``Serial port 1`` backed by ``/dev/ttyS0``: one finding, "web01 cannot vMotion: CD-ROM (CD/DVD drive 1)
    connected to host device /dev/cdrom; Serial port 1 on /dev/ttyS0".

    *Compliant*: the CD-ROM is disconnected or backed by an ISO on a datastore, serial ports use a network
    (URI) backing, every NIC's label exists on every host of the cluster, and the cluster uses EVC.
    """

    id = "DG-VMOTION-001"
    name = "vmotion-blockers"
    severity = "medium"
    tags = ("vmotion", "availability", "drs")
    Params = VmotionBlockersParams

    def check(self, snapshot: Snapshot, context: RuleContext, params: VmotionBlockersParams) -> Iterator[Finding]:
        index = context.index
        usual_masks = {cid: _usual_mask(vms) for cid, vms in _vms_by_cluster(snapshot, context).items()}
        for vm in sorted(snapshot.vms.values(), key=lambda v: v.name):
            if vm.template:
                continue
            blockers: list[tuple[Blocker, str]] = list(_device_blockers(vm))
            host = snapshot.hosts.get(vm.host or "")
            cluster_id = index.cluster_of(vm)
            peers = [h for h in index.hosts_by_cluster.get(cluster_id or "", []) if host and h.id != host.id]
            if host is not None:
                blockers += _network_blockers(vm, host, peers, context)
            if cluster_id and vm.cpu.feature_mask and usual_masks.get(cluster_id) is not None:
                mask = _mask_key(vm)
                if mask != usual_masks[cluster_id]:
                    blockers.append(("cpu-mask", "CPU feature mask differs from the cluster's usual mask"))
            cluster = snapshot.clusters.get(cluster_id or "")
            # EVC masks applied to the VM itself (runtime.featureMask: per-VM EVC) make it movable between CPU
            # generations without the cluster's EVC
            per_vm_evc = bool(vm.cpu.runtime_feature_mask)
            if cluster is not None and vm.is_64bit and not cluster.evc_mode and not per_vm_evc and host is not None:
                cpus = {_cpu_generation(h) for h in [host, *peers] if h.cpu.vendor or h.cpu.model}
                if len(cpus) > 1:
                    blockers.append(("cpu-compatibility", "64-bit VM in a cluster of mixed CPUs without EVC"))
            blockers = [(kind, text) for kind, text in blockers if kind not in params.skip]
            if blockers:
                texts = [text for _, text in blockers]
                yield self.finding(
                    snapshot,
                    vm,
                    f"{vm.name} cannot vMotion: {'; '.join(texts)}",
                    evidence={"blockers": [{"kind": k, "detail": t} for k, t in blockers]},
                    related=[h.id for h in peers] if any(k == "network-missing" for k, _ in blockers) else (),
                )


def _vms_by_cluster(snapshot: Snapshot, context: RuleContext) -> dict[str, list[VM]]:
    out: dict[str, list[VM]] = {}
    for vm in snapshot.vms.values():
        cid = context.index.cluster_of(vm)
        if cid and not vm.template:
            out.setdefault(cid, []).append(vm)
    return out


def _mask_key(vm: VM) -> tuple[tuple[str, str], ...]:
    return tuple(sorted((k, m.model_dump_json()) for k, m in vm.cpu.feature_mask.items()))


def _usual_mask(vms: list[VM]) -> tuple[tuple[str, str], ...] | None:
    """The mask most VMs of the cluster carry; None when there is no clear majority (no "usual" mask)."""
    counts = Counter(_mask_key(vm) for vm in vms)
    if not counts:
        return None
    (top, n), *rest = counts.most_common(2)
    if rest and rest[0][1] == n:
        return None
    return top


def _cpu_generation(host: Host) -> tuple[str, str]:
    return ((host.cpu.vendor or "").lower(), host.evc.max_mode or host.cpu.model or "")


def _backing_type(device: Device) -> str:
    return device.backing.type if device.backing else ""


def _device_blockers(vm: VM) -> Iterator[tuple[Blocker, str]]:
    for label, dev in sorted(vm.devices.items()):
        backing = _backing_type(dev)
        where = dev.backing.device_name if dev.backing and dev.backing.device_name else None
        if dev.type in ("VirtualCdrom", "VirtualFloppy"):
            if dev.connected and backing.endswith(_REMOTE_OR_DEVICE):
                what = "CD-ROM" if dev.type == "VirtualCdrom" else "floppy"
                source = "client" if "Remote" in backing else "host"
                device = f" {where}" if where and source == "host" else ""
                yield "removable-media", f"{what} ({label}) connected to {source} device{device}"
        elif dev.type in ("VirtualSerialPort", "VirtualParallelPort"):
            if dev.connected is not False and backing.endswith(("DeviceBackingInfo", "FileBackingInfo")):
                target = where or (dev.backing.file_name if dev.backing else None) or "a host device"
                what = "serial port" if dev.type == "VirtualSerialPort" else "parallel port"
                named = label if label.lower().startswith(what) else f"{what} ({label})"
                yield "serial-parallel", f"{named} on {target}"
        elif dev.type == "VirtualSCSIPassthrough":
            yield "scsi-passthrough", f"{label} passes through {where or 'a host SCSI device'}"
        elif dev.type == "VirtualPCIPassthrough":
            yield "pci-usb", f"{label} passes through {where or 'a host PCI device'}"
        elif dev.type == "VirtualUSB" and "Remote" not in backing and backing:
            yield "pci-usb", f"{label} is a host USB device"
        elif dev.shared_bus not in (None, "noSharing"):
            yield "bus-sharing", f"{label} shares its SCSI bus ({dev.shared_bus})"
    if vm.cpu.affinity:
        yield "cpu-affinity", f"CPU affinity set ({', '.join(map(str, vm.cpu.affinity))})"


def _network_blockers(vm: VM, host: Host, peers: list[Host], context: RuleContext) -> Iterator[tuple[Blocker, str]]:
    index = context.index
    for label in vm.networks:
        pg = host.network.portgroups.get(label)
        if pg is not None:
            vswitch = host.network.vswitches.get(pg.vswitch)
            if vswitch is not None and not vswitch.uplinks:
                yield "private-vswitch", f"NIC on {label!r}, a private vSwitch ({pg.vswitch}) without uplinks"
        missing = sorted(p.name for p in peers if label not in index.vm_labels(p))
        if missing and (pg is not None or label in index.dvs_labels(host)):
            yield "network-missing", f"network {label!r} missing on {', '.join(missing)}"
