"""DG-DRS-001."""

from __future__ import annotations

from collections.abc import Iterator

from driftguard.models import Finding, Snapshot
from driftguard.policy.base import NoParams, Rule
from driftguard.policy.context import RuleContext


class DpmEnabled(Rule):
    """Clusters with Distributed Power Management on, which needs Wake-on-LAN on the management network.

    *Why*: Chapter 5, "Distributed Power Management (DPM)" and "Management": DPM "requires the capability to wake
    the server on LAN using the first pNIC associated with the management appliance"; "any network traffic sent
    to the Wake-on-LAN port could also force a boot of the host, even without VMware DPM firing: yet another
    reason to protect the management network". DPM can also "power off nodes and failover VMs" when its
    unauthenticated cluster protocols are spoofed ("VMware Cluster Protocols"), and "Overactive VMware DRS with
    DPM enabled could lead to higher power costs ... perhaps the goal of a hacker".

    *Non-compliant*: ``dpmConfigInfo.enabled: true``.

    *Compliant*: DPM off, or on only with an isolated management network and the decision recorded (skip this
    rule for the cluster in a baseline).
    """

    id = "DG-DRS-001"
    name = "dpm-enabled"
    severity = "medium"
    tags = ("drs", "dpm", "management")

    def check(self, snapshot: Snapshot, context: RuleContext, params: NoParams) -> Iterator[Finding]:
        for cluster in sorted(snapshot.clusters.values(), key=lambda c: c.name):
            if cluster.dpm.enabled:
                behavior = f" ({cluster.dpm.default_behavior})" if cluster.dpm.default_behavior else ""
                yield self.finding(
                    snapshot,
                    cluster,
                    f"cluster {cluster.name}: DPM is on{behavior}: hosts can be powered on over Wake-on-LAN",
                    path="dpm.enabled",
                    evidence={"default_behavior": cluster.dpm.default_behavior},
                )
