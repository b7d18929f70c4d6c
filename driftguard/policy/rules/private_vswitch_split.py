"""DG-NET-003."""

from __future__ import annotations

from collections.abc import Iterator

from driftguard.models import VM, Finding, Snapshot
from driftguard.policy.base import NoParams, Rule, join_names
from driftguard.policy.context import RuleContext


class PrivateVswitchSplit(Rule):
    """VMs that talk over a private vSwitch (no uplink) but run on different hosts, so they cannot reach each other.

    *Why*: Chapter 5, "Isolation", Figure 5.11: "having VMs on private networks grouped across different hosts
    where no interconnect exists, but the network label exists" — after an HA restart "neither of the rebooted
    VMs can talk to each other because the Private Network has no physical NIC attached to it". Virtual
    firewalls (Figure 5.3) are the usual reason for private vSwitches, so the split silently breaks the
    protected path or invites someone to "fix" it by uplinking the inner network.

    *Non-compliant*: ``fw01`` on ``esx01`` and ``app01`` on ``esx02`` both use ``Inner-Net``, a portgroup of
    ``vSwitch9`` which has no uplinks on either host.

    *Compliant*: all VMs of a private network run on one host (keep them together with a DRS VM-VM affinity
    rule), or the network has an uplink.
    """

    id = "DG-NET-003"
    name = "private-vswitch-split"
    severity = "medium"
    tags = ("network", "ha", "figure-5.11")

    def check(self, snapshot: Snapshot, context: RuleContext, params: NoParams) -> Iterator[Finding]:
        index = context.index
        for cluster_id, hosts in sorted(index.hosts_by_cluster.items()):
            cluster = snapshot.clusters.get(cluster_id)
            if cluster is None:
                continue
            users: dict[str, dict[str, list[VM]]] = {}
            for host in hosts:
                for vm in index.vms_by_host.get(host.id, []):
                    for label in vm.networks:
                        pg = host.network.portgroups.get(label)
                        vswitch = host.network.vswitches.get(pg.vswitch) if pg else None
                        if vswitch is not None and not vswitch.uplinks:
                            users.setdefault(label, {}).setdefault(host.name, []).append(vm)
            for label, by_host in sorted(users.items()):
                if len(by_host) < 2:
                    continue
                placement = "; ".join(f"{h}: {join_names(v.name for v in vms)}" for h, vms in sorted(by_host.items()))
                yield self.finding(
                    snapshot,
                    cluster,
                    f"cluster {cluster.name}: VMs on private network {label!r} are split across hosts "
                    f"({placement}) and cannot reach each other",
                    path=f'network.portgroups["{label}"]',
                    evidence={"placement": {h: sorted(v.name for v in vms) for h, vms in by_host.items()}},
                    related=[v.id for vms in by_host.values() for v in vms],
                )
