"""DG-HIST-001."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from driftguard.models import SEVERITIES, Finding, Severity, Snapshot
from driftguard.policy.base import Rule, RuleParams
from driftguard.policy.context import RuleContext


class UnattributedChangeParams(RuleParams):
    min_item_severity: Severity = "info"
    """Ignore drift items below this severity."""


def _short(value: Any) -> str:
    text = repr(value) if not isinstance(value, dict | list) else f"<{type(value).__name__}>"
    return text if len(text) <= 40 else text[:39] + "…"


class UnattributedChange(Rule):
    """Configuration changes since the previous snapshot that no vCenter event or task explains.

    *Why*: Chapter 5, "Security Concerns": "If you don't have an idea of what your baseline is and how this
    compares with current data, you will never know there was a security problem" (the $0.75 of *The Cuckoo's
    Egg*); "VMware Hot Migration Failures": for a changed setting "the questions would be, how did this
    information change and from what source ... you would correlate these changes to the log files for VC and
    the virtualization host to determine who did what when". A change vCenter's own audit trail cannot explain
    was made around it (directly on a host, through a private interface, or with the trail purged) — itself a
    security signal. Items whose history is *unknown* (events unreadable or purged) are not reported here.

    *Non-compliant*: portgroup ``Shadow-DMZ`` appeared on ``esx01`` and the window holds no event or task that
    could have added it.

    *Compliant*: every drift item is attributed to a user's event or task.
    """

    id = "DG-HIST-001"
    name = "unattributed-change"
    severity = "medium"
    tags = ("history", "audit", "attribution")
    Params = UnattributedChangeParams

    def check(self, snapshot: Snapshot, context: RuleContext, params: UnattributedChangeParams) -> Iterator[Finding]:
        floor = SEVERITIES.index(params.min_item_severity)
        for item in context.drift:
            if item.attribution is None or item.attribution.status != "unattributed":
                continue
            if SEVERITIES.index(item.severity) < floor:
                continue
            what = item.path or "the object"
            if item.change == "modified":
                change = f"{what} changed {_short(item.old)} → {_short(item.new)}"
            else:
                change = f"{what} {item.change}"
            severity: Severity = "high" if item.severity in ("high", "critical") else self.severity
            yield self.finding_on(
                snapshot,
                item.kind,
                item.id,
                item.name,
                f"{item.kind} {item.name}: {change} with no vCenter event or task explaining it",
                path=item.path or item.change,
                evidence={"change": item.change, "category": item.category, "reason": item.attribution.reason},
                severity=severity,
            )
