"""DG-HA-003."""

from __future__ import annotations

from collections.abc import Iterator

from driftguard.models import Finding, Snapshot
from driftguard.policy.base import NoParams, Rule
from driftguard.policy.context import RuleContext
from driftguard.policy.rules._options import ha_clusters, number, option


class HaCapacityUnreserved(Rule):
    """HA clusters that reserve no failover capacity: admission control off, or the per-VM minimums set to 0.

    *Why*: Chapter 5, "Isolation": "The last concern for isolation response is whether the target host(s) has
    enough resources available to start the VMs in question. If it does not, VMware HA will fail to boot the
    VMs." ``das.vmMemoryMinMB`` and ``das.vmCpuMinMHz`` "are used to reserve resources just for VMware HA";
    setting them to 0 (the chapter's emergency workaround) or turning admission control off lets the cluster be
    filled until a host failure cannot be absorbed — and overloaded survivors cause "performance problems that
    could be severe". "All the VMware HA settings are very easy to modify, either accidentally or purposefully."

    *Non-compliant*: ``admissionControlEnabled: false``; or ``das.vmMemoryMinMB = 0``.

    *Compliant*: admission control on, with the minimums left at their defaults (256 MB / 256 MHz) or above.
    """

    id = "DG-HA-003"
    name = "ha-failover-capacity-unreserved"
    severity = "medium"
    tags = ("ha", "capacity", "availability")

    def check(self, snapshot: Snapshot, context: RuleContext, params: NoParams) -> Iterator[Finding]:
        for cluster in ha_clusters(snapshot.clusters):
            if cluster.ha.admission_control_enabled is False:
                yield self.finding(
                    snapshot,
                    cluster,
                    f"cluster {cluster.name}: HA admission control is off: no failover capacity is reserved",
                    path="ha.admission_control_enabled",
                )
            for key in ("das.vmMemoryMinMB", "das.vmCpuMinMHz"):
                found = option(cluster, key)
                if found is not None and number(found[1]) == 0:
                    yield self.finding(
                        snapshot,
                        cluster,
                        f"cluster {cluster.name}: {found[0]} = 0: HA reserves nothing for VMs without reservations",
                        path=f'ha.options["{found[0]}"]',
                        evidence={found[0]: found[1]},
                    )
