"""Host-side raw data (``RawHostFiles``, a bundle's ``RawHostRead``) → ``Host.ha_agent`` and ``Cluster.ha_runtime``.

Pure. Each file becomes :class:`~driftguard.models.AgentFile`: sha256 and size of the bytes as read, the mode,
and text — the file's own UTF-8 text, or for FDM's binary files the decoded ``prettyPrint.sh`` output — with every
match of the redaction patterns replaced by ``<redacted>``. The hash is of the original bytes, so a changed secret
is still a change, while the secret itself never reaches the state repo.
"""

from __future__ import annotations

import base64
import hashlib
import re
from collections.abc import Mapping, Sequence
from functools import lru_cache
from typing import Any

from driftguard.models import AgentFile, HAAgent, HARuntime, Snapshot
from driftguard.normalize._raw import boolean, dig, objects, ref_id, strings, text

REDACTED = "<redacted>"

DECODED_FILES: dict[str, str] = {
    "clusterconfig": "/etc/opt/vmware/fdm/clusterconfig",
    "hostlist": "/etc/opt/vmware/fdm/hostlist",
    "vmmetadata": "/etc/opt/vmware/fdm/vmmetadata",
}
"""``prettyPrint.sh`` argument → the binary file whose decoded text it prints."""


@lru_cache(maxsize=16)
def _compiled(patterns: tuple[str, ...]) -> tuple[re.Pattern[str], ...]:
    return tuple(re.compile(p) for p in patterns)


def redact(content: str, patterns: Sequence[str]) -> str:
    """``content`` with each match replaced by ``<redacted>`` (only its ``value`` group, when the pattern has one)."""

    def replace(match: re.Match[str]) -> str:
        if "value" in match.re.groupindex and match.group("value") is not None:
            start, end = match.span("value")
            whole = match.group(0)
            offset = match.start()
            return whole[: start - offset] + REDACTED + whole[end - offset :]
        return REDACTED

    for pattern in _compiled(tuple(patterns)):
        content = pattern.sub(replace, content)
    return content


def _decode(data: bytes) -> str | None:
    if b"\x00" in data:
        return None
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError:
        return None


def agent_files(read: Mapping[str, Any], patterns: Sequence[str]) -> dict[str, AgentFile]:
    """The files of one ``RawHostRead`` as canonical agent files, by absolute path."""
    decoded = read.get("decoded") or {}
    by_path = {path: output for arg, output in decoded.items() if (path := DECODED_FILES.get(arg)) and text(output)}
    files: dict[str, AgentFile] = {}
    for path, raw in sorted((read.get("files") or {}).items()):
        data = base64.b64decode(text(dig(raw, "base64")) or "")
        content = _decode(data)
        binary = content is None
        if binary and path in by_path:
            content = by_path[path]
        files[path] = AgentFile(
            sha256=hashlib.sha256(data).hexdigest(),
            size=int(raw.get("size", len(data))),
            mode=text(raw.get("mode")),
            text=redact(content, patterns) if content is not None else None,
            binary=binary,
        )
    return files


def ha_runtime(raw: Any) -> tuple[HARuntime | None, str | None]:
    """``ClusterDasAdvancedRuntimeInfo`` → (model, None), or (None, reason) when the server could not give it."""
    missing = text(dig(raw, "_missing"))
    if missing is not None or not isinstance(raw, Mapping):
        return None, missing or "not collected"
    datastores = sorted(
        {d for d in (ref_id(i.get("datastore")) for i in objects(raw.get("heartbeatDatastoreInfo"))) if d}
    )
    return (
        HARuntime(
            heartbeat_datastores=datastores,
            primary_hosts=sorted(strings(dig(raw, "dasHostInfo.primaryHosts"))),
            vmcp_supported=boolean(raw.get("vmcpSupported")),
        ),
        None,
    )


def apply_host_files(snapshot: Snapshot, raw: Mapping[str, Any], patterns: Sequence[str]) -> Snapshot:
    """``snapshot`` with the SSH-read agent files on its hosts and HA runtime on its clusters.

    A host that could not be read gets ``unknowns["ha_agent"]`` with the reason (and no files): it is neither
    drift nor compliant. Hosts not in ``raw`` are left as they are.
    """
    hosts = dict(snapshot.hosts)
    for host_id, read in (raw.get("hosts") or {}).items():
        host = hosts.get(host_id)
        if host is None:
            continue
        error = text(read.get("error"))
        unknowns = dict(host.unknowns)
        if error is not None:
            unknowns["ha_agent"] = error
            agent = HAAgent()
        else:
            unknowns.pop("ha_agent", None)
            agent = HAAgent(source="ssh", files=agent_files(read, patterns))
        hosts[host_id] = host.model_copy(update={"ha_agent": agent, "unknowns": dict(sorted(unknowns.items()))})
    clusters = dict(snapshot.clusters)
    for cluster_id, info in (raw.get("cluster_runtime") or {}).items():
        cluster = clusters.get(cluster_id)
        if cluster is None:
            continue
        runtime, reason = ha_runtime(info)
        unknowns = dict(cluster.unknowns)
        if reason is not None:
            unknowns["ha_runtime"] = reason
        clusters[cluster_id] = cluster.model_copy(
            update={"ha_runtime": runtime, "unknowns": dict(sorted(unknowns.items()))}
        )
    return snapshot.model_copy(update={"hosts": hosts, "clusters": clusters}).with_counts()
