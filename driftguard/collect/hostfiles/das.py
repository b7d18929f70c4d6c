"""``ClusterComputeResource.RetrieveDasAdvancedRuntimeInfo()``: HA's own runtime view (reference §8, the supported
alternative to reading agent files). One call per cluster; a server without the method (the simulator answers
MethodNotFound) gives ``{"_missing": "<Fault>: message"}`` for that cluster, never a failed snapshot."""

from __future__ import annotations

from collections.abc import Iterable

from driftguard.collect._vmomi import vim, vmodl
from driftguard.collect.raw import fault_text, to_raw
from driftguard.collect.session import Session
from driftguard.models.raw import RawData


def collect_das_runtime(session: Session, cluster_ids: Iterable[str]) -> dict[str, RawData]:
    """Cluster id → converted ``ClusterDasAdvancedRuntimeInfo`` (or the reason it is missing)."""
    stub = session.content.rootFolder._stub
    result: dict[str, RawData] = {}
    for moref in sorted(cluster_ids):
        cluster = vim.ClusterComputeResource(moref, stub)
        with session.guard(f"reading the HA runtime of {moref}"):
            try:
                info = cluster.RetrieveDasAdvancedRuntimeInfo()
            except vmodl.MethodFault as fault:
                if isinstance(fault, vim.fault.NotAuthenticated):
                    raise
                result[moref] = {"_missing": fault_text(fault)}
                continue
        converted = to_raw(info)
        result[moref] = converted if isinstance(converted, dict) else {"_type": "ClusterDasAdvancedRuntimeInfo"}
    return result
