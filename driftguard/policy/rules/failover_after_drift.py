"""DG-HIST-004."""

from __future__ import annotations

from collections.abc import Iterator

from driftguard.models import DriftItem, Event, Finding, Kind, Snapshot
from driftguard.models.patterns import glob_any
from driftguard.models.times import iso
from driftguard.policy.base import Rule, RuleParams
from driftguard.policy.context import RuleContext


class FailoverAfterDriftParams(RuleParams):
    failure_events: list[str] = [
        "DasHostFailedEvent",
        "DasHostIsolatedEvent",
        "HostIsolationIpPingFailedEvent",
        "VmRestartedOnAlternateHostEvent",
        "com.vmware.vc.ha.VmRestartedByHAEvent",
        "com.vmware.vc.HA.DasHostFailedEvent",
        "com.vmware.vc.HA.DasHostIsolatedEvent",
    ]
    """Event types (identifier globs, docs/patterns.md) that record a host failure, isolation or an HA restart."""


def _who(item: DriftItem) -> str:
    if item.attribution is None:
        return "unknown"
    return item.attribution.user or item.attribution.status


class FailoverAfterDrift(Rule):
    """Host failures, isolations and HA restarts, each listed with the configuration drift that preceded it.

    *Why*: Chapter 5, "Security Concerns": "any failure of a node within a cluster should be considered from a
    security perspective"; "the general answer is to correlate events within networking, storage, operational,
    hardware, and VMware log files to find the culprit"; "If failover does occur for some reason, this is when we
    may have to look at things from a security perspective. Why a node of a cluster crashed ... could be the
    start of an attack." The chapter's opening mystery — HA did not fail over — was a configuration problem. This
    rule puts each failure next to the changes made before it on the same host, its cluster and its VMs.

    *Non-compliant*: ``DasHostFailedEvent`` for ``esx02``, preceded in the same window by an unattributed change
    of ``das.isolationaddress0`` on its cluster: one finding listing both.

    *Compliant*: a window without host failures or HA restarts (failures without preceding drift are still
    listed, at low severity, so none goes unnoticed).
    """

    id = "DG-HIST-004"
    name = "ha-failover-after-drift"
    severity = "high"
    tags = ("history", "ha", "incident")
    Params = FailoverAfterDriftParams

    def history_events(self, params: FailoverAfterDriftParams) -> tuple[str, ...]:
        return tuple(params.failure_events)

    def check(self, snapshot: Snapshot, context: RuleContext, params: FailoverAfterDriftParams) -> Iterator[Finding]:
        if context.history is None:
            return
        for event in sorted(context.history.events, key=lambda e: (e.created, e.key)):
            if not glob_any(params.failure_events, event.type):
                continue
            subject = self._subject(snapshot, event)
            if subject is None:
                continue
            kind, obj_id, name = subject
            before = self._preceding(snapshot, event, context)
            listed = [f"{i.kind} {i.name} {i.path or i.change} ({_who(i)})" for i in before]
            tail = (
                f"; preceded by {len(before)} change(s): {'; '.join(listed[:5])}" if before else "; no drift before it"
            )
            yield self.finding_on(
                snapshot,
                kind,
                obj_id,
                name,
                f"{event.type} on {name} at {iso(event.created)}{tail}",
                path=f"events[{event.key}]",
                evidence={
                    "event": {
                        "key": event.key,
                        "type": event.type,
                        "time": iso(event.created),
                        "message": event.message,
                    },
                    "preceding_drift": [
                        i.model_dump(mode="json", include={"kind", "id", "name", "path", "change"}) for i in before
                    ],
                },
                related=[i.id for i in before],
                severity=self.severity if before else "low",
            )

    @staticmethod
    def _subject(snapshot: Snapshot, event: Event) -> tuple[Kind, str, str] | None:
        if event.host:
            host = snapshot.hosts.get(event.host)
            return "host", event.host, host.name if host else event.host
        if event.vm:
            vm = snapshot.vms.get(event.vm)
            return "vm", event.vm, vm.name if vm else event.vm
        if event.cluster:
            cluster = snapshot.clusters.get(event.cluster)
            return "cluster", event.cluster, cluster.name if cluster else event.cluster
        return None

    @staticmethod
    def _preceding(snapshot: Snapshot, event: Event, context: RuleContext) -> list[DriftItem]:
        scope: set[str] = set()
        for obj_id in (event.host, event.vm, event.cluster):
            if obj_id:
                scope.add(obj_id)
        host = snapshot.hosts.get(event.host or "")
        if host is not None:
            scope |= {host.cluster} if host.cluster else set()
            scope |= {vm.id for vm in context.index.vms_by_host.get(host.id, [])}
        vm = snapshot.vms.get(event.vm or "")
        if vm is not None and vm.cluster:
            scope.add(vm.cluster)
        out = []
        for item in context.drift:
            # A change the failure itself explains (VMs moved by the restart) did not precede it.
            if item.id not in scope or (item.attribution and str(item.attribution.event_key) == str(event.key)):
                continue
            when = item.attribution.time if item.attribution else None
            if when is None or when <= event.created:
                out.append(item)
        return out
