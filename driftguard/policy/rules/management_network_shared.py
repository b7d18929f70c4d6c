"""DG-NET-005."""

from __future__ import annotations

from collections.abc import Iterator

from driftguard.models import Finding, Snapshot
from driftguard.policy.base import NoParams, Rule
from driftguard.policy.context import RuleContext
from driftguard.policy.rules._network import sharing


class ManagementNetworkShared(Rule):
    """Management VMkernel ports that share their vSwitch or portgroup with VM networks.

    *Why*: Chapter 5, "VMware Cluster Protocols": "All VMware Cluster protocols are unencrypted"; "if the proper
    packets are sent to a server along the management network ... VMware HA could fire and failover VMs, ...
    VMware DPM could power off nodes"; the HA heartbeat itself travels over the management interface
    ("Service Console vswif"), and Wake-on-LAN on its first pNIC can boot hosts ("Management"). A VM network on
    the same vSwitch puts guests one misconfiguration (or one VLAN attack, "Data Commingling") away from it.
    "Specifically there is now a best practice that management communication and VMotion communication be
    isolated from normal networks."

    *Non-compliant*: ``vmk0`` (management) on ``Management Network`` of ``vSwitch0``, which also carries the
    ``VM Network`` portgroup.

    *Compliant*: management vmknics sit on a vSwitch (or distributed portgroup) that carries no VM networks.
    """

    id = "DG-NET-005"
    name = "management-network-shared"
    severity = "high"
    tags = ("network", "isolation", "management")

    def check(self, snapshot: Snapshot, context: RuleContext, params: NoParams) -> Iterator[Finding]:
        for host in sorted(snapshot.hosts.values(), key=lambda h: h.name):
            vm_labels = context.index.vm_labels(host) & set(host.network.portgroups)
            for device, nic in sorted(host.network.vmkernel_nics.items()):
                if "management" not in nic.services:
                    continue
                # Sharing with vMotion is DG-NET-004's finding; here only VM networks count.
                problems = sharing(host, nic, "management", vm_labels, ())
                if problems:
                    yield self.finding(
                        snapshot,
                        host,
                        f"{host.name}: management port {device} is not isolated: {'; '.join(problems)}",
                        path=f'network.vmkernel_nics["{device}"]',
                        evidence={"portgroup": nic.portgroup, "problems": problems},
                    )
