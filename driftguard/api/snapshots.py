"""The snapshot flow: collect, diff against the previous snapshot, attribute, approve and commit."""

from __future__ import annotations

import contextlib
import dataclasses
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from driftguard import policy
from driftguard.api._common import (
    Connection,
    OperationalError,
    Progress,
    existing,
    opened,
    operational,
    read_vcenter,
    session,
    vcenter_name,
    with_unknown_event_types,
)
from driftguard.api.baselines import NO_BASELINES, in_force_at
from driftguard.api.drift import (
    Drift,
    DriftOptions,
    Live,
    Side,
    collect_current,
    drift_between,
    latest,
    live_source,
)
from driftguard.api.evidence import HostFiles, ssh_config, with_host_files
from driftguard.api.ignore import ignore_patterns
from driftguard.api.reuse import prepare, save
from driftguard.models import DiffReport, Endpoint, Snapshot
from driftguard.models.canonical import canonical_bytes
from driftguard.models.history import relevant
from driftguard.report.commit import commit_message
from driftguard.store import HISTORY_FILE, StateRepo


@dataclass(frozen=True)
class SnapshotResult:
    snapshot: Snapshot
    report: DiffReport | None
    """Drift against the previous snapshot of this vCenter; None for the first one."""
    commit: str | None
    """The new commit, or None when nothing changed (the verification time is recorded instead)."""
    message: str
    reused: int = 0
    """VMs not decoded: their answers and the inventory around them were the last run's (:mod:`.reuse`)."""


def collect_snapshot(conn: Connection, *, progress: Progress | None = None) -> Snapshot:
    """Read one vCenter now and return its canonical snapshot (raises when the collection is not complete)."""
    with operational(), session(conn) as si:
        return read_vcenter(si, conn, progress)


def snapshot(
    conn: Connection,
    repo_path: Path,
    *,
    ignore: Sequence[str] = (),
    progress: Progress | None = None,
    host_files: HostFiles | None = None,
    vcenter: str | None = None,
    force: bool = False,
) -> SnapshotResult:
    """Collect one vCenter, diff against its previous snapshot, attribute the drift and commit it.

    ``host_files`` adds the HA evidence pass: agent files over SSH and each cluster's HA runtime info.
    ``vcenter`` names the vCenter in the state repo (default: from its URL, see :func:`vcenter_name`).
    ``force``: the run may overwrite a person's uncommitted edits of the snapshot files it rewrites.
    Any failure before the commit leaves the state repo exactly as it was.
    """
    try:
        live = Live(conn, vcenter or vcenter_name(conn.url), progress)
        return _snapshot(live, repo_path, ignore, host_files, force=force)
    except OperationalError as exc:
        said = "nothing committed" in str(exc)
        raise OperationalError(f"{exc}; state repo unchanged{'' if said else ', nothing committed'}") from exc


def _snapshot(
    live: Live, repo_path: Path, ignore: Sequence[str], host_files: HostFiles | None, *, force: bool
) -> SnapshotResult:
    patterns = ignore_patterns(repo_path, ignore)  # a bad pattern fails before anything is collected
    ssh = ssh_config(repo_path, host_files) if host_files is not None else None
    # The writer lock is held only to commit (below): snapshots of other vCenters into this repo collect meanwhile.
    with existing(repo_path) as repo:
        if repo is not None:
            with repo.lock():  # a repo another writer holds fails (or waits, --wait) before a long collection
                pass
        previous = latest(repo, live.name, partial=True)  # objects are read only where the bytes differ
        # the baselines in force (committed at HEAD): an invalid one fails before anything is collected
        in_force = in_force_at(repo, "HEAD") if previous is not None else NO_BASELINES
        options = DriftOptions(ignore=patterns, in_force=in_force)
        # VMs whose answers are last run's are not decoded (api.reuse); the rest are held as file bytes
        reuse = prepare(repo, live.name, previous.commit if previous is not None else None)
        with session(live.conn) as si:
            current = collect_current(si, live, previous, pack=True, reuse=reuse)
            if host_files is not None and ssh is not None:
                current = with_host_files(si, current, host_files, ssh, repo_path, live.progress)
            drift = None
            if repo is not None and previous is not None:
                drift = drift_between(repo, previous, current, live_source(si), options)
                current = drift.new  # stored aligned: host files not collected this time read unknown
                current = with_unknown_event_types(current, drift.history)
        # Only now, with a complete collection in hand, may a missing state repo be created.
        with contextlib.ExitStack() as stack:
            target = repo or stack.enter_context(opened(repo_path, create=True))
            with operational(), target.lock():
                _still_latest(target, live.name, previous)
                result = _commit(target, current, previous, drift, force=force)
                stored = result.commit or (previous.commit if previous is not None else None)
                if stored is not None:
                    save(target, live.name, stored, reuse, current)
                return dataclasses.replace(result, reused=reuse.skipped)


def _still_latest(repo: StateRepo, name: str, previous: Side | None) -> None:
    """Refuse to commit when another run committed a snapshot of the same vCenter while this one collected."""
    now = repo.latest_commit(name)
    if now != (previous.commit if previous is not None else None):
        raise OperationalError(
            f"another run committed a snapshot of {name} ({(now or 'none')[:10]}) while this one collected; run again"
        )


def _commit(
    repo: StateRepo, current: Snapshot, previous: Side | None, drift: Drift | None, *, force: bool
) -> SnapshotResult:
    report = drift.report(previous.commit, "snapshot") if drift is not None and previous is not None else None
    message = commit_message(report, current)
    extra = {}
    if drift is not None and report is not None:
        kept = relevant(drift.history, report.items, policy.history_event_types(policy.all_rules()))
        extra[HISTORY_FILE] = canonical_bytes(kept)
    summary = report.summary.model_dump() if report else None
    commit = repo.write_snapshot(current, message, summary=summary, extra_files=extra, force=force)
    if report is not None and commit is not None:
        report = report.model_copy(update={"to": Endpoint(ref=commit, collected_at=current.manifest.finished_at)})
    return SnapshotResult(snapshot=current, report=report, commit=commit, message=message)
