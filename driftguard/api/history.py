"""Incident review over the stored snapshots: every change of a range commit by commit (``diff --each``) and the
change history of one object (``history``), attributed like every other drift (the one pipeline of
:mod:`.drift`)."""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from datetime import UTC, datetime
from itertools import pairwise
from pathlib import Path

from driftguard.api._common import UsageError, opened
from driftguard.api.baselines import in_force_at
from driftguard.api.drift import Drift, DriftOptions, Side, drift_between, pick_vcenter, stored_drift, stored_history
from driftguard.api.filters import add_suppressed, rule_sources, suppressed
from driftguard.api.ignore import ignore_patterns
from driftguard.models import KIND_MODELS, KINDS, DiffReport, Kind, Manifest, Snapshot, SnapshotObject
from driftguard.models.patterns import glob_match
from driftguard.models.review import HistoryEntry, ObjectHistory
from driftguard.models.suppression import Suppressed
from driftguard.models.times import parse_when
from driftguard.store import StateRepo, UnknownRevisionError, parse_object_path
from driftguard.store.layout import SEPARATOR, SUFFIX, sanitize_component
from driftguard.store.reading import ObjectChange


def hidden(repo_path: Path, repo: StateRepo, commit: str, drift: Drift, extra: Sequence[str]) -> Suppressed:
    """What the ignore rules in force at ``commit`` hid from ``drift``, by rule."""
    return suppressed(drift.old, drift.new, rule_sources(repo_path, extra, in_force_at(repo, commit).baselines))


def when(repo: StateRepo, text: str | None, *, end: bool = False, option: str = "--since") -> datetime | None:
    """``--since``/``--until``/``--at``: a time (:func:`~driftguard.models.times.parse_when`) or a revision (its
    commit time); a usage error naming the option otherwise."""
    if text is None:
        return None
    moment = parse_when(text, end=end)
    if moment is not None:
        return moment
    try:
        return repo.commit_time(text)
    except UnknownRevisionError:
        raise UsageError(
            f"{option} {text!r} is neither a time (2026-11-29, 2026-11-29T10:00Z, today, yesterday, 7d, 12h) "
            "nor a revision of the state repo"
        ) from None


def snapshot_range(repo: StateRepo, name: str, old_rev: str | None, new_rev: str | None) -> list[str]:
    """The snapshot commits of ``name`` from ``old_rev`` (default: the first) to ``new_rev`` (default: the
    latest), oldest first; a reversed range is a usage error, never an inverted window."""
    new_commit = repo.latest_commit(name, new_rev or "HEAD")
    if new_commit is None:
        raise UsageError(f"{new_rev or 'HEAD'} holds no snapshot of {name}")
    if old_rev is None:
        return [ref.commit for ref in reversed(repo.history(name, rev=new_commit))]
    old_commit = repo.latest_commit(name, old_rev)
    if old_commit is None:
        raise UsageError(f"{old_rev} holds no snapshot of {name}")
    refuse_reversed(repo, old_rev, new_rev or "HEAD")
    return [old_commit, *repo.commits_between(old_commit, new_commit, name)]


def refuse_reversed(repo: StateRepo, old_rev: str, new_rev: str) -> None:
    """A usage error when ``old_rev`` is not ``new_rev`` or an ancestor of it (``diff HEAD HEAD~2``)."""
    if not repo.is_ancestor(old_rev, new_rev):
        raise UsageError(
            f"{old_rev} is not older than {new_rev}: give the older revision first (diff {new_rev} {old_rev})"
        )


def each(
    repo_path: Path,
    *,
    vcenter: str | None = None,
    since: str | None = None,
    until: str | None = None,
    old_rev: str | None = None,
    new_rev: str | None = None,
    ignore: Sequence[str] = (),
) -> Iterator[DiffReport]:
    """One attributed DiffReport per consecutive pair of snapshot commits OF THAT vCenter in the range, oldest
    first: the changes a net diff hides (a change and its revert). ``since``/``until`` keep the pairs whose newer
    commit was made in that window (times, ages, or revisions)."""
    patterns = ignore_patterns(repo_path, ignore)
    with opened(repo_path) as repo:
        name = pick_vcenter(repo, vcenter)
        begin, end = when(repo, since), when(repo, until, end=True, option="--until")
        commits = snapshot_range(repo, name, old_rev, new_rev)
        times = {ref.commit: ref.committed_at for ref in repo.history(name, rev=commits[-1])} if commits else {}
        for old, new in pairwise(commits):
            committed = times.get(new) or repo.commit_time(new)
            if (begin is not None and committed < begin) or (end is not None and committed > end):
                continue
            drift = stored_drift(repo, name, old, new, patterns)
            yield drift.report(old, new).model_copy(update={"suppressed": hidden(repo_path, repo, new, drift, ignore)})


# --- one object's history -----------------------------------------------------------------------------------


def object_kind(kind: str) -> Kind:
    """``kind`` as a :data:`Kind`; a usage error otherwise."""
    for candidate in KINDS:
        if kind == candidate:
            return candidate
    raise UsageError(f"unknown kind {kind!r} (one of {', '.join(KINDS)})")


