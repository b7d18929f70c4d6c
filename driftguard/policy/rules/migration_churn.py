"""DG-HIST-003."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import timedelta

from driftguard.models import Event, Finding, Snapshot
from driftguard.models.times import iso
from driftguard.policy.base import Rule, RuleParams
from driftguard.policy.context import RuleContext


class MigrationChurnParams(RuleParams):
    max_migrations: int = 3
    """More migrations than this within ``window_hours`` are reported."""
    window_hours: float = 24.0
    migration_events: list[str] = ["VmMigratedEvent", "DrsVmMigratedEvent", "VmRelocatedEvent"]
    """Event types that each mean one completed migration (the ``VmBeing*`` start events are not counted)."""


class MigrationChurn(Rule):
    """VMs migrated more than N times within a time window: DRS ping-pong or someone moving a VM around.

    *Why*: Chapter 5, "Resource Contention": with an aggressive threshold "VMs constantly shuffle around the
    network"; "Aggressive automation and movement of the same VM could act like a DoS attack, because the VM
    spends more time moving than processing". "Security Concerns": "Why ... a VM was moved from node to node ...
    could be security concerns and point to a more severe problem" — and every vMotion sends the VM's memory in
    clear text over the vMotion network ("VMware Cluster Protocols").

    *Non-compliant*: ``web01`` has five ``DrsVmMigratedEvent`` within 24 hours (``max_migrations: 3``).

    *Compliant*: at most ``max_migrations`` migrations of any VM in any window of ``window_hours``.
    """

    id = "DG-HIST-003"
    name = "migration-churn"
    severity = "medium"
    tags = ("history", "drs", "vmotion")
    Params = MigrationChurnParams

    def history_events(self, params: MigrationChurnParams) -> tuple[str, ...]:
        return tuple(params.migration_events)

    def check(self, snapshot: Snapshot, context: RuleContext, params: MigrationChurnParams) -> Iterator[Finding]:
        if context.history is None:
            return
        per_vm: dict[str, list[Event]] = {}
        for event in context.history.events:
            if event.type in params.migration_events and event.vm:
                per_vm.setdefault(event.vm, []).append(event)
        window = timedelta(hours=params.window_hours)
        for vm_id, events in sorted(per_vm.items()):
            events.sort(key=lambda e: (e.created, e.key))
            worst, start = 0, 0
            best_span: tuple[int, int] = (0, 0)
            for end in range(len(events)):
                while events[end].created - events[start].created > window:
                    start += 1
                if end - start + 1 > worst:
                    worst, best_span = end - start + 1, (start, end)
            if worst <= params.max_migrations:
                continue
            vm = snapshot.vms.get(vm_id)
            name = vm.name if vm else vm_id
            first, last = events[best_span[0]], events[best_span[1]]
            yield self.finding_on(
                snapshot,
                "vm",
                vm_id,
                name,
                f"{name} was migrated {worst} times within {params.window_hours:g} h "
                f"({iso(first.created)} to {iso(last.created)}), more than {params.max_migrations}",
                path="host",
                evidence={
                    "migrations": worst,
                    "from": iso(first.created),
                    "to": iso(last.created),
                    "events": [e.key for e in events[best_span[0] : best_span[1] + 1]],
                    "users": sorted({e.user for e in events if e.user}),
                },
            )
