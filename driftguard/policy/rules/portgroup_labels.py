"""DG-NET-001."""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from difflib import SequenceMatcher

from driftguard.models import Cluster, Finding, Host, Snapshot
from driftguard.models.patterns import name_any
from driftguard.policy.base import Rule, RuleParams, join_names
from driftguard.policy.context import RuleContext


class PortgroupLabelsParams(RuleParams):
    ignore: list[str] = []
    """Portgroup name globs never compared (per-host special-purpose networks)."""
    misspelling_ratio: float = 0.85
    """Two labels at least this similar (difflib ratio, case-insensitive) that differ are reported as a
    likely misspelling."""


def normalise(label: str) -> str:
    return "".join(ch for ch in label.lower() if ch.isalnum())


class PortgroupLabels(Rule):
    """Network labels that differ across the hosts of a cluster: missing, misspelt, on another VLAN or vSwitch.

    *Why*: Chapter 5, "Data Commingling" and Figures 5.10 and 5.11: HA and DRS place VMs "looking for network
    labels and not specific devices". A label missing on some node keeps VMs from restarting or moving there;
    a misspelt one ("Prod-App" vs "Prod_App") silently attaches the VM to a different network; the same label
    on another VLAN or another vSwitch on some hosts puts a VM restarted there into another segment or onto a
    vSwitch shared with other zones. Distributed switches and host profiles reduce this, but "it will still be
    possible to add special purpose, per node virtual switches".

    *Non-compliant*: in cluster ``C1``, ``DMZ`` has VLAN 20 on ``esx01`` and VLAN 30 on ``esx02``, and ``esx03``
    has ``dmz`` instead: findings for ``network.portgroups["DMZ"]`` (VLAN differs; missing on esx03; looks
    misspelt as ``dmz``).

    *Compliant*: every host of the cluster has the same standard portgroups with the same VLAN on a vSwitch of
    the same name (or the networks are distributed portgroups).
    """

    id = "DG-NET-001"
    name = "portgroup-label-mismatch"
    severity = "high"
    tags = ("network", "zones", "ha", "figure-5.10")
    Params = PortgroupLabelsParams

    def check(self, snapshot: Snapshot, context: RuleContext, params: PortgroupLabelsParams) -> Iterator[Finding]:
        for cluster_id, hosts in sorted(context.index.hosts_by_cluster.items()):
            cluster = snapshot.clusters.get(cluster_id)
            if cluster is None or len(hosts) < 2:
                continue
            yield from self._cluster(snapshot, cluster, hosts, params)

    def _cluster(
        self, snapshot: Snapshot, cluster: Cluster, hosts: list[Host], params: PortgroupLabelsParams
    ) -> Iterator[Finding]:
        labels = sorted({pg for h in hosts for pg in h.network.portgroups})
        labels = [lb for lb in labels if not name_any(params.ignore, lb)]
        for label in labels:
            having = [h for h in hosts if label in h.network.portgroups]
            missing = [h for h in hosts if label not in h.network.portgroups]
            problems: list[str] = []
            evidence: dict[str, object] = {}
            vlans = {h.name: h.network.portgroups[label].vlan_id for h in having}
            if len(set(vlans.values())) > 1:
                problems.append("VLAN differs (" + ", ".join(f"{n}: {v}" for n, v in sorted(vlans.items())) + ")")
                evidence["vlans"] = vlans
            vswitches = {h.name: h.network.portgroups[label].vswitch for h in having}
            if len(set(vswitches.values())) > 1:
                text = ", ".join(f"{n}: {v}" for n, v in sorted(vswitches.items()))
                problems.append(f"vSwitch differs ({text})")
                evidence["vswitches"] = vswitches
            if missing:
                similar = {
                    h.name: near
                    for h in missing
                    if (near := _near(label, h.network.portgroups, params.misspelling_ratio)) is not None
                }
                problems.append(f"missing on {join_names(h.name for h in missing)}")
                evidence["missing_on"] = sorted(h.name for h in missing)
                if similar:
                    problems.append(
                        "looks misspelt as " + ", ".join(f"{v!r} on {k}" for k, v in sorted(similar.items()))
                    )
                    evidence["misspelt"] = similar
                # The misspelt twin reports the same pair; report it once, from the label most hosts have.
                if similar and len(having) < len(missing):
                    continue
            if problems:
                yield self.finding(
                    snapshot,
                    cluster,
                    f"cluster {cluster.name}: network label {label!r} {'; '.join(problems)}",
                    path=f'network.portgroups["{label}"]',
                    evidence=evidence,
                    related=[h.id for h in hosts],
                )


def _near(label: str, candidates: Iterable[str], ratio: float) -> str | None:
    target = normalise(label)
    best: tuple[float, str] | None = None
    for other in candidates:
        if other == label:
            continue
        score = 1.0 if normalise(other) == target else SequenceMatcher(None, target, normalise(other)).ratio()
        if score >= ratio and (best is None or score > best[0]):
            best = (score, other)
    return best[1] if best else None