def find_object(repo: StateRepo, name: str, kind: Kind, ident: str, rev: str = "HEAD") -> tuple[str, str, str]:
    """(moref, path, commit) of the object of ``kind`` whose moref or name is ``ident``: at the latest snapshot
    at or before ``rev``, else at the latest one that still had it (a deleted object has a history too)."""
    wanted = sanitize_component(ident)
    for ref in repo.history(name, rev=rev):
        morefs: dict[str, str] = {}
        for path in repo.object_files_of(ref.commit, name, kind):
            key = parse_object_path(path)
            stem = path.rsplit("/", 1)[-1].removesuffix(SUFFIX)
            if key is not None and (key.id == ident or stem.split(SEPARATOR)[0] == wanted):
                morefs[key.id] = path
        if ident in morefs:
            return ident, morefs[ident], ref.commit
        if len(morefs) > 1:
            ids = ", ".join(sorted(morefs))
            raise UsageError(f"several {kind} objects are named {ident!r} ({ids}): give the moref")
        if morefs:
            ((moref, path),) = morefs.items()
            return moref, path, ref.commit
    raise UsageError(f"no {kind} named {ident!r} (nor with that moref) in any snapshot of {name}")


def history(
    repo_path: Path,
    kind: str,
    ident: str,
    *,
    path: str | None = None,
    since: str | None = None,
    until: str | None = None,
    vcenter: str | None = None,
    ignore: Sequence[str] = (),
) -> ObjectHistory:
    """Every change of one object (``ident``: its moref or its name) across the stored snapshots, oldest first,
    attributed: a per-field blame that names people. ``path`` keeps the fields matching an identifier glob.
    Only the commits that touched the object's file are read (git's path-limited log; renames and moves are
    followed by moref)."""
    wanted = object_kind(kind)
    patterns = ignore_patterns(repo_path, ignore)
    with opened(repo_path) as repo:
        name = pick_vcenter(repo, vcenter)
        begin, end = when(repo, since), when(repo, until, end=True, option="--until")
        moref, file_path, commit = find_object(repo, name, wanted, ident)
        file_path, commit = _latest_location(repo, name, wanted, moref) or (file_path, commit)
        changes = list(reversed(repo.object_log(name, wanted, moref, file_path, commit)))
        blobs = repo.read_blobs([b for c in changes for b in (c.old_blob, c.new_blob) if b is not None])
        model = KIND_MODELS[wanted]
        names: list[str] = []
        entries: list[HistoryEntry] = []
        hid = Suppressed()
        for change in changes:
            old_obj = model.model_validate_json(blobs[change.old_blob]) if change.old_blob else None
            new_obj = model.model_validate_json(blobs[change.new_blob]) if change.new_blob else None
            names += [o.name for o in (old_obj, new_obj) if o is not None and (not names or names[-1] != o.name)]
            if not _within(change, begin, end):
                continue
            drift = _drift(repo, name, change, (old_obj, new_obj), patterns)
            if drift is None:
                continue
            entries += [
                HistoryEntry(commit=change.commit, collected_at=drift.new.manifest.finished_at, item=item)
                for item in drift.items
                if path is None or glob_match(path, item.path)
            ]
            hid = add_suppressed(hid, hidden(repo_path, repo, change.commit, drift, ignore))
        return ObjectHistory(vcenter=name, kind=wanted, id=moref, names=names, entries=entries, suppressed=hid)


def _latest_location(repo: StateRepo, name: str, kind: Kind, moref: str) -> tuple[str, str] | None:
    """(path, commit) of the object ``moref`` in the latest snapshot that has it (found by an older name, it may
    have been renamed since)."""
    for ref in repo.history(name):
        found = repo.object_file(ref.commit, name, kind, moref)
        if found is not None:
            return found[0], ref.commit
    return None


def _within(change: ObjectChange, begin: datetime | None, end: datetime | None) -> bool:
    committed = datetime.fromtimestamp(change.committed, UTC)
    return (begin is None or committed >= begin) and (end is None or committed <= end)


def _drift(
    repo: StateRepo,
    name: str,
    change: ObjectChange,
    objects: tuple[SnapshotObject | None, SnapshotObject | None],
    patterns: Sequence[str],
) -> Drift | None:
    """The drift of one object in one commit, through the one pipeline on snapshots of that object alone."""
    previous = repo.previous_commit(change.commit, name)
    new_manifest = repo.manifest_at(change.commit, name)
    old_manifest = repo.manifest_at(previous, name) if previous is not None else None
    if previous is None or old_manifest is None or new_manifest is None:
        return None  # the first snapshot (the object's initial state, not a change), or the snapshot was removed
    options = DriftOptions(ignore=patterns, in_force=in_force_at(repo, change.commit), always_history=True)
    return drift_between(
        repo,
        Side(previous, _alone(old_manifest, objects[0])),
        _alone(new_manifest, objects[1]),
        lambda _: stored_history(repo, name, previous, change.commit),
        options,
    )


_COLLECTIONS: dict[Kind, str] = {
    "cluster": "clusters",
    "host": "hosts",
    "vm": "vms",
    "dvswitch": "dvswitches",
    "datastore": "datastores",
}


def _alone(manifest: Manifest, obj: SnapshotObject | None) -> Snapshot:
    """A snapshot holding only ``obj`` (or nothing), under ``manifest``."""
    snapshot = Snapshot(manifest=manifest)
    return snapshot if obj is None else snapshot.model_copy(update={_COLLECTIONS[obj.kind]: {obj.id: obj}})
