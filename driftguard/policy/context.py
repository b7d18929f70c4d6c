"""What a rule sees besides the snapshot: drift since the previous snapshot, the event history, the zones, and
indexes of the snapshot built once per check (VMs by host, hosts by cluster, network labels per host ...)."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass, field
from functools import cached_property

from driftguard.models import VM, BundleLogs, DriftItem, History, Host, Snapshot
from driftguard.policy.zones import ZoneConfig


class SnapshotIndex:
    """Lookups every placement rule needs, computed lazily and once per snapshot."""

    def __init__(self, snapshot: Snapshot, zones: ZoneConfig) -> None:
        self.snapshot = snapshot
        self.zones = zones

    @cached_property
    def hosts_by_cluster(self) -> dict[str, list[Host]]:
        """Member hosts per cluster id, by name (from the hosts' ``cluster``, else the cluster's ``hosts``)."""
        out: dict[str, dict[str, Host]] = defaultdict(dict)
        for host in self.snapshot.hosts.values():
            if host.cluster:
                out[host.cluster][host.id] = host
        for cluster in self.snapshot.clusters.values():
            for host_id in cluster.hosts:
                member = self.snapshot.hosts.get(host_id)
                if member is not None:
                    out[cluster.id][member.id] = member
        return {cid: sorted(hosts.values(), key=lambda h: h.name) for cid, hosts in out.items()}

    @cached_property
    def vms_by_host(self) -> dict[str, list[VM]]:
        out: dict[str, list[VM]] = defaultdict(list)
        for vm in sorted(self.snapshot.vms.values(), key=lambda v: v.name):
            if vm.host and not vm.template:
                out[vm.host].append(vm)
        return dict(out)

    @cached_property
    def vms_by_datastore(self) -> dict[str, list[VM]]:
        out: dict[str, list[VM]] = defaultdict(list)
        for vm in sorted(self.snapshot.vms.values(), key=lambda v: v.name):
            for ds in vm.datastores:
                out[ds].append(vm)
        return dict(out)

    def cluster_of(self, vm: VM) -> str | None:
        if vm.cluster:
            return vm.cluster
        host = self.snapshot.hosts.get(vm.host or "")
        return host.cluster if host else None

    @cached_property
    def _dvs_labels(self) -> dict[str | None, list[tuple[set[str], set[str]]]]:
        """Per datacenter: (member host ids, portgroup names) of each distributed switch."""
        out: dict[str | None, list[tuple[set[str], set[str]]]] = defaultdict(list)
        for dvs in self.snapshot.dvswitches.values():
            names = {name for name, pg in dvs.portgroups.items() if not pg.uplink}
            out[dvs.datacenter].append((set(dvs.hosts), names))
        return out

    def dvs_labels(self, host: Host) -> set[str]:
        """Distributed portgroup names available on ``host``.

        A switch whose member list is empty (membership not collected, as in the simulator) is taken to reach
        every host of its datacenter, so its labels never read as missing.
        """
        labels: set[str] = set()
        for members, names in self._dvs_labels.get(host.datacenter, []):
            if not members or host.id in members:
                labels |= names
        return labels

    @cached_property
    def _vmkernel_portgroups(self) -> dict[str, set[str]]:
        return {
            h.id: {nic.portgroup for nic in h.network.vmkernel_nics.values() if nic.portgroup}
            for h in self.snapshot.hosts.values()
        }

    @cached_property
    def _vm_labels(self) -> dict[str, frozenset[str]]:
        return {
            h.id: frozenset(set(h.network.portgroups) - self._vmkernel_portgroups.get(h.id, set()) | self.dvs_labels(h))
            for h in self.snapshot.hosts.values()
        }

    def vm_labels(self, host: Host) -> frozenset[str]:
        """Network labels a VM can attach to on ``host``: standard portgroups without a VMkernel port, plus
        distributed portgroups."""
        return self._vm_labels[host.id]

    @cached_property
    def vm_zone(self) -> dict[str, str | None]:
        return {vm.id: self.zones.vm_zone(vm.name, vm.networks) for vm in self.snapshot.vms.values()}

    @cached_property
    def host_zone(self) -> dict[str, str | None]:
        return {h.id: self.zones.host_zone(h.name) for h in self.snapshot.hosts.values()}

    @cached_property
    def datastore_zone(self) -> dict[str, str | None]:
        return {d.id: self.zones.datastore_zone(d.name) for d in self.snapshot.datastores.values()}


@dataclass(frozen=True)
class RuleContext:
    """Everything besides the snapshot a rule may read. Built by the engine; rules never do I/O."""

    index: SnapshotIndex
    drift: Sequence[DriftItem] = ()
    """History drift from the previous snapshot to this one, attributed (empty for a first snapshot)."""
    history: History | None = None
    """vCenter events and tasks of the window the drift happened in; None when none were read."""
    zones: ZoneConfig = field(default_factory=ZoneConfig)
    bundles: Sequence[BundleLogs] = ()
    """Log lines of imported vm-support bundles (``import-bundle``), read by the ``DG-EVIDENCE-*`` rules."""

    @classmethod
    def build(
        cls,
        snapshot: Snapshot,
        *,
        drift: Sequence[DriftItem] = (),
        history: History | None = None,
        zones: ZoneConfig | None = None,
        bundles: Sequence[BundleLogs] = (),
    ) -> RuleContext:
        zones = zones or ZoneConfig()
        return cls(
            index=SnapshotIndex(snapshot, zones),
            drift=tuple(drift),
            history=history,
            zones=zones,
            bundles=tuple(bundles),
        )
