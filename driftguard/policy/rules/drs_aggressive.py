"""DG-DRS-002."""

from __future__ import annotations

from collections.abc import Iterator

from driftguard.models import Finding, Snapshot
from driftguard.policy.base import Rule, RuleParams
from driftguard.policy.context import RuleContext


class DrsAggressiveParams(RuleParams):
    aggressive_rates: list[int] = [1]
    """API ``vmotionRate`` values that mean the most aggressive threshold. The API stores the threshold inverted
    against the UI slider (UI level = 6 − vmotionRate; reference §2), so the UI's "Aggressive (5)" is
    ``vmotionRate: 1``. Set ``[5]`` if your vCenter proves otherwise, ``[1, 2]`` to include the next level."""


class DrsAggressive(Rule):
    """Clusters whose DRS is fully automated at the most aggressive migration threshold.

    *Why*: Chapter 5, "Resource Contention": "a VM could land on a node and be forced to vacate once more, if the
    automated migration threshold is set too aggressively ... VMs constantly shuffle around"; "Aggressive
    automation and movement of the same VM could act like a DoS attack, because the VM spends more time moving
    than processing" — "a case against overly aggressive automation". The chapter recommends balancing by hand
    and then "partial automation mode". DG-HIST-003 catches the churn itself in the event history.

    *Non-compliant*: ``defaultVmBehavior: fullyAutomated`` with ``vmotionRate: 1`` (UI: Aggressive).

    *Compliant*: ``partiallyAutomated`` or ``manual``, or fully automated at a moderate threshold
    (``vmotionRate`` 3, the default).
    """

    id = "DG-DRS-002"
    name = "drs-aggressive-automation"
    severity = "medium"
    tags = ("drs", "availability", "vmotion")
    Params = DrsAggressiveParams

    def check(self, snapshot: Snapshot, context: RuleContext, params: DrsAggressiveParams) -> Iterator[Finding]:
        for cluster in sorted(snapshot.clusters.values(), key=lambda c: c.name):
            drs = cluster.drs
            rate = drs.vmotion_rate
            if drs.enabled and drs.default_vm_behavior == "fullyAutomated" and rate in params.aggressive_rates:
                yield self.finding(
                    snapshot,
                    cluster,
                    f"cluster {cluster.name}: DRS is fully automated at the most aggressive threshold "
                    f"(vmotionRate {rate}, UI level {6 - rate if rate is not None else '?'})",
                    path="drs.vmotion_rate",
                    evidence={"vmotion_rate": drs.vmotion_rate, "behavior": drs.default_vm_behavior},
                )
