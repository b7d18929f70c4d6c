"""``driftguard show``: one object's stored configuration at a point in time."""

from __future__ import annotations

import json
from pathlib import Path

from driftguard.api._common import UsageError, opened
from driftguard.api.drift import pick_vcenter
from driftguard.api.filters import commit_at
from driftguard.api.history import find_object, object_kind, when
from driftguard.models.review import StoredObject
from driftguard.models.times import parse_when
from driftguard.store import StateRepo, UnknownRevisionError


def show(repo_path: Path, kind: str, ident: str, *, at: str | None = None, vcenter: str | None = None) -> StoredObject:
    """The object of ``kind`` whose moref or name is ``ident``, as the snapshot in force at ``at`` stored it:
    ``at`` is a revision, a time, a date (its end: the state of that day) or an age (default: the latest)."""
    wanted = object_kind(kind)
    with opened(repo_path) as repo:
        name = pick_vcenter(repo, vcenter)
        commit = _snapshot_at(repo, name, at)
        try:
            moref, _, _ = find_object(repo, name, wanted, ident, rev=commit)  # the name it had then
        except UsageError:
            moref, _, _ = find_object(repo, name, wanted, ident)  # its name now
        found = repo.object_file(commit, name, wanted, moref)
        if found is None:
            raise UsageError(f"{wanted} {ident!r} did not exist at {at or 'the latest snapshot'} ({commit[:10]})")
        path, blob = found
        data = json.loads(repo.read_blobs([blob])[blob])
        manifest = repo.manifest_at(commit, name)
    return StoredObject(
        vcenter=name,
        kind=wanted,
        id=moref,
        name=str(data.get("name", "")),
        commit=commit,
        collected_at=manifest.finished_at if manifest else None,
        file=path,
        object=data,
    )


def _snapshot_at(repo: StateRepo, name: str, at: str | None) -> str:
    """The snapshot commit of ``name`` in force at ``at`` (a revision, or a time: the latest commit then)."""
    if at is None or parse_when(at) is None:
        try:
            commit = repo.latest_commit(name, at or "HEAD")
        except UnknownRevisionError:
            when(repo, at, option="--at")  # raises: neither a time nor a revision
            raise
        if commit is None:
            raise UsageError(f"{at or 'HEAD'} holds no snapshot of {name}")
        return commit
    moment = when(repo, at, end=True, option="--at")
    found = commit_at(repo.history(name), moment) if moment is not None else None
    if found is None:
        raise UsageError(f"no snapshot of {name} at or before --at {at}")
    return found
