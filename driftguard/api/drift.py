"""The one drift pipeline every command runs: align host evidence → diff with the baselines' and the user's
ignores → attribution window → history → attribute → approve; and the one loader of the snapshots it compares."""

from __future__ import annotations

import functools
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import datetime

from pydantic import ValidationError

from driftguard.api._common import Connection, OperationalError, Progress, UsageError, read_vcenter
from driftguard.api.baselines import NO_BASELINES, in_force_at
from driftguard.api.reuse import Reuse
from driftguard.attribute import attribute
from driftguard.baseline.approval import InForce
from driftguard.collect import Session, collect_history
from driftguard.diff import diff_snapshots, only_objects
from driftguard.diff.align import align_host_evidence
from driftguard.models import DiffReport, DriftItem, Endpoint, History, Snapshot
from driftguard.models.history import merge
from driftguard.models.times import now
from driftguard.normalize.events import normalize_history
from driftguard.store import HISTORY_FILE, StateRepo, vcenter_dir
from driftguard.store.reading import object_keys

Window = tuple[datetime, datetime]
HistorySource = Callable[[Window], History]
"""The events and tasks of an attribution window: read from vCenter, or from what the commits stored."""


@dataclass(frozen=True)
class Side:
    """One stored end of a comparison: the commit that holds the snapshot, and the snapshot."""

    commit: str
    snapshot: Snapshot
    partial: bool = False
    """``snapshot`` holds only the manifest and the clusters (:func:`latest` with ``partial``):
    :func:`drift_between` reads from the repo just the objects whose stored bytes differ from the new side's."""


@dataclass(frozen=True)
class DriftOptions:
    """What shapes the drift besides the two snapshots."""

    ignore: Sequence[str] = ()
    """The user's ignore patterns (``.driftguardignore``, ``--ignore``); the baselines' ``ignore:`` come along."""
    in_force: InForce = NO_BASELINES
    always_history: bool = False
    """Read the window's history even when nothing drifted (``check``: the rules read events themselves)."""


@dataclass(frozen=True)
class Drift:
    """History drift from a stored snapshot to a newer one, attributed and marked against the baselines."""

    old: Snapshot
    new: Snapshot
    """Both sides aligned for comparison (host files collected on one side only read *unknown* on the other).
    A side read from the state repo holds only the objects that differ between the two, plus every cluster
    (:func:`stored_drift`, and the old side of a :func:`latest` ``partial`` one); a live side is whole."""
    items: list[DriftItem]
    history: History
    load_target: Callable[[], Snapshot] = field(repr=False, compare=False)

    @functools.cached_property
    def target(self) -> Snapshot:
        """The newer snapshot as given, whole (what the rules of ``check`` judge, and what ``snapshot`` commits);
        read from the state repo on first use when it is a stored one."""
        return self.load_target()

    def report(self, old_ref: str, new_ref: str) -> DiffReport:
        return DiffReport.model_validate(
            {
                "from": Endpoint(ref=old_ref, collected_at=self.old.manifest.finished_at),
                "to": Endpoint(ref=new_ref, collected_at=self.new.manifest.finished_at),
                "items": self.items,
                "summary": DiffReport.summarize(self.items),
            }
        )


def drift_between(
    repo: StateRepo,
    old: Side,
    new: Snapshot,
    history: HistorySource,
    options: DriftOptions,
    *,
    target: Callable[[], Snapshot] | None = None,
) -> Drift:
    """The drift from ``old`` to ``new``: the one place snapshots are aligned, diffed, attributed and approved.

    With a ``partial`` old side, only the objects whose canonical bytes differ from ``new``'s are read from the
    repo and compared (git blob ids of the fresh serialisation against the stored tree). ``target``: how to get
    the whole newer snapshot when ``new`` is partial (default: ``new`` itself).
    """
    old_snapshot, compared = old.snapshot, new
    if old.partial:
        name = old.snapshot.manifest.vcenter.name
        changed = repo.changed_from(old.commit, name, new)
        old_snapshot, compared = repo.load(old.commit, name, only=changed), only_objects(new, changed)
    aligned_old, aligned_compared = align_host_evidence(old_snapshot, compared)
    aligned_new = aligned_compared if compared is new else align_host_evidence(old_snapshot, new)[1]
    items = diff_snapshots(aligned_old, aligned_compared, ignore=[*options.in_force.baselines.ignore, *options.ignore])
    span = window(repo, old.commit, aligned_old, aligned_new)
    events = history(span) if items or options.always_history else History(begin=span[0], end=span[1])
    if items:
        items = attribute(items, events, old=aligned_old, new=aligned_new, window=span)
    approved = options.in_force.approve(items, aligned_new)
    return Drift(aligned_old, aligned_new, approved, events, target or (lambda: new))


