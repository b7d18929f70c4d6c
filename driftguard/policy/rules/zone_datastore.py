"""DG-ZONE-002."""

from __future__ import annotations

from collections.abc import Iterator

from driftguard.models import Finding, Snapshot
from driftguard.policy.base import NoParams, Rule
from driftguard.policy.context import RuleContext
from driftguard.policy.rules._zones import by_zone, describe


class ZoneCommingledDatastore(Rule):
    """Datastores (LUNs) holding VMs of more than one security zone, or of another zone than they are dedicated to.

    *Why*: Chapter 5, "Data Commingling", Security Best Practice: "place all your DMZ VMs on nodes with their own
    LUNs", "Present these LUNs to DMZ-specific VMware ESX or ESXi hosts", "Do not commingle DMZ VMs with non-DMZ
    VMs on the same node or LUN", and "Do not use SVMotion to move VMs from DMZ-specific LUNs to non-DMZ specific
    LUNs"; storage commingling "could be the result in the case of disaster recovery".

    *Non-compliant*: ``ds-shared-01`` holds disks of ``dmz-web01`` (zone ``dmz``) and ``app01`` (``production``).

    *Compliant*: each datastore holds VMs of one zone, matching its dedication in ``zones.yaml`` if any.
    """

    id = "DG-ZONE-002"
    name = "zone-commingling-datastore"
    severity = "high"
    tags = ("zones", "commingling", "storage", "dmz")

    def check(self, snapshot: Snapshot, context: RuleContext, params: NoParams) -> Iterator[Finding]:
        index = context.index
        for ds_id, vms in sorted(index.vms_by_datastore.items()):
            zones = by_zone(vms, index.vm_zone)
            dedicated = index.datastore_zone.get(ds_id)
            present = set(zones) | ({dedicated} if dedicated else set())
            if len(present) < 2:
                continue
            ds = snapshot.datastores.get(ds_id)
            name = ds.name if ds else ds_id
            yield self.finding_on(
                snapshot,
                "datastore",
                ds_id,
                name,
                f"datastore {name} commingles zones: {describe(zones, dedicated)}",
                path="zones",
                evidence={"zones": zones, "dedicated_to": dedicated},
                related=[vm.id for vm in vms if index.vm_zone.get(vm.id)],
            )
