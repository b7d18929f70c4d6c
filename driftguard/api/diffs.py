"""History drift between stored snapshots or against vCenter now (``diff``), and the snapshot log."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

from driftguard.api._common import Connection, Progress, UsageError, _collect, _connect, _operational, vcenter_name
from driftguard.api.baselines import _baselines_at
from driftguard.api.evidence import align_host_evidence
from driftguard.api.ignore import ignore_patterns
from driftguard.api.snapshots import HISTORY_FILE, _report, _window
from driftguard.attribute import attribute
from driftguard.collect import collect_history
from driftguard.diff import diff_snapshots
from driftguard.models import DiffReport, DriftItem, Event, History, LogEntry, Snapshot, Summary, Task
from driftguard.normalize.events import normalize_history
from driftguard.store import StateRepo


def _single_vcenter(repo: StateRepo, vcenter: str | None, rev: str = "HEAD") -> str:
    names = repo.vcenters(rev)
    if vcenter:
        if vcenter not in names:
            raise UsageError(f"no vCenter named {vcenter!r} in the state repo (have: {', '.join(names) or 'none'})")
        return vcenter
    if len(names) == 1:
        return names[0]
    if not names:
        raise UsageError("the state repo has no snapshot yet: run `driftguard snapshot` first")
    raise UsageError(f"the state repo holds several vCenters ({', '.join(names)}): pick one with --vcenter")


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
    with _operational():
        repo = StateRepo.open(repo_path)
        name = _single_vcenter(repo, vcenter)
        refs = repo.history(name, limit=2)
        if new_rev is None and old_rev is None and len(refs) < 2:
            raise UsageError(f"only {len(refs)} snapshot of {name} so far: nothing to compare yet")
        new_commit = repo.resolve(new_rev) if new_rev else refs[0].commit
        old_commit = repo.resolve(old_rev) if old_rev else repo.previous_commit(new_commit, name)
        if old_commit is None:
            raise UsageError(f"{new_commit[:10]} is the first snapshot of {name}: nothing before it to compare")
        drift = stored_drift(repo, repo_path, name, old_commit, new_commit, ignore=ignore)
        return _report(drift.items, old_commit, drift.old, new_commit, drift.new)


@dataclass(frozen=True)
class StoredDrift:
    """History drift between two stored snapshots of one vCenter, attributed and marked against baselines."""

    old: Snapshot
    new: Snapshot
    """Both sides aligned for comparison (host files collected on one side only read *unknown* on the other)."""
    stored_new: Snapshot
    """The newer snapshot exactly as stored (what the rules of ``check`` judge)."""
    items: list[DriftItem]
    history: History
    """The history stored with the commits in (old, new]."""


def stored_drift(
    repo: StateRepo, repo_path: Path, name: str, old_commit: str, new_commit: str, *, ignore: Sequence[str] = ()
) -> StoredDrift:
    """The one place stored snapshots are loaded, diffed, attributed and approved (``diff`` and ``check``)."""
    stored_new = repo.load(new_commit, name)
    old, new = align_host_evidence(repo.load(old_commit, name), stored_new)
    in_force = _baselines_at(repo, new_commit)
    items = diff_snapshots(old, new, ignore=[*in_force.baselines.ignore, *ignore_patterns(repo_path, ignore)])
    history = _stored_history(repo, name, old_commit, new_commit)
    if items:
        items = attribute(items, history, old=old, new=new, window=_window(repo, old_commit, old, new))
    return StoredDrift(old, new, stored_new, in_force.approve(items, new), history)


def _stored_history(repo: StateRepo, vcenter: str, old_commit: str, new_commit: str) -> History:
    """Union of the histories committed with every snapshot in (old, new].

    Each snapshot commit after the first carries the events that explain its drift; a commit without one (made
    by hand, or by another tool) makes the merged history incomplete, so its changes read *unknown*, not
    *unattributed*.
    """
    events: dict[int, Event] = {}
    tasks: dict[str, Task] = {}
    complete = tasks_complete = True
    begins: list[datetime] = []
    ends: list[datetime] = []
    notes: list[str] = []
    for commit in repo.commits_between(old_commit, new_commit, vcenter):
        data = repo.read_file(commit, f"{vcenter}/{HISTORY_FILE}")
        if data is None:
            complete = False
            notes.append(f"commit {commit[:10]} stores no event history")
            continue
        part = History.model_validate_json(data)
        complete = complete and part.complete
        tasks_complete = tasks_complete and part.tasks_complete
        begins += [part.begin] if part.begin else []
        ends += [part.end] if part.end else []
        notes += part.notes
        events.update({e.key: e for e in part.events})
        tasks.update({t.key: t for t in part.tasks})
    return History(
        begin=min(begins) if begins else None,
        end=max(ends) if ends else None,
        events=sorted(events.values(), key=lambda e: (e.created, e.key)),
        tasks=sorted(tasks.values(), key=lambda t: t.key),
        complete=complete,
        tasks_complete=tasks_complete,
        notes=notes,
    )


def diff_live(
    conn: Connection,
    repo_path: Path,
    old_rev: str | None = None,
    *,
    ignore: Sequence[str] = (),
    progress: Progress | None = None,
) -> DiffReport:
    """Drift between a stored snapshot (default: the latest) and vCenter right now, attributed live."""
    patterns = ignore_patterns(repo_path, ignore)
    with _operational():
        repo = StateRepo.open(repo_path)
        name = vcenter_name(conn.url)
        old_commit = repo.resolve(old_rev) if old_rev else repo.latest_commit(name)
        if old_commit is None:
            raise UsageError(f"no snapshot of {name} in {repo_path} yet: run `driftguard snapshot` first")
        old = repo.load(old_commit, name)
        in_force = _baselines_at(repo, "HEAD")
        with _connect(conn) as si:
            live = _collect(si, conn, progress)
            old, live = align_host_evidence(old, live)
            items = diff_snapshots(old, live, ignore=[*in_force.baselines.ignore, *patterns])
            if items:
                window = _window(repo, old_commit, old, live)
                history = normalize_history(collect_history(si, begin=window[0], end=window[1]))
                items = attribute(items, history, old=old, new=live, window=window)
        return _report(in_force.approve(items, live), old_commit, old, "live", live)


def log(repo_path: Path, *, vcenter: str | None = None, limit: int = 50) -> list[LogEntry]:
    """Snapshot commits, newest first, with their drift summaries."""
    with _operational():
        repo = StateRepo.open(repo_path)
        entries = []
        for ref in repo.history(vcenter, limit=limit):
            parsed = Summary.model_validate(ref.summary) if isinstance(ref.summary, dict) else None
            entries.append(
                LogEntry(
                    commit=ref.commit,
                    vcenter=ref.vcenter,
                    committed_at=ref.committed_at.isoformat(),
                    collected_at=ref.collected_at,
                    subject=ref.subject,
                    summary=parsed,
                )
            )
        return entries
