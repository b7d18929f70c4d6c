"""HA evidence: agent files over SSH during ``snapshot``, vm-support bundles (``driftguard import``)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from driftguard.api._common import OperationalError, Progress, UsageError, _open_existing, _operational
from driftguard.api.config import host_files as host_files_settings
from driftguard.collect import CollectError, Session, hostfiles
from driftguard.models import HostEvidence, Snapshot
from driftguard.normalize.evidence import EvidenceParams, normalize_bundle
from driftguard.normalize.hostfiles import apply_host_files
from driftguard.store import StateRepo
from driftguard.store.evidence import evidence_path, write_evidence

# --- HA evidence: agent files over SSH, vm-support bundles (docs/host-files.md) ------------------------------------

NOT_COLLECTED = "HA agent files were not collected in this snapshot (no --host-files)"


@dataclass(frozen=True)
class HostFiles:
    """The HA evidence pass of ``snapshot``: which hosts, how, and how strict."""

    mode: str = "ssh"
    hosts: tuple[str, ...] = ()
    """Globs on host names; empty means every host."""
    config: Path | None = None
    """Another driftguard.yaml (or the deprecated driftguard.toml); default: the state repo's configuration."""
    strict: bool = False
    """Fail the snapshot (nothing committed) when any selected host cannot be read."""
    parallelism: int | None = None
    timeout: float | None = None


def _ssh_config(repo_path: Path, options: HostFiles) -> hostfiles.SshConfig:
    if options.mode != "ssh":
        raise UsageError(f"unknown host-file source {options.mode!r} (supported: ssh)")
    config = hostfiles.from_settings(host_files_settings(repo_path, options.config), base=repo_path)
    return config.with_overrides(parallelism=options.parallelism, timeout=options.timeout)


def _with_host_files(
    si: Session,
    snapshot: Snapshot,
    options: HostFiles,
    config: hostfiles.SshConfig,
    repo_path: Path,
    progress: Progress | None,
) -> Snapshot:
    chosen = set(hostfiles.select_hosts(sorted({h.name for h in snapshot.hosts.values()}), options.hosts))
    # by id: host names need not be unique (two vCenter hosts added by the same IP through different datacenters)
    targets = {host.id: config.target(host.name) for host in snapshot.hosts.values() if host.name in chosen}
    raw = hostfiles.collect_host_files(
        targets,
        known_hosts=config.known_hosts_file(repo_path),
        parallelism=config.parallelism,
        timeout=config.timeout,
        on_progress=progress,
    )
    clusters = {host.cluster for host in snapshot.hosts.values() if host.id in targets and host.cluster}
    raw["cluster_runtime"] = hostfiles.collect_das_runtime(si, clusters)
    failed = {snapshot.hosts[i].name: read["error"] for i, read in raw["hosts"].items() if read["error"]}
    if options.strict and failed:
        detail = "; ".join(f"{reason}" for _, reason in sorted(failed.items()))
        raise OperationalError(f"{len(failed)} host(s) could not be read (--host-files-strict): {detail}")
    return apply_host_files(snapshot, raw, config.redact)


def align_host_evidence(old: Snapshot, new: Snapshot) -> tuple[Snapshot, Snapshot]:
    """Make a run without host files comparable with one that had them.

    A host whose agent files were collected on one side only (``ha_agent.source`` unset on the other, and not
    already unknown) gets ``unknowns["ha_agent"]`` on the uncollected side, and a cluster's HA runtime likewise:
    switching ``--host-files`` on or off is not drift, and certainly not an edit made outside vCenter.
    """

    def mark(snapshot: Snapshot, other: Snapshot) -> Snapshot:
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

    return mark(old, new), mark(new, old)


def trust_hosts(
    hosts: Sequence[str],
    repo_path: Path | None,
    *,
    config: Path | None = None,
    replace: bool = False,
    timeout: float = 10.0,
) -> tuple[Path, list[hostfiles.TrustResult]]:
    """Record the SSH host keys of ``hosts`` (names as in vCenter, mapped through the config) in the known_hosts
    file driftguard verifies against. Returns that file and what was recorded."""
    options = HostFiles(config=config)
    ssh_config = _ssh_config(repo_path or Path.cwd(), options)
    known = ssh_config.known_hosts
    if known is None:
        # recording keys for the state repo: its own file, so CI and colleagues verify against the same keys
        known = (repo_path / "known_hosts") if repo_path is not None else Path("~/.ssh/known_hosts").expanduser()
    try:
        return known, hostfiles.trust_hosts(
            [ssh_config.target(h) for h in hosts], known, replace=replace, timeout=timeout
        )
    except hostfiles.HostKeyError as exc:
        raise OperationalError(str(exc)) from exc
    except CollectError as exc:
        raise OperationalError(str(exc)) from exc


@dataclass(frozen=True)
class ImportResult:
    evidence: list[HostEvidence]
    paths: list[str]
    commit: str | None
    message: str


def import_bundles(
    bundles: Sequence[Path],
    repo_path: Path,
    *,
    params: EvidenceParams | None = None,
    config: Path | None = None,
) -> ImportResult:
    """Read vm-support bundles, commit each host's evidence to ``evidence/<vcenter>/<host>.json`` and return the
    findings. A host whose name matches a host in a stored snapshot is filed under that vCenter and moref."""
    params = params or EvidenceParams()
    ssh_config = _ssh_config(repo_path, HostFiles(config=config))
    raws = []
    with _operational():
        for path in bundles:
            try:
                raws.extend(hostfiles.read_bundle(path))
            except hostfiles.BundleError as exc:
                raise UsageError(str(exc)) from exc
        repo = _open_existing(repo_path) or StateRepo.open(repo_path, create=True)
        known = _known_host_names(repo)
        evidence: dict[str, HostEvidence] = {}
        for raw in raws:
            probe = normalize_bundle(
                raw, patterns=ssh_config.redact, params=params, vcenter="_bundles", host_id=None, location=None
            )
            vcenter, host_id = known.get(_short(probe.host.name), ("_bundles", probe.host.name))
            location = evidence_path(vcenter, probe.host.name)
            item = normalize_bundle(
                raw, patterns=ssh_config.redact, params=params, vcenter=vcenter, host_id=host_id, location=location
            )
            evidence[location] = item
        findings = [f for e in evidence.values() for f in e.findings]
        hosts = ", ".join(sorted(e.host.name for e in evidence.values()))
        severities = sorted({f.severity for f in findings})
        message = f"evidence: {hosts} from {len(bundles)} bundle(s): {len(findings)} finding(s)" + (
            f" ({', '.join(severities)})" if severities else ""
        )
        commit = write_evidence(repo, evidence, message)
        return ImportResult(evidence=list(evidence.values()), paths=list(evidence), commit=commit, message=message)


def _short(name: str) -> str:
    return name.lower().split(".", 1)[0]


def _known_host_names(repo: StateRepo) -> dict[str, tuple[str, str]]:
    """Short host name → (vCenter, moref) from the latest snapshot of every vCenter in the repo."""
    if repo.head() is None:
        return {}
    found: dict[str, tuple[str, str]] = {}
    for name in repo.vcenters():
        for host in repo.load("HEAD", name).hosts.values():
            found.setdefault(_short(host.name), (name, host.id))
    return found
