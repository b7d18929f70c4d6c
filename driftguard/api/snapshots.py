"""The snapshot flow: collect, diff against the previous snapshot, attribute, approve and commit."""

from __future__ import annotations

import contextlib
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from fnmatch import fnmatchcase
from pathlib import Path

from driftguard import policy
from driftguard.api._common import (
    Connection,
    OperationalError,
    Progress,
    _collect,
    _connect,
    _now,
    _open_existing,
    _operational,
    _parse_time,
    vcenter_name,
)
from driftguard.api.baselines import _baselines_at
from driftguard.api.evidence import HostFiles, _ssh_config, _with_host_files, align_host_evidence
from driftguard.api.ignore import ignore_patterns
from driftguard.attribute import attribute
from driftguard.collect import collect_history
from driftguard.diff import diff_snapshots
from driftguard.models import DiffReport, DriftItem, Endpoint, History, Snapshot
from driftguard.models.canonical import canonical_bytes
from driftguard.normalize.events import normalize_history
from driftguard.store import StateRepo

HISTORY_FILE = "history.json"
"""Per-commit file (beside ``manifest.json``) holding the events and tasks that explain that commit's drift, so
attribution of stored snapshots works offline and outlives vCenter's event retention."""


@dataclass(frozen=True)
class SnapshotResult:
    snapshot: Snapshot
    report: DiffReport | None
    """Drift against the previous snapshot of this vCenter; None for the first one."""
    commit: str | None
    """The new commit, or None when nothing changed (the verification time is recorded instead)."""
    message: str


def collect_snapshot(conn: Connection, *, progress: Progress | None = None) -> Snapshot:
    """Read one vCenter now and return its canonical snapshot (raises when the collection is not complete)."""
    with _operational(), _connect(conn) as session:
        return _collect(session, conn, progress)


def _window(repo: StateRepo, old_commit: str | None, old: Snapshot | None, new: Snapshot) -> tuple[datetime, datetime]:
    """(T0, T1] for attribution: from the last time the old state was verified unchanged to the new collection."""
    end = _parse_time(new.manifest.finished_at) or _now()
    begin = None
    if old is not None:
        begin = _parse_time(old.manifest.started_at)
        if old_commit is not None:
            verified = repo.last_verified(old_commit, old.manifest.vcenter.name)
            # A later run that saw the same state proves nothing changed before it: the window starts there.
            if verified is not None and (begin is None or verified > begin):
                begin = verified
    return (begin or end, end)


def _report(
    items: list[DriftItem], old_ref: str, old: Snapshot, new_ref: str, new: Snapshot | None = None
) -> DiffReport:
    return DiffReport.model_validate(
        {
            "from": Endpoint(ref=old_ref, collected_at=old.manifest.finished_at),
            "to": Endpoint(ref=new_ref, collected_at=new.manifest.finished_at if new else None),
            "items": items,
            "summary": DiffReport.summarize(items),
        }
    )


def _relevant_history(history: History, items: Sequence[DriftItem]) -> History:
    """What a later offline ``diff`` or ``check`` needs of the window's history: the events and tasks some item
    names as a candidate, and those of the types the policy rules read (migrations, host failures, HA restarts
    ...), which explain no drift but are findings in themselves."""
    event_keys: set[str] = set()
    task_keys: set[str] = set()
    for item in items:
        for cand in item.attribution.candidates if item.attribution else []:
            (task_keys if cand.source == "task" else event_keys).add(str(cand.event_key))
    wanted = policy.history_event_types(policy.all_rules())

    def read_by_rules(kind: str) -> bool:
        return any(fnmatchcase(kind, pattern) for pattern in wanted)

    return history.model_copy(
        update={
            "events": [e for e in history.events if str(e.key) in event_keys or read_by_rules(e.type)],
            "tasks": [t for t in history.tasks if t.key in task_keys or read_by_rules(t.description_id)],
        }
    )


def commit_message(report: DiffReport | None, snapshot: Snapshot) -> str:
    """First line summarises the drift, e.g. "3 changes on 2 objects: 2 attributed (alice, bob), 1 unattributed"."""
    vc = snapshot.manifest.vcenter.name
    if report is None:
        counts = ", ".join(f"{n} {kind}s" for kind, n in snapshot.manifest.counts.items() if n)
        return f"{vc}: first snapshot ({counts})"
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


def snapshot(
    conn: Connection,
    repo_path: Path,
    *,
    ignore: Sequence[str] = (),
    progress: Progress | None = None,
    host_files: HostFiles | None = None,
    force: bool = False,
) -> SnapshotResult:
    """Collect one vCenter, diff against its previous snapshot, attribute the drift and commit it.

    ``host_files`` adds the HA evidence pass: agent files over SSH and each cluster's HA runtime info.
    ``force``: the run may overwrite a person's uncommitted edits of the snapshot files it rewrites.
    Any failure before the commit leaves the state repo exactly as it was.
    """
    # TODO(lead): pass ``force`` on to the store's write once it takes the parameter (STORE helper).
    del force
    try:
        return _snapshot(conn, repo_path, ignore=ignore, progress=progress, host_files=host_files)
    except OperationalError as exc:
        raise OperationalError(f"{exc}; state repo unchanged, nothing committed") from exc


def _snapshot(
    conn: Connection,
    repo_path: Path,
    *,
    ignore: Sequence[str],
    progress: Progress | None,
    host_files: HostFiles | None = None,
) -> SnapshotResult:
    patterns = ignore_patterns(repo_path, ignore)  # a bad pattern fails before anything is collected
    ssh_config = _ssh_config(repo_path, host_files) if host_files is not None else None
    with _operational():
        repo = _open_existing(repo_path)
        with repo.lock() if repo else contextlib.nullcontext():
            name = vcenter_name(conn.url)
            previous_commit = repo.latest_commit(name) if repo else None
            previous = repo.load(previous_commit, name) if repo and previous_commit else None
            # the baselines in force (committed at HEAD): an invalid one fails before anything is collected
            in_force = _baselines_at(repo, "HEAD") if repo is not None and previous_commit else None
            with _connect(conn) as si:
                current = _collect(si, conn, progress)
                if host_files is not None and ssh_config is not None:
                    current = _with_host_files(si, current, host_files, ssh_config, repo_path, progress)
                if previous is not None:
                    previous, current = align_host_evidence(previous, current)
                report = None
                history = History()
                if repo is not None and previous is not None and previous_commit is not None:
                    extra_ignores = in_force.baselines.ignore if in_force else []
                    items = diff_snapshots(previous, current, ignore=[*extra_ignores, *patterns])
                    window = _window(repo, previous_commit, previous, current)
                    history = History(begin=window[0], end=window[1])
                    if items:
                        history = normalize_history(collect_history(si, begin=window[0], end=window[1]))
                        items = attribute(items, history, old=previous, new=current, window=window)
                    if in_force is not None:
                        items = in_force.approve(items, current)
                    report = _report(items, previous_commit, previous, "snapshot", current)
            # Only now, with a complete collection in hand, may a missing state repo be created.
            repo = repo or StateRepo.open(repo_path, create=True)
            message = commit_message(report, current)
            extra = {}
            if report is not None:
                extra[HISTORY_FILE] = canonical_bytes(_relevant_history(history, report.items))
            summary = report.summary.model_dump() if report else None
            commit = repo.write_snapshot(current, message, summary=summary, extra_files=extra)
            if report is not None and commit is not None:
                to = Endpoint(ref=commit, collected_at=current.manifest.finished_at)
                report = report.model_copy(update={"to": to})
            return SnapshotResult(snapshot=current, report=report, commit=commit, message=message)
