"""DG-ZONE-003."""

from __future__ import annotations

from collections.abc import Iterator

from driftguard.models import Finding, Snapshot
from driftguard.policy.base import NoParams, Rule
from driftguard.policy.context import RuleContext


class ZoneCommingledVswitch(Rule):
    """Standard vSwitches that carry networks of more than one security zone on one host.

    *Why*: Chapter 5, "Isolation" and "Data Commingling": in Figure 5.8 "the virtual switch is commingling all
    network data from the DMZ and production networks onto the same cable", and "VLANs do not necessarily
    protect you. The 802.1q RFC does not contain anything that will guarantee security" (Figure 5.9). Figure 5.10
    shows the same when "multiple networks [are] compressed from single vSwitches to portgroups". A zone's
    network counts when a portgroup matches the zone's ``portgroups`` selectors or a VM of the zone uses it —
    even with no VM attached, "broadcast traffic ... would still exist".

    *Non-compliant*: ``vSwitch0`` of ``esx01`` has portgroups ``DMZ-Web`` (zone ``dmz``) and ``Prod-App``
    (zone ``production``).

    *Compliant*: each zone's portgroups are on vSwitches (and uplinks) of their own on every host.
    """

    id = "DG-ZONE-003"
    name = "zone-commingling-vswitch"
    severity = "high"
    tags = ("zones", "commingling", "network", "figure-5.8")

    def check(self, snapshot: Snapshot, context: RuleContext, params: NoParams) -> Iterator[Finding]:
        index = context.index
        zones_cfg = context.zones
        if not zones_cfg.zones:
            return
        for host in sorted(snapshot.hosts.values(), key=lambda h: h.name):
            per_switch: dict[str, dict[str, set[str]]] = {}
            for pg_name, pg in host.network.portgroups.items():
                zone = zones_cfg.portgroup_zone(pg_name)
                if zone is not None:
                    per_switch.setdefault(pg.vswitch, {}).setdefault(zone, set()).add(pg_name)
            for vm in index.vms_by_host.get(host.id, []):
                zone = index.vm_zone.get(vm.id)
                for label in vm.networks:
                    used = host.network.portgroups.get(label)
                    if zone is not None and used is not None:
                        per_switch.setdefault(used.vswitch, {}).setdefault(zone, set()).add(label)
            for vswitch, zones in sorted(per_switch.items()):
                if len(zones) < 2:
                    continue
                text = " and ".join(f"{z} ({', '.join(sorted(pgs))})" for z, pgs in sorted(zones.items()))
                yield self.finding(
                    snapshot,
                    host,
                    f"{host.name}: {vswitch} carries networks of zones {text}",
                    path=f'network.vswitches["{vswitch}"]',
                    evidence={"zones": {z: sorted(p) for z, p in sorted(zones.items())}},
                )
