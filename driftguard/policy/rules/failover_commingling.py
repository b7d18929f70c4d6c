"""DG-ZONE-004."""

from __future__ import annotations

from collections.abc import Iterator

from driftguard.models import VM, Cluster, Finding, Host, Snapshot
from driftguard.policy.base import Rule, RuleParams, join_names
from driftguard.policy.context import RuleContext

SOFT_RULES_OPTION = "das.respectvmhostsoftaffinityrules"
MAX_HOSTS_IN_MESSAGE = 3
"""Restart targets named in the message; the evidence lists them all."""


class FailoverComminglingParams(RuleParams):
    respect_should_rules: bool = False
    """Treat non-mandatory ("should") VM-host rules as binding during failover. Off by default: only "must" rules
    are guaranteed to hold for HA restarts, unless the cluster sets ``das.respectVmHostSoftAffinityRules``."""
    check_networks: bool = True
    """Leave out restart targets that lack one of the VM's network labels."""


class FailoverCommingling(Rule):
    """VMs that an HA restart after a single host failure could bring up next to VMs of another security zone.

    *Why*: Chapter 5, "Isolation", Figures 5.7 and 5.8: when a node fails, "the DMZ VMs have been brought up on
    either the production or dev/test cluster nodes" — "This is one reason why it is always recommended that you
    place a DMZ on its own pair of clustered machines." "Data commingling is possible because as nodes fail, VMs
    are brought up on new systems that are looking for network labels and not specific devices" (Figure 5.10).
    The rule simulates every single-host failure of each HA cluster: the failed host's powered-on VMs whose
    restart priority is not ``disabled`` restart on any surviving host that HA may pick — designated failover
    hosts first, then hosts allowed by the cluster's mandatory VM-host rules (``must``/``must not`` run on a
    host group) and carrying all of the VM's network labels — and each target that already runs (or is
    dedicated to) another zone is reported. Capacity is not simulated (host capacity is not collected yet).

    *Non-compliant*: ``esx-dmz`` and ``esx-prod`` form an HA cluster; if ``esx-dmz`` fails, ``dmz-web01`` may
    restart on ``esx-prod`` next to ``app01`` (zone ``production``).

    *Compliant*: a mandatory VM-host rule ``dmz-vms`` must run on host group ``dmz-hosts`` (or the DMZ has its
    own cluster), so no surviving host of another zone can receive the DMZ VMs.
    """

    id = "DG-ZONE-004"
    name = "failover-commingling"
    severity = "high"
    tags = ("zones", "commingling", "ha", "failover", "figure-5.8")
    Params = FailoverComminglingParams

    def check(self, snapshot: Snapshot, context: RuleContext, params: FailoverComminglingParams) -> Iterator[Finding]:
        index = context.index
        for cluster_id, hosts in sorted(index.hosts_by_cluster.items()):
            cluster = snapshot.clusters.get(cluster_id)
            if cluster is None or cluster.ha.enabled is not True or cluster.ha.host_monitoring == "disabled":
                continue
            soft = params.respect_should_rules or str(
                {k.lower(): v for k, v in cluster.ha.options.items()}.get(SOFT_RULES_OPTION, "")
            ).lower() in ("true", "1", "yes")
            present = {h.id: _zones_on(h, context) for h in hosts}
            for failed in hosts:
                survivors = [h for h in hosts if h.id != failed.id]
                for vm in index.vms_by_host.get(failed.id, []):
                    zone = index.vm_zone.get(vm.id)
                    if zone is None or not _restarts(vm, cluster):
                        continue
                    targets = _targets(vm, cluster, survivors, context, soft=soft, networks=params.check_networks)
                    commingled = {
                        t.id: others
                        for t in targets
                        if (others := {z: n for z, n in present[t.id].items() if z != zone})
                    }
                    if commingled:
                        yield self._finding(snapshot, vm, zone, failed, targets, commingled)

    def _finding(
        self,
        snapshot: Snapshot,
        vm: VM,
        zone: str,
        failed: Host,
        targets: list[Host],
        commingled: dict[str, dict[str, list[VM]]],
    ) -> Finding:
        ordered = sorted(((snapshot.hosts[h], zs) for h, zs in commingled.items()), key=lambda item: item[0].name)
        where = "; ".join(
            f"on {host.name} next to "
            + ", ".join(
                f"{z} VMs {join_names((v.name for v in vms), 3)}" if vms else f"{z}-dedicated host"
                for z, vms in sorted(zs.items())
            )
            for host, zs in ordered[:MAX_HOSTS_IN_MESSAGE]
        )
        if len(ordered) > MAX_HOSTS_IN_MESSAGE:
            where += f"; and on {len(ordered) - MAX_HOSTS_IN_MESSAGE} more hosts"
        related_vms = [v.id for zs in commingled.values() for vms in zs.values() for v in vms]
        return self.finding(
            snapshot,
            vm,
            f"if {failed.name} fails, HA may restart {vm.name} ({zone}) {where}",
            path="ha.failover",
            evidence={
                "zone": zone,
                "failed_host": failed.name,
                "targets": {h.name: {z: sorted(v.name for v in vms) for z, vms in zs.items()} for h, zs in ordered},
                "eligible_hosts": sorted(t.name for t in targets),
            },
            related=[failed.id, *commingled, *related_vms],
        )


def _restarts(vm: VM, cluster: Cluster) -> bool:
    if vm.power_state not in (None, "poweredOn"):
        return False
    override = cluster.ha.vm_overrides.get(vm.id)
    priority = override.restart_priority if override else None
    if priority in (None, "clusterRestartPriority"):
        default = cluster.ha.default_vm_settings
        priority = default.restart_priority if default else None
    return priority != "disabled"


def _targets(
    vm: VM, cluster: Cluster, survivors: list[Host], context: RuleContext, *, soft: bool, networks: bool
) -> list[Host]:
    allowed = {h.id for h in survivors}
    for rule in cluster.drs.rules.values():
        if rule.type != "vm_host" or rule.enabled is False or not (rule.mandatory or soft):
            continue
        group = cluster.drs.groups.get(rule.vm_group or "")
        if group is None or vm.id not in group.members:
            continue
        if rule.affine_host_group:
            members = cluster.drs.groups.get(rule.affine_host_group)
            allowed &= set(members.members) if members else set()
        if rule.anti_affine_host_group:
            members = cluster.drs.groups.get(rule.anti_affine_host_group)
            allowed -= set(members.members) if members else set()
    if networks:
        allowed = {h.id for h in survivors if h.id in allowed and set(vm.networks) <= context.index.vm_labels(h)}
    candidates = [h for h in survivors if h.id in allowed]
    policy = cluster.ha.admission_control_policy
    if policy is not None and policy.type == "failover_hosts" and policy.failover_hosts:
        preferred = [h for h in candidates if h.id in policy.failover_hosts]
        return preferred or candidates
    return candidates


def _zones_on(host: Host, context: RuleContext) -> dict[str, list[VM]]:
    """Zone → its VMs on ``host``; a zone the host is dedicated to is present even without VMs."""
    index = context.index
    out: dict[str, list[VM]] = {}
    dedicated = index.host_zone.get(host.id)
    if dedicated is not None:
        out[dedicated] = []
    for vm in index.vms_by_host.get(host.id, []):
        zone = index.vm_zone.get(vm.id)
        if zone is not None:
            out.setdefault(zone, []).append(vm)
    return out