def window(repo: StateRepo, old_commit: str, old: Snapshot, new: Snapshot) -> Window:
    """(T0, T1] for attribution: from the last time the old state was verified unchanged to the new collection."""
    end = new.manifest.finished_at or now()
    begin = old.manifest.started_at
    verified = repo.last_verified(old_commit, old.manifest.vcenter.name)
    # A later run that saw the same state proves nothing changed before it: the window starts there.
    if verified is not None and (begin is None or verified > begin):
        begin = verified
    return (begin or end, end)


# --- the snapshots compared -----------------------------------------------------------------------------------


def latest(repo: StateRepo | None, name: str, rev: str = "HEAD", *, partial: bool = False) -> Side | None:
    """The latest stored snapshot of ``name`` at ``rev`` (None in a missing or empty repo, or before the first).

    ``partial``: read only its manifest and clusters; :func:`drift_between` reads the objects it needs.
    """
    commit = repo.latest_commit(name, rev) if repo is not None else None
    if repo is None or commit is None:
        return None
    return (
        Side(commit, repo.load(commit, name, only=()), partial=True)
        if partial
        else Side(commit, repo.load(commit, name))
    )


def latest_snapshots(repo: StateRepo, commit: str) -> list[Side]:
    """The latest snapshot of every vCenter in the state repo at ``commit``."""
    sides = (latest(repo, name, commit) for name in repo.vcenters(commit))
    return [side for side in sides if side is not None]


def pick_vcenter(repo: StateRepo, vcenter: str | None, rev: str = "HEAD") -> str:
    """``vcenter`` when the state repo has it, else the only vCenter there is; a usage error otherwise."""
    names = repo.vcenters(rev)
    if vcenter:
        if vcenter not in names:
            raise UsageError(f"no vCenter named {vcenter!r} in the state repo (have: {', '.join(names) or 'none'})")
        return vcenter
    if len(names) == 1:
        return names[0]
    if not names:
        raise UsageError("the state repo has no snapshot yet: run `driftguard snapshot` first")
    raise UsageError(f"the state repo holds several vCenters ({', '.join(names)}): pick one with --vcenter-name")


def stored_drift(repo: StateRepo, name: str, old_commit: str, new_commit: str, ignore: Sequence[str]) -> Drift:
    """The drift between two stored snapshots of ``name``: approved by the baselines committed with the newer one,
    attributed from the histories the commits in between stored.

    Which objects changed comes from git (``diff-tree`` of the two commits); only those (and the clusters) are
    read and compared, so the cost follows the changes, not the estate. ``Drift.target`` reads the whole newer
    snapshot when first used."""
    paths = repo.changed_paths(old_commit, new_commit, name)  # from the trees: cost follows the changes
    changed = object_keys(paths)
    old = Side(old_commit, repo.load(old_commit, name, only=changed, paths=paths))
    new = repo.load(new_commit, name, only=changed, paths=paths)
    options = DriftOptions(ignore=ignore, in_force=in_force_at(repo, new_commit), always_history=True)
    source: HistorySource = lambda _: stored_history(repo, name, old_commit, new_commit)  # noqa: E731
    return drift_between(repo, old, new, source, options, target=lambda: repo.load(new_commit, name))


def stored_history(repo: StateRepo, name: str, old_commit: str, new_commit: str) -> History:
    """Union of the histories committed with every snapshot of ``name`` in (old, new]."""
    path = f"{vcenter_dir(name)}/{HISTORY_FILE}"  # where the snapshot wrote it: the sanitised directory
    parts = []
    for commit in repo.commits_between(old_commit, new_commit, name):
        data = repo.read_file(commit, path)
        try:
            parts.append((commit, History.model_validate_json(data) if data is not None else None))
        except ValidationError as exc:
            raise OperationalError(f"{path} of commit {commit[:10]} is corrupt ({exc.error_count()} errors)") from None
    return merge(parts)


# --- vCenter now ----------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Live:
    """What a live read needs: the connection, the vCenter's name in the state repo, a progress callback."""

    conn: Connection
    name: str
    progress: Progress | None = None


def collect_current(
    si: Session, live: Live, previous: Side | None, *, pack: bool = False, reuse: Reuse | None = None
) -> Snapshot:
    """vCenter's snapshot now, refused when it is empty where the last snapshot had objects (issue 8: a garbage
    answer read as "everything was deleted" must never become a complete snapshot). ``pack``: see
    :func:`~driftguard.api._common.read_vcenter`; ``reuse``: what may be skipped (:mod:`driftguard.api.reuse`),
    filled with what was seen."""
    current = read_vcenter(si, live.conn, live.progress, live.name, pack=pack, reuse=reuse)
    had = sum(previous.snapshot.manifest.counts.values()) if previous is not None else 0
    if had and not any(current.manifest.counts.values()):
        raise OperationalError(
            f"vcenter {current.manifest.vcenter.name} returned no objects but the last snapshot had {had}; "
            "nothing committed"
        )
    return current


def live_source(si: Session) -> HistorySource:
    return lambda span: normalize_history(collect_history(si, begin=span[0], end=span[1]))
