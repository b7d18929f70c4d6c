"""DG-HA-004."""

from __future__ import annotations

from collections.abc import Iterator

from driftguard.models import Cluster, Finding, Snapshot
from driftguard.policy.base import Rule, RuleParams
from driftguard.policy.context import RuleContext
from driftguard.policy.rules._options import ha_clusters, number, option


class HaReservationBlocksRestartParams(RuleParams):
    max_cpu_min_mhz: int = 4096
    """``das.vmCpuMinMHz`` above this inflates every HA slot (the default is 256 MHz)."""


class HaReservationBlocksRestart(Rule):
    """HA reservations so large that the surviving hosts cannot restart (or even power on) the VMs.

    *Why*: the chapter's own incident (Chapter 5, "Conclusion"): after a host crashed, HA did not fail the VMs
    over because "VMware HA reserved too many resources for clustering—so many that VMs could not boot because
    HA reserved all the resources when only two nodes existed"; "the same thing could happen if someone
    accidentally or purposefully modified the VMware HA configuration". "Isolation" adds that
    ``das.vmMemoryMinMB``/``das.vmCpuMinMHz`` are minimums for every VM: "If this minimum amount of resources is
    not available, the VM will not be able to boot". Reported: a host-failures level or failover-host list that
    covers every host; percentage reservations that leave less than one host's share; a per-VM memory minimum
    larger than any VM in the cluster; a per-VM CPU minimum above ``max_cpu_min_mhz``. (Host capacity is not
    collected yet, so slot arithmetic against real capacity is future work.)

    *Non-compliant*: a two-host cluster with ``failoverLevel: 2``; or ``das.vmMemoryMinMB = 65536`` where the
    largest VM has 8 GB.

    *Compliant*: ``failoverLevel: 1`` (or a percentage near ``100/hosts``) and per-VM minimums no larger than the
    VMs they stand in for.
    """

    id = "DG-HA-004"
    name = "ha-reservation-blocks-restart"
    severity = "high"
    tags = ("ha", "capacity", "availability", "incident")
    Params = HaReservationBlocksRestartParams

    def check(
        self, snapshot: Snapshot, context: RuleContext, params: HaReservationBlocksRestartParams
    ) -> Iterator[Finding]:
        index = context.index
        for cluster in ha_clusters(snapshot.clusters):
            hosts = index.hosts_by_cluster.get(cluster.id, [])
            for path, problem, evidence in _problems(cluster, len(hosts), params):
                yield self.finding(
                    snapshot, cluster, f"cluster {cluster.name}: {problem}", path=path, evidence=evidence
                )
            vms = [vm for h in hosts for vm in index.vms_by_host.get(h.id, [])]
            biggest = max((vm.memory.size_mb or 0 for vm in vms), default=0)
            found = option(cluster, "das.vmMemoryMinMB")
            value = number(found[1]) if found else None
            if found is not None and value is not None and biggest and value > biggest:
                yield self.finding(
                    snapshot,
                    cluster,
                    f"cluster {cluster.name}: {found[0]} = {value:g} MB is larger than any VM ({biggest} MB): "
                    "every HA slot is inflated and restarts may find no room",
                    path=f'ha.options["{found[0]}"]',
                    evidence={"value": value, "largest_vm_mb": biggest},
                )


def _problems(
    cluster: Cluster, n_hosts: int, params: HaReservationBlocksRestartParams
) -> Iterator[tuple[str, str, dict[str, object]]]:
    policy = cluster.ha.admission_control_policy
    if cluster.ha.admission_control_enabled is not False and policy is not None and n_hosts:
        if policy.type == "failover_level" and policy.failover_level is not None and policy.failover_level >= n_hosts:
            yield (
                "ha.admission_control_policy.failover_level",
                f"HA reserves capacity for {policy.failover_level} host failures with only {n_hosts} hosts: "
                "nothing can power on or restart",
                {"failover_level": policy.failover_level, "hosts": n_hosts},
            )
        if policy.type == "failover_hosts" and len(set(policy.failover_hosts)) >= n_hosts:
            yield (
                "ha.admission_control_policy.failover_hosts",
                "every host is a dedicated failover host: no VM may run anywhere",
                {"failover_hosts": policy.failover_hosts},
            )
        if policy.type == "resources_percent" and n_hosts > 1:
            limit = 100 * (n_hosts - 1) / n_hosts
            for field in ("cpu_failover_percent", "memory_failover_percent"):
                pct = getattr(policy, field)
                if pct is not None and pct > limit:
                    yield (
                        f"ha.admission_control_policy.{field}",
                        f"HA reserves {pct}% ({field.split('_')[0]}) with {n_hosts} hosts, more than all hosts but "
                        f"one ({limit:.0f}%)",
                        {field: pct, "hosts": n_hosts},
                    )
    found = option(cluster, "das.vmCpuMinMHz")
    value = number(found[1]) if found else None
    if found is not None and value is not None and value > params.max_cpu_min_mhz:
        yield (
            f'ha.options["{found[0]}"]',
            f"{found[0]} = {value:g} MHz reserves more than {params.max_cpu_min_mhz} MHz for every VM",
            {"value": value, "maximum": params.max_cpu_min_mhz},
        )
