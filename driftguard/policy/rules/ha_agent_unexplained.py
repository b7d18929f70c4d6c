"""DG-HIST-002."""

from __future__ import annotations

from collections.abc import Iterator

from driftguard.models import DriftItem, Finding, Host, Snapshot
from driftguard.policy.base import Rule, RuleParams, join_names
from driftguard.policy.context import RuleContext


class HaAgentUnexplainedParams(RuleParams):
    explaining_events: list[str] = [
        "ClusterReconfiguredEvent",
        "DasEnabledEvent",
        "DasDisabledEvent",
        "DasAdmissionControlEnabledEvent",
        "DasAdmissionControlDisabledEvent",
    ]
    """Cluster events after which the HA agents legitimately receive a new configuration."""
    explaining_tasks: list[str] = [
        "HostSystem.reconfigureDAS",
        "ClusterComputeResource.reconfigureEx",
        "ClusterComputeResource.reconfigureCluster",
    ]


class HaAgentUnexplained(Rule):
    """HA agent configuration files on a host changed without a cluster reconfigure or "Reconfigure for HA".

    *Why*: Chapter 5, "Management": "Auditing for changes in VMware HA configuration files is an important step.
    These files should be part of your baseline and live within /etc/opt/vmware/aam" (``/etc/opt/vmware/fdm``
    since vSphere 5); HA should be configured through vCenter, because "a simple mistake could cause VMware HA
    to not work", and the chapter's closing incident shows what a wrong HA configuration does ("the same thing
    could happen if someone accidentally or purposefully modified the VMware HA configuration"). vCenter pushes
    agent configuration after ``ClusterReconfiguredEvent`` (cluster HA settings) or the task
    ``HostSystem.reconfigureDAS``; a file that changed with neither in the window was changed on the host.

    *Non-compliant*: ``ha_agent.files["/etc/opt/vmware/fdm/fdm.cfg"]`` changed on ``esx02`` and the window has
    no ``ClusterReconfiguredEvent`` on its cluster and no ``reconfigureDAS`` task on the host.

    *Compliant*: the change is accompanied by one of those events or tasks (or attributed to one).
    """

    id = "DG-HIST-002"
    name = "ha-agent-config-unexplained"
    severity = "high"
    tags = ("history", "ha", "audit", "host-files")
    Params = HaAgentUnexplainedParams

    def history_events(self, params: HaAgentUnexplainedParams) -> tuple[str, ...]:
        return (*params.explaining_events, *params.explaining_tasks)

    def check(self, snapshot: Snapshot, context: RuleContext, params: HaAgentUnexplainedParams) -> Iterator[Finding]:
        by_host: dict[str, list[DriftItem]] = {}
        for item in context.drift:
            if item.kind == "host" and item.path.startswith("ha_agent"):
                by_host.setdefault(item.id, []).append(item)
        for host_id, items in sorted(by_host.items()):
            host = snapshot.hosts.get(host_id)
            if self._explained(host, items, context, params):
                continue
            name = host.name if host else items[0].name
            paths = [i.path for i in items]
            yield self.finding_on(
                snapshot,
                "host",
                host_id,
                name,
                f"{name}: HA agent configuration changed ({join_names(paths, 3)}) without a cluster reconfigure "
                "or HostSystem.reconfigureDAS",
                path="ha_agent.files",
                evidence={"paths": paths},
            )

    @staticmethod
    def _explained(
        host: Host | None, items: list[DriftItem], context: RuleContext, params: HaAgentUnexplainedParams
    ) -> bool:
        wanted = set(params.explaining_events) | set(params.explaining_tasks)
        for item in items:
            for cand in item.attribution.candidates if item.attribution else []:
                if cand.event_type in wanted:
                    return True
        history = context.history
        if history is None:
            return False
        cluster = host.cluster if host else None
        if any(e.type in params.explaining_events and cluster and e.cluster == cluster for e in history.events):
            return True
        targets = {items[0].id, cluster}
        return any(t.description_id in params.explaining_tasks and t.entity in targets for t in history.tasks)
