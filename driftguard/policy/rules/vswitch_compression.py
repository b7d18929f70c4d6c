"""DG-NET-002."""

from __future__ import annotations

from collections.abc import Iterator
from itertools import combinations

from driftguard.models import Finding, Host, Snapshot
from driftguard.policy.base import Rule, RuleParams, join_names
from driftguard.policy.context import RuleContext


class VswitchCompressionParams(RuleParams):
    vm_networks_only: bool = True
    """Compare only portgroups VMs can use (no VMkernel port on them); management and vMotion layouts are
    the concern of DG-NET-004/005."""


class VswitchCompression(Rule):
    """Networks that share one vSwitch on some hosts of a cluster but have separate vSwitches on others.

    *Why*: Chapter 5, "Data Commingling", Figure 5.10: "if node A has four network labels all using four
    separate vSwitches, but on node B six network labels are on four vSwitches, data could be commingling".
    A VM that fails over from A to B lands on a vSwitch (and its pNICs) shared with networks it was kept apart
    from; when those networks belong to different security zones, that is data commingling on the wire, which
    "VLANs do not necessarily protect you" from. With a zone file, DG-ZONE-003 also reports zones that share
    a vSwitch everywhere.

    *Non-compliant*: ``DMZ`` and ``Prod`` are on ``vSwitch1`` and ``vSwitch2`` of ``esx01`` but both on
    ``vSwitch1`` of ``esx02``.

    *Compliant*: every host of the cluster groups its portgroups onto vSwitches the same way.
    """

    id = "DG-NET-002"
    name = "vswitch-compression-mismatch"
    severity = "medium"
    tags = ("network", "zones", "figure-5.10")
    Params = VswitchCompressionParams

    def check(self, snapshot: Snapshot, context: RuleContext, params: VswitchCompressionParams) -> Iterator[Finding]:
        index = context.index
        for cluster_id, hosts in sorted(index.hosts_by_cluster.items()):
            cluster = snapshot.clusters.get(cluster_id)
            if cluster is None or len(hosts) < 2:
                continue
            together: dict[tuple[str, str], list[str]] = {}
            apart: dict[tuple[str, str], list[str]] = {}
            for host in hosts:
                labels = sorted(_labels(host, context, params.vm_networks_only))
                for a, b in combinations(labels, 2):
                    same = host.network.portgroups[a].vswitch == host.network.portgroups[b].vswitch
                    (together if same else apart).setdefault((a, b), []).append(host.name)
            for pair in sorted(set(together) & set(apart)):
                a, b = pair
                yield self.finding(
                    snapshot,
                    cluster,
                    f"cluster {cluster.name}: {a!r} and {b!r} share a vSwitch on {join_names(together[pair])} "
                    f"but not on {join_names(apart[pair])}",
                    path=f'network.vswitch_layout["{a}","{b}"]',
                    evidence={"shared_on": together[pair], "separate_on": apart[pair]},
                    related=[h.id for h in hosts],
                )


def _labels(host: Host, context: RuleContext, vm_only: bool) -> set[str]:
    if not vm_only:
        return set(host.network.portgroups)
    return set(host.network.portgroups) & context.index.vm_labels(host)
