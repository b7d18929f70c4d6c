"""DG-NET-004."""

from __future__ import annotations

from collections.abc import Iterator

from driftguard.models import Finding, Snapshot
from driftguard.policy.base import NoParams, Rule
from driftguard.policy.context import RuleContext
from driftguard.policy.rules._network import sharing


class VmotionNetworkShared(Rule):
    """vMotion VMkernel ports that share their vSwitch or portgroup with VM traffic or with management.

    *Why*: Chapter 5, "VMware Cluster Protocols": vMotion and Storage vMotion carry "the memory image of the VM
    ... or the disk image of the VM", "100% clear text", over "the VMotion network, which is suggested to be
    separate from any other network"; administrators "do not need access to the VMotion and SVMotion data", so
    vMotion should be isolated from the management network as well. The Conclusion repeats it: "VMotion/SVMotion,
    console, and management networks should also be isolated from all other networks".

    *Non-compliant*: ``vmk1`` (vMotion) on portgroup ``vMotion`` of ``vSwitch0``, which also carries ``VM Network``;
    or one vmknic selected for both ``management`` and ``vmotion``.

    *Compliant*: the vMotion vmknic is alone on a vSwitch (with its own uplinks) that has no VM portgroups and
    no management vmknic.
    """

    id = "DG-NET-004"
    name = "vmotion-network-shared"
    severity = "high"
    tags = ("network", "isolation", "vmotion")

    def check(self, snapshot: Snapshot, context: RuleContext, params: NoParams) -> Iterator[Finding]:
        for host in sorted(snapshot.hosts.values(), key=lambda h: h.name):
            vm_labels = context.index.vm_labels(host) & set(host.network.portgroups)
            for device, nic in sorted(host.network.vmkernel_nics.items()):
                if "vmotion" not in nic.services:
                    continue
                problems = sharing(host, nic, "vmotion", vm_labels, ("management",))
                if problems:
                    yield self.finding(
                        snapshot,
                        host,
                        f"{host.name}: vMotion port {device} is not isolated: {'; '.join(problems)}",
                        path=f'network.vmkernel_nics["{device}"]',
                        evidence={"portgroup": nic.portgroup, "services": nic.services, "problems": problems},
                    )
