"""DG-NET-006."""

from __future__ import annotations

from collections.abc import Iterator

from driftguard.models import Finding, SecurityPolicy, Snapshot
from driftguard.models.patterns import name_any
from driftguard.policy.base import Rule, RuleParams
from driftguard.policy.context import RuleContext


class PortgroupSecurityParams(RuleParams):
    allow_promiscuous: bool = False
    allow_mac_changes: bool = False
    allow_forged_transmits: bool = False
    ignore: list[str] = []
    """Portgroup name globs exempt (e.g. a network IDS sensor's portgroup that needs promiscuous mode)."""


def _accepted(sec: SecurityPolicy, params: PortgroupSecurityParams) -> list[str]:
    out = []
    if sec.allow_promiscuous and not params.allow_promiscuous:
        out.append("promiscuous mode")
    if sec.mac_changes and not params.allow_mac_changes:
        out.append("MAC address changes")
    if sec.forged_transmits and not params.allow_forged_transmits:
        out.append("forged transmits")
    return out


def _merge(child: SecurityPolicy, parent: SecurityPolicy) -> SecurityPolicy:
    return SecurityPolicy(
        allow_promiscuous=child.allow_promiscuous if child.allow_promiscuous is not None else parent.allow_promiscuous,
        mac_changes=child.mac_changes if child.mac_changes is not None else parent.mac_changes,
        forged_transmits=child.forged_transmits if child.forged_transmits is not None else parent.forged_transmits,
    )


class PortgroupSecurity(Rule):
    """Portgroups that accept promiscuous mode, MAC address changes or forged transmits.

    *Why*: Chapter 5, "Data Commingling": zone separation on shared hardware rests on layer-2 controls, and
    "there are many Layer 2 VLAN attacks available"; ARP cache poisoning and MAC spoofing are named in "Service
    Console vswif" as ways to make HA fire. A portgroup that accepts forged transmits or MAC changes lets a VM
    impersonate another; promiscuous mode lets it read every frame of its vSwitch, including other zones'
    traffic on a shared vSwitch. The effective policy is checked (``computedPolicy`` for standard portgroups; the
    distributed portgroup's setting over its switch's).

    *Non-compliant*: ``VM Network`` on ``esx01`` inherits ``forgedTransmits: true`` and ``macChanges: true``
    from ``vSwitch0`` (the ESXi default before 7.0 for standard switches).

    *Compliant*: all three are rejected on every portgroup, or the portgroup is listed in ``ignore`` with a
    documented reason.
    """

    id = "DG-NET-006"
    name = "portgroup-l2-security"
    severity = "medium"
    tags = ("network", "isolation")
    Params = PortgroupSecurityParams

    def check(self, snapshot: Snapshot, context: RuleContext, params: PortgroupSecurityParams) -> Iterator[Finding]:
        for host in sorted(snapshot.hosts.values(), key=lambda h: h.name):
            for name, pg in sorted(host.network.portgroups.items()):
                if name_any(params.ignore, name):
                    continue
                accepted = _accepted(pg.effective_security, params)
                if accepted:
                    yield self.finding(
                        snapshot,
                        host,
                        f"{host.name}: portgroup {name!r} accepts {', '.join(accepted)}",
                        path=f'network.portgroups["{name}"].effective_security',
                        evidence={"accepts": accepted, "vswitch": pg.vswitch},
                    )
        for dvs in sorted(snapshot.dvswitches.values(), key=lambda d: d.name):
            for name, dpg in sorted(dvs.portgroups.items()):
                if dpg.uplink or name_any(params.ignore, name):
                    continue
                accepted = _accepted(_merge(dpg.policy.security, dvs.policy.security), params)
                if accepted:
                    yield self.finding(
                        snapshot,
                        dvs,
                        f"{dvs.name}: distributed portgroup {name!r} accepts {', '.join(accepted)}",
                        path=f'portgroups["{name}"].policy.security',
                        evidence={"accepts": accepted},
                    )
