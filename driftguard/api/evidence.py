"""HA evidence: agent files over SSH during ``snapshot``, vm-support bundles (``driftguard import``)."""

from __future__ import annotations

import contextlib
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from driftguard.api._common import OperationalError, Progress, UsageError, existing, opened, operational
from driftguard.api.config import host_files as host_files_settings
from driftguard.api.drift import latest_snapshots
from driftguard.collect import Session, hostfiles
from driftguard.models import HostEvidence, Snapshot
from driftguard.normalize.bundle import bundle_host, host_index, place
from driftguard.normalize.evidence import bundle_logs, normalize_bundle
from driftguard.normalize.hostfiles import apply_host_files
from driftguard.policy import EvidenceParams, evidence_findings
from driftguard.report.commit import evidence_message
from driftguard.store.evidence import evidence_path, write_evidence

# --- HA evidence: agent files over SSH, vm-support bundles (docs/host-files.md) ------------------------------------


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


def ssh_config(repo_path: Path, options: HostFiles) -> hostfiles.SshConfig:
    if options.mode != "ssh":
        raise UsageError(f"unknown host-file source {options.mode!r} (supported: ssh)")
    config = hostfiles.from_settings(host_files_settings(repo_path, options.config), base=repo_path)
    return config.with_overrides(parallelism=options.parallelism, timeout=options.timeout)


def with_host_files(
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
    ssh = ssh_config(repo_path or Path.cwd(), options)
    known = ssh.known_hosts
    if known is None:
        # recording keys for the state repo: its own file, so CI and colleagues verify against the same keys
        known = (repo_path / "known_hosts") if repo_path is not None else Path("~/.ssh/known_hosts").expanduser()
    with operational():  # a refused or changed host key too (HostKeyError is a CollectError)
        return known, hostfiles.trust_hosts([ssh.target(h) for h in hosts], known, replace=replace, timeout=timeout)


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
    ssh = ssh_config(repo_path, HostFiles(config=config))
    raws = []
    with operational():
        for path in bundles:
            try:
                raws.extend(hostfiles.read_bundle(path))
            except hostfiles.BundleError as exc:
                raise UsageError(str(exc)) from exc
    with existing(repo_path) as found, contextlib.ExitStack() as stack:
        repo = found or stack.enter_context(opened(repo_path, create=True))
        index = host_index(side.snapshot for side in latest_snapshots(repo, "HEAD")) if repo.head() else {}
        evidence: dict[str, HostEvidence] = {}
        for raw in raws:
            name = bundle_host(raw)
            vcenter, host_id = place(name, index)
            location = evidence_path(vcenter, name)
            item = normalize_bundle(raw, patterns=ssh.redact, vcenter=vcenter, host_id=host_id, location=location)
            logs = bundle_logs(raw, vcenter=vcenter, host_id=host_id, location=location)
            findings = evidence_findings([logs], params.rule_config())  # the DG-EVIDENCE-* rules, via the engine
            evidence[location] = item.model_copy(update={"findings": findings})
        message = evidence_message(evidence.values(), len(bundles))
        commit = write_evidence(repo, evidence, message)
        return ImportResult(evidence=list(evidence.values()), paths=list(evidence), commit=commit, message=message)
