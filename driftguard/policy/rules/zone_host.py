"""DG-ZONE-001."""

from __future__ import annotations

from collections.abc import Iterator

from driftguard.models import Finding, Snapshot
from driftguard.policy.base import NoParams, Rule
from driftguard.policy.context import RuleContext
from driftguard.policy.rules._zones import by_zone, describe


class ZoneCommingledHost(Rule):
    """Hosts that run VMs of more than one security zone, or VMs of another zone than the host is dedicated to.

    *Why*: Chapter 5, "Data Commingling", Security Best Practice: "Do not commingle DMZ VMs with non-DMZ VMs on
    the same node or LUN" (substitute "classification level" for "DMZ"); "For DMZ VMs, or any VM that has a
    different classification than other VMs on the same node, it is recommended that these VMs be on their own
    cluster of virtualization hosts." Figures 5.7 and 5.8 show how the DMZ ends up on production nodes. Zones
    come from the state repo's ``zones.yaml``; without it this rule finds nothing.

    *Non-compliant*: ``esx01`` runs ``dmz-web01`` (zone ``dmz``) and ``app01`` (zone ``production``); or
    ``esx-dmz-01``, dedicated to ``dmz``, runs ``app02``.

    *Compliant*: every host runs VMs of a single zone, matching its dedication if it has one.
    """

    id = "DG-ZONE-001"
    name = "zone-commingling-host"
    severity = "high"
    tags = ("zones", "commingling", "dmz")

    def check(self, snapshot: Snapshot, context: RuleContext, params: NoParams) -> Iterator[Finding]:
        index = context.index
        for host in sorted(snapshot.hosts.values(), key=lambda h: h.name):
            zones = by_zone(index.vms_by_host.get(host.id, []), index.vm_zone)
            dedicated = index.host_zone.get(host.id)
            present = set(zones) | ({dedicated} if dedicated else set())
            if len(present) > 1:
                yield self.finding(
                    snapshot,
                    host,
                    f"{host.name} commingles zones: {describe(zones, dedicated)}",
                    path="zones",
                    evidence={"zones": zones, "dedicated_to": dedicated},
                    related=[vm.id for vm in index.vms_by_host.get(host.id, []) if index.vm_zone.get(vm.id)],
                )
