"""Commit messages: a snapshot's first line summarises the drift, an evidence import's the hosts and findings,
for ``git log`` readers."""

from __future__ import annotations

from collections.abc import Iterable, Mapping

from driftguard.models import DiffReport, HostEvidence, Snapshot

_NAMES = {"cluster": ("cluster", "clusters"), "vm": ("VM", "VMs"), "dvswitch": ("dvswitch", "dvswitches")}


def object_counts(counts: Mapping[str, int]) -> str:
    """``2 clusters, 7 hosts, 14 VMs, 1 dvswitch``: the non-zero counts of a manifest, in its order."""
    parts = []
    for kind, n in counts.items():
        if n:
            one, many = _NAMES.get(kind, (kind, f"{kind}s"))
            parts.append(f"{n} {one if n == 1 else many}")
    return ", ".join(parts)


def commit_message(report: DiffReport | None, snapshot: Snapshot) -> str:
    """First line summarises the drift, e.g. "3 changes on 2 objects: 2 attributed (alice, bob), 1 unattributed"."""
    vc = snapshot.manifest.vcenter.name
    if report is None:
        return f"{vc}: first snapshot ({object_counts(snapshot.manifest.counts)})"
    s = report.summary
    users = sorted({i.attribution.user for i in report.items if i.attribution and i.attribution.user})
    who = f" ({', '.join(_short_user(u) for u in users)})" if users else ""
    parts = [f"{s.attributed} attributed{who}"]
    if s.unattributed:
        parts.append(f"{s.unattributed} unattributed")
    if s.unknown:
        parts.append(f"{s.unknown} unknown")
    approval = f"; {s.approved} approved, {s.unapproved} unapproved" if s.approved or s.unapproved else ""
    plural = "s" if s.items != 1 else ""
    objects = f"{s.objects} object{'s' if s.objects != 1 else ''}"
    return f"{vc}: {s.items} change{plural} on {objects}: {', '.join(parts)}{approval}"


def _short_user(user: str) -> str:
    return user.rsplit("\\", 1)[-1]


def evidence_message(evidence: Iterable[HostEvidence], bundles: int) -> str:
    """ "evidence: esx01, esx02 from 2 bundle(s): 3 finding(s) (high, medium)"."""
    items = list(evidence)
    findings = [f for e in items for f in e.findings]
    hosts = ", ".join(sorted(e.host.name for e in items))
    severities = sorted({f.severity for f in findings})
    worst = f" ({', '.join(severities)})" if severities else ""
    return f"evidence: {hosts} from {bundles} bundle(s): {len(findings)} finding(s){worst}"
