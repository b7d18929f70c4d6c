"""Host evidence alignment: a run without host files compared with one that had them is not drift."""

from __future__ import annotations

from driftguard.models import Snapshot

NOT_COLLECTED = "HA agent files were not collected in this snapshot (no --host-files)"


def align_host_evidence(old: Snapshot, new: Snapshot) -> tuple[Snapshot, Snapshot]:
    """Make a run without host files comparable with one that had them.

    A host whose agent files were collected on one side only (``ha_agent.source`` unset on the other, and not
    already unknown) gets ``unknowns["ha_agent"]`` on the uncollected side, and a cluster's HA runtime likewise:
    switching ``--host-files`` on or off is not drift, and certainly not an edit made outside vCenter.
    """
    return _mark(old, new), _mark(new, old)


def _mark(snapshot: Snapshot, other: Snapshot) -> Snapshot:
    hosts = dict(snapshot.hosts)
    for host_id, host in snapshot.hosts.items():
        peer = other.hosts.get(host_id)
        collected_there = peer is not None and peer.ha_agent.source is not None
        if collected_there and host.ha_agent.source is None and "ha_agent" not in host.unknowns:
            unknowns = dict(sorted({**host.unknowns, "ha_agent": NOT_COLLECTED}.items()))
            hosts[host_id] = host.model_copy(update={"unknowns": unknowns})
    clusters = dict(snapshot.clusters)
    for cluster_id, cluster in snapshot.clusters.items():
        peer_cluster = other.clusters.get(cluster_id)
        if peer_cluster is None or "ha_runtime" in cluster.unknowns or cluster.ha_runtime is not None:
            continue
        if peer_cluster.ha_runtime is not None or "ha_runtime" in peer_cluster.unknowns:
            unknowns = dict(sorted({**cluster.unknowns, "ha_runtime": NOT_COLLECTED}.items()))
            clusters[cluster_id] = cluster.model_copy(update={"unknowns": unknowns})
    if hosts == snapshot.hosts and clusters == snapshot.clusters:
        return snapshot
    return snapshot.model_copy(update={"hosts": hosts, "clusters": clusters}).with_counts()
