"""History drift between stored snapshots or against vCenter now (``diff``), and the snapshot log."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

from driftguard.api._common import Connection, Progress, UsageError, opened, session, vcenter_name
from driftguard.api.baselines import in_force_at
from driftguard.api.drift import (
    DriftOptions,
    Live,
    Side,
    collect_current,
    drift_between,
    live_source,
    pick_vcenter,
    stored_drift,
)
from driftguard.api.ignore import ignore_patterns
from driftguard.models import DiffReport, LogEntry, Summary


def diff(
    repo_path: Path,
    old_rev: str | None = None,
    new_rev: str | None = None,
    *,
    vcenter: str | None = None,
    ignore: Sequence[str] = (),
) -> DiffReport:
    """History drift between two stored snapshots (default: the previous and the latest), attributed from the
    events stored with the commits in between."""
    patterns = ignore_patterns(repo_path, ignore)
    with opened(repo_path) as repo:
        name = pick_vcenter(repo, vcenter)
        refs = repo.history(name, limit=2)
        if new_rev is None and old_rev is None and len(refs) < 2:
            raise UsageError(f"only {len(refs)} snapshot of {name} so far: nothing to compare yet")
        new_commit = repo.resolve(new_rev) if new_rev else refs[0].commit
        old_commit = repo.resolve(old_rev) if old_rev else repo.previous_commit(new_commit, name)
        if old_commit is None:
            raise UsageError(f"{new_commit[:10]} is the first snapshot of {name}: nothing before it to compare")
        return stored_drift(repo, name, old_commit, new_commit, patterns).report(old_commit, new_commit)


def diff_live(
    conn: Connection,
    repo_path: Path,
    old_rev: str | None = None,
    *,
    ignore: Sequence[str] = (),
    progress: Progress | None = None,
    vcenter: str | None = None,
) -> DiffReport:
    """Drift between a stored snapshot (default: the latest) and vCenter right now, attributed live.
    ``vcenter`` is the vCenter's name in the state repo (default: from its URL)."""
    patterns = ignore_patterns(repo_path, ignore)
    live = Live(conn, vcenter or vcenter_name(conn.url), progress)
    with opened(repo_path) as repo:
        old_commit = repo.resolve(old_rev) if old_rev else repo.latest_commit(live.name)
        if old_commit is None:
            raise UsageError(f"no snapshot of {live.name} in {repo_path} yet: run `driftguard snapshot` first")
        old = Side(old_commit, repo.load(old_commit, live.name))
        options = DriftOptions(ignore=patterns, in_force=in_force_at(repo, "HEAD"))
        with session(conn) as si:
            drift = drift_between(repo, old, collect_current(si, live, old), live_source(si), options)
        return drift.report(old_commit, "live")


def log(repo_path: Path, *, vcenter: str | None = None, limit: int = 50) -> list[LogEntry]:
    """Snapshot commits, newest first, with their drift summaries."""
    with opened(repo_path) as repo:
        refs = repo.history(vcenter, limit=limit)
    return [
        LogEntry(
            commit=ref.commit,
            vcenter=ref.vcenter,
            committed_at=ref.committed_at,
            collected_at=ref.collected_at,
            subject=ref.subject,
            summary=Summary.model_validate(ref.summary) if isinstance(ref.summary, dict) else None,
        )
        for ref in refs
    ]
