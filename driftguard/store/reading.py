"""Reading the state repo: snapshots at any revision, their history, verification times, plain files.

Everything is read from git objects, never from the work tree.
"""

from __future__ import annotations

import re
from collections.abc import Collection, Iterable, Mapping
from datetime import UTC, datetime
from pathlib import Path, PurePosixPath
from typing import Any, NamedTuple, TypeVar

from pydantic import BaseModel, ValidationError

from driftguard.models import KIND_MODELS, KINDS, SCHEMA_VERSION, Kind, Manifest, Snapshot
from driftguard.models.packed import PackedObjects, canonical_of
from driftguard.models.times import parse_time_or_none
from driftguard.store.errors import CorruptRepoError, StoreError, UnknownRevisionError
from driftguard.store.layout import (
    KIND_DIRS,
    MANIFEST,
    SEPARATOR,
    SUFFIX,
    ObjectKey,
    decode_component,
    encode_moref,
    parse_object_path,
    vcenter_dir,
)
from driftguard.store.notes import read_note
from driftguard.store.plumbing import Plumbing, blob_id
from driftguard.store.remote import public_uri
from driftguard.store.trailers import TRAILER_PREFIX, SnapshotRef, snapshot_ref

_M = TypeVar("_M", bound=BaseModel)
_NULL_BLOB = "0" * 40
ObjectId = tuple[Kind, str]
_FULL_SHA = re.compile(r"[0-9a-f]{40}")
"""(kind, managed-object id): one object of a snapshot."""


class ObjectChange(NamedTuple):
    """One commit that changed one object's file: its path and blob before (in the first parent) and after.
    ``None`` on the side where the object did not exist (added, removed)."""

    commit: str
    committed: int
    """Committer time, seconds since the epoch."""
    old_path: str | None
    old_blob: str | None
    new_path: str | None
    new_blob: str | None


class SnapshotReader:
    """The read API of :class:`~driftguard.store.StateRepo` (see the package docstring)."""

    def __init__(self, git: Plumbing, path: Path) -> None:
        self.git = git
        self.path = path
        self._commits: set[str] = set()
        """Full commit ids :meth:`resolve` has verified (objects never change; a ref is always resolved anew)."""

    # -- basics --------------------------------------------------------------------------------------------

    def head(self) -> str | None:
        """The sha of HEAD, or None in a repo without commits."""
        status, out = self.git.run("rev-parse", "-q", "--verify", "HEAD^{commit}", check=False)
        if status == 0:
            return out.strip()
        status, ref = self.git.run("symbolic-ref", "-q", "HEAD", check=False)
        # `rev-parse --verify <ref>` only reads the ref: it fails for an unborn branch, not for a dangling one
        if status == 0 and self.git.run("rev-parse", "-q", "--verify", ref.strip(), check=False)[0] != 0:
            return None  # the branch HEAD names has no commit yet
        raise self.git.fsck_error() or CorruptRepoError(
            f"state repo {self.path} is corrupt: HEAD does not point to a commit"
        )

    def resolve(self, rev: str) -> str:
        """The commit sha that ``rev`` names; :class:`UnknownRevisionError` when there is none."""
        if not rev or rev.startswith("-"):
            raise UnknownRevisionError(f"unknown revision {rev!r} in state repo {self.path}")
        if rev in self._commits:  # a commit id names the same commit forever: no rev-parse per use
            return rev
        status, out = self.git.run("rev-parse", "-q", "--verify", f"{rev}^{{commit}}", check=False)
        if status != 0:
            raise UnknownRevisionError(f"unknown revision {rev!r} in state repo {self.path}")
        sha = out.strip()
        if _FULL_SHA.fullmatch(sha):
            self._commits.add(sha)
        return sha

    # -- verification times --------------------------------------------------------------------------------

    def last_verified(self, commit: str, vcenter: str) -> datetime | None:
        """When ``vcenter``'s state as stored at ``commit`` was last seen unchanged by a collection.

        This is the ``started_at`` of the latest collection that found that state (a verification note, else the
        collection that committed it): everything changed before it would have been seen, so the next
        attribution window can start there. None when ``commit`` holds no snapshot of ``vcenter``.
        """
        sha = self.resolve(commit)
        directory = vcenter_dir(vcenter)
        if self.git.file_blob(sha, f"{directory}/{MANIFEST}") is None:
            return None
        state = self.git.state_commit(sha, directory) or sha
        stored = self._manifest_at(state, directory)
        times = [stored.started_at if stored else None]
        entry = read_note(self.git, state).get(vcenter)
        if isinstance(entry, dict):
            times.append(parse_time_or_none(entry.get("started_at")))
        known = [time for time in times if time is not None]
        return max(known) if known else None

    # -- reading -------------------------------------------------------------------------------------------

    def _manifest_at(self, sha: str, directory: str) -> Manifest | None:
        sha_of_manifest = self.git.file_blob(sha, f"{directory}/{MANIFEST}")
        if sha_of_manifest is None:
            return None
        return _validate(Manifest, self.git.read_blob(sha_of_manifest), f"{directory}/{MANIFEST}", self.path)

    def object_names(self, rev: str, vcenter: str) -> dict[str, str]:
        """moref → name of every object of ``vcenter`` at ``rev``, from the file names alone (``<name>~<moref>.json``:
        one ``git ls-tree``, no blob read). A name the layout had to hash is left out."""
        names: dict[str, str] = {}
        for kind, _, path in self.git.ls_tree(self.resolve(rev), vcenter_dir(vcenter)):
            key = parse_object_path(path) if kind == "blob" else None
            if key is None:
                continue
            stem = path.rsplit("/", 1)[-1][: -len(SUFFIX)]
            try:
                names[key.id] = decode_component(stem.split(SEPARATOR)[0])
            except ValueError:
                continue  # a hashed (lossy) name: the moref stays
        return names

    def vcenters(self, rev: str = "HEAD") -> list[str]:
        """Names of the vCenters that have a snapshot at ``rev`` (empty for a repo without commits)."""
        if rev == "HEAD" and self.head() is None:
            return []
        sha = self.resolve(rev)
        tops = [path for kind, _, path in self.git.ls_tree(sha, recursive=False) if kind == "tree"]
        if not tops:
            return []
        manifests = [(blob, path) for kind, blob, path in self.git.ls_tree(sha, *(f"{t}/{MANIFEST}" for t in tops))]
        contents = self.git.read_blobs(blob for blob, _ in manifests)
        names = [_validate(Manifest, contents[blob], path, self.path).vcenter.name for blob, path in manifests]
        return sorted(names)

    def _pick_vcenter(self, rev: str, vcenter: str | None) -> str:
        if vcenter is not None:
            return vcenter
        names = self.vcenters(rev)
        if len(names) == 1:
            return names[0]
        if not names:
            raise StoreError(f"revision {rev!r} of state repo {self.path} holds no snapshot")
        raise StoreError(
            f"revision {rev!r} of state repo {self.path} holds several vCenters ({', '.join(names)}); name one"
        )

    def load(
        self,
        rev: str = "HEAD",
        vcenter: str | None = None,
        *,
        only: Collection[ObjectId] | None = None,
        paths: Collection[str] | None = None,
    ) -> Snapshot:
        """The snapshot of ``vcenter`` (default: the only one) stored at ``rev``, read from git objects.

        ``only``: read just these (kind, id) objects and every cluster (what the diff, the attribution and the
        baselines' cluster selectors need), not the estate: the blobs of other objects are never read. The
        manifest is read either way (its counts are those of the whole snapshot). ``paths`` (with ``only``): the
        repo paths those objects' files can have (:meth:`changed_paths`), so that only they, the manifest and the
        clusters' directory are listed from the tree, not the estate.
        """
        sha = self.resolve(rev)
        vcenter = self._pick_vcenter(sha, vcenter)
        directory = vcenter_dir(vcenter)
        manifest_file = f"{directory}/{MANIFEST}"
        listed = None if only is None or paths is None else [manifest_file, f"{directory}/{KIND_DIRS['cluster']}"]
        blobs = self.git.blobs(sha, directory, None if listed is None else [*listed, *sorted(paths or ())])
        if manifest_file not in blobs:
            raise StoreError(f"revision {rev!r} of state repo {self.path} has no snapshot of {vcenter}")
        objects: dict[str, tuple[ObjectKey, str]] = {}
        wanted = _file_names(only)
        for path, blob in object_files(blobs, directory).items():
            if wanted is not None and not _may_be(path, wanted):
                continue  # cheaper than decoding the moref of every file of the estate
            key = parse_object_path(path)
            if key is None:
                raise StoreError(f"unexpected file {path} in state repo {self.path} at {rev!r}")
            if only is None or key.kind == "cluster" or (key.kind, key.id) in only:
                objects[path] = (key, blob)
        contents = self.git.read_blobs([blobs[manifest_file], *(blob for _, blob in objects.values())])
        manifest = _validate(Manifest, contents[blobs[manifest_file]], manifest_file, self.path)
        if manifest.schema_version != SCHEMA_VERSION:
            raise StoreError(
                f"snapshot of {vcenter} at {rev!r} has schema {manifest.schema_version}; "
                f"this driftguard reads schema {SCHEMA_VERSION}"
            )
        collections: dict[Kind, dict[str, Any]] = {kind: {} for kind in KIND_MODELS}
        for path, (key, blob) in objects.items():
            obj = _validate(KIND_MODELS[key.kind], contents[blob], path, self.path)
            if obj.id != key.id or obj.id in collections[key.kind]:
                raise StoreError(f"file {path} in state repo {self.path} does not match its object id {obj.id!r}")
            collections[key.kind][obj.id] = obj
        return Snapshot(
            schema_version=manifest.schema_version,
            manifest=manifest,
            clusters=collections["cluster"],
            hosts=collections["host"],
            vms=collections["vm"],
            dvswitches=collections["dvswitch"],
            datastores=collections["datastore"],
        )

    def changed_paths(self, old_rev: str, new_rev: str, vcenter: str) -> list[str]:
        """Repo paths under ``vcenter``'s directory whose file differs between two revisions (on either side).
        One ``git diff-tree`` of the two trees; no blob is read."""
        args = ["diff-tree", "-r", "-z", "--no-renames", "--name-only", self.resolve(old_rev), self.resolve(new_rev)]
        out = self.git.run(*args, "--", vcenter_dir(vcenter))[1]
        return [path for path in out.split("\0") if path]

    def changed_between(self, old_rev: str, new_rev: str, vcenter: str) -> set[ObjectId]:
        """(kind, id) of the objects of ``vcenter`` whose file differs between two revisions: added, removed,
        changed or moved (:meth:`changed_paths`)."""
        return object_keys(self.changed_paths(old_rev, new_rev, vcenter))

    def changed_from(self, rev: str, vcenter: str, snapshot: Snapshot) -> set[ObjectId]:
        """(kind, id) of the objects whose canonical bytes in ``snapshot`` differ from those stored at ``rev``
        (or exist on one side only): git blob ids of the fresh serialisation against the tree's, no blob read."""
        stored = self.object_hashes(rev, vcenter)
        fresh = object_blob_ids(snapshot)
        return {key for key in stored.keys() | fresh.keys() if stored.get(key) != fresh.get(key)}

    def object_hashes(self, rev: str, vcenter: str) -> dict[tuple[Kind, str], str]:
        """(kind, id) → git blob id of each object at ``rev``, from tree entries only (no blob is read).

        Equal ids mean equal canonical bytes; compare with :func:`blob_id` of ``canonical_bytes(obj)``.
        """
        sha = self.resolve(rev)
        hashes: dict[tuple[Kind, str], str] = {}
        for path, blob in self.git.blobs(sha, vcenter_dir(vcenter)).items():
            key = parse_object_path(path)
            if key is not None:
                hashes[(key.kind, key.id)] = blob
        return hashes

    def history(self, vcenter: str | None, limit: int | None = None, rev: str = "HEAD") -> list[SnapshotRef]:
        """Commits that touched ``vcenter``'s snapshot, newest first; with None, every driftguard snapshot commit."""
        if rev == "HEAD" and self.head() is None:
            return []
        sha = self.resolve(rev)
        args = ["log", "-z", "--format=%H%x1f%ct%x1f%B"]
        if limit is not None and vcenter is not None:
            args.append(f"-n{int(limit)}")
        if vcenter is None:
            args += ["--grep", f"^{TRAILER_PREFIX}Vcenter: ", sha]
        else:
            args += [sha, "--", vcenter_dir(vcenter)]
        refs: list[SnapshotRef] = []
        for record in self.git.run(*args)[1].split("\0"):
            if not record.strip():
                continue
            commit_sha, committed, body = record.lstrip("\n").split("\x1f", 2)
            ref = snapshot_ref(commit_sha, int(committed), body, vcenter)
            if ref is None:
                continue
            refs.append(ref)
            if limit is not None and len(refs) >= limit:
                break
        return refs

    def latest_commit(self, vcenter: str, rev: str = "HEAD") -> str | None:
        """The last commit at or before ``rev`` that changed ``vcenter``'s snapshot (None when it has none)."""
        if rev == "HEAD" and self.head() is None:
            return None
        sha = self.resolve(rev)
        if self.git.file_blob(sha, f"{vcenter_dir(vcenter)}/{MANIFEST}") is None:
            return None
        return self.git.state_commit(sha, vcenter_dir(vcenter))

    def previous_commit(self, commit: str, vcenter: str) -> str | None:
        """The snapshot commit of ``vcenter`` before the one ``commit`` holds (None for its first snapshot)."""
        state = self.latest_commit(vcenter, commit)
        if state is None:
            return None
        status, parent = self.git.run("rev-parse", "-q", "--verify", f"{state}^1", check=False)
        if status != 0:
            return None
        return self.latest_commit(vcenter, parent.strip())

    def commits_between(self, old: str, new: str, vcenter: str) -> list[str]:
        """Commits in ``(old, new]`` that changed ``vcenter``'s snapshot, oldest first."""
        out = self.git.run(
            "log", "--reverse", "--format=%H", f"{self.resolve(old)}..{self.resolve(new)}", "--", vcenter_dir(vcenter)
        )[1]
        return out.split()

    def object_file(self, rev: str, vcenter: str, kind: Kind, moref: str) -> tuple[str, str] | None:
        """(path, blob) of the file of object ``kind``/``moref`` at ``rev``, whatever its name and group."""
        suffix = SEPARATOR + encode_moref(moref) + SUFFIX
        blobs = self.git.blobs(self.resolve(rev), f"{vcenter_dir(vcenter)}/{KIND_DIRS[kind]}")
        found = [(path, blob) for path, blob in blobs.items() if path.endswith(suffix)]
        return min(found) if found else None

    def object_files_of(self, rev: str, vcenter: str, kind: Kind) -> dict[str, str]:
        """repo path → blob of every object file of ``kind`` at ``rev`` (tree entries only)."""
        return self.git.blobs(self.resolve(rev), f"{vcenter_dir(vcenter)}/{KIND_DIRS[kind]}")

    def object_log(self, vcenter: str, kind: Kind, moref: str, path: str, rev: str = "HEAD") -> list[ObjectChange]:
        """Every commit at or before ``rev`` that changed the object whose file is ``path`` there (or was, when
        ``rev`` no longer has it), newest first, through git's path-limited log: only the commits that touched
        the file are read. A rename or a move to another group moves the file; the trail follows it by moref
        (one tree listing of the parent per move), so the log continues under the old path."""
        changes: list[ObjectChange] = []
        start, current = self.resolve(rev), path
        while True:
            args = ("log", "-z", "--no-renames", "--no-abbrev", "--raw", "--format=%x01%H %ct", start, "--", current)
            moved = None
            for record in self.git.run(*args)[1].split("\x01")[1:]:
                head, *raw = record.split("\0")
                commit, committed = head.split()
                status, old_blob, new_blob = _raw_entry(raw, current)
                change = ObjectChange(commit, int(committed), current, old_blob, current, new_blob)
                if status == "D":
                    change = change._replace(new_path=None, new_blob=None)
                elif status == "A":
                    moved = self._before(commit, vcenter, kind, moref)
                    change = change._replace(old_path=moved[0] if moved else None, old_blob=moved[1] if moved else None)
                changes.append(change)
                if status == "A":
                    break
            if moved is None:
                return changes
            start, current = f"{changes[-1].commit}^1", moved[0]

    def commit_time(self, rev: str) -> datetime:
        """The committer time of ``rev`` (aware UTC)."""
        stamp = self.git.run("log", "-1", "--format=%ct", self.resolve(rev))[1].strip()
        return datetime.fromtimestamp(int(stamp), UTC)

    def is_ancestor(self, old: str, new: str) -> bool:
        """Whether commit ``old`` is ``new`` or one of its ancestors."""
        return self.git.run("merge-base", "--is-ancestor", self.resolve(old), self.resolve(new), check=False)[0] == 0

    def read_blobs(self, shas: list[str]) -> dict[str, bytes]:
        """blob sha → contents, through one ``git cat-file --batch``."""
        return self.git.read_blobs(shas)

    def manifest_at(self, rev: str, vcenter: str) -> Manifest | None:
        """The manifest of ``vcenter``'s snapshot at ``rev`` (None when ``rev`` has none)."""
        return self._manifest_at(self.resolve(rev), vcenter_dir(vcenter))

    def _before(self, commit: str, vcenter: str, kind: Kind, moref: str) -> tuple[str, str] | None:
        status, _ = self.git.run("rev-parse", "-q", "--verify", f"{commit}^1", check=False)
        return self.object_file(f"{commit}^1", vcenter, kind, moref) if status == 0 else None

    def read_file(self, rev: str, path: str) -> bytes | None:
        """The bytes of the file at repo ``path`` in ``rev`` (None when there is no such file)."""
        blob = self.git.file_blob(self.resolve(rev), path)
        return None if blob is None else self.git.read_blob(blob)

    def read_dir(self, rev: str, directory: str) -> dict[str, bytes]:
        """Repo path → bytes of every file under ``directory`` in ``rev`` (baselines/); empty when there is none."""
        blobs = self.git.blobs(self.resolve(rev), directory)
        contents = self.git.read_blobs(blobs.values())
        return {path: contents[blob] for path, blob in sorted(blobs.items())}

    def remote_uri(self, name: str = "origin") -> str | None:
        """Remote ``name``'s URL (``git remote get-url``) as a URI without credentials; None without that remote."""
        status, out = self.git.run("remote", "get-url", name, check=False)
        return public_uri(out) if status == 0 else None

    def last_change(self, rev: str, path: str) -> str | None:
        """The last commit at or before ``rev`` that changed ``path`` (the commit that approved a baseline)."""
        return self.git.state_commit(self.resolve(rev), path)


def _validate(model: type[_M], data: bytes, path: str, repo: Path) -> _M:
    try:
        return model.model_validate_json(data)
    except ValidationError as exc:
        first = exc.errors()[0]
        where = ".".join(str(part) for part in first["loc"])
        raise StoreError(f"file {path} in state repo {repo} is invalid: {where}: {first['msg']}") from exc


def _raw_entry(raw: list[str], path: str) -> tuple[str, str | None, str | None]:
    """Status and blobs of ``path`` in one commit's ``--raw -z`` fields (``:100644 100644 <old> <new> M``, path)."""
    for info, name in zip(raw[0::2], raw[1::2], strict=False):
        if name == path and info.strip().startswith(":"):
            fields = info.strip().split()
            old, new = fields[2], fields[3]
            return fields[4][0], None if old == _NULL_BLOB else old, None if new == _NULL_BLOB else new
    return "M", None, None


def object_keys(paths: Iterable[str]) -> set[ObjectId]:
    """(kind, id) of the object files among ``paths``."""
    keys = (parse_object_path(path) for path in paths)
    return {(key.kind, key.id) for key in keys if key is not None}


def _file_names(only: Collection[ObjectId] | None) -> set[tuple[str, str]] | None:
    """(kind directory, ``~<encoded moref>.json``) of the objects of ``only``, and every cluster's directory."""
    if only is None:
        return None
    names = {(KIND_DIRS[kind], SEPARATOR + encode_moref(oid) + SUFFIX) for kind, oid in only}
    return names | {(KIND_DIRS["cluster"], "")}


def _may_be(path: str, wanted: set[tuple[str, str]]) -> bool:
    """Whether ``path`` can be the file of a wanted object: names encode ``~``, so the last one starts the moref."""
    parts = path.split("/")
    if len(parts) != 4:
        return True  # not an object file: parse_object_path decides (and load refuses it)
    if parts[1] == KIND_DIRS["cluster"]:
        return True
    tail = parts[3][parts[3].rfind(SEPARATOR) :] if SEPARATOR in parts[3] else ""
    return (parts[1], tail) in wanted


def object_blob_ids(snapshot: Snapshot) -> dict[ObjectId, str]:
    """(kind, id) → git blob id of each object's canonical bytes; an object of a packed collection that stands
    for stored bytes gives their id without reading them."""
    ids: dict[ObjectId, str] = {}
    for kind in KINDS:
        collection = snapshot.collection(kind)
        packed = collection if isinstance(collection, PackedObjects) else None
        for oid in collection:
            ref = packed.stored_ref(oid) if packed is not None else None
            ids[(kind, oid)] = ref if ref is not None else blob_id(canonical_of(collection, oid))
    return ids


def object_files(files: Mapping[str, str], directory: str) -> dict[str, str]:
    """The files of a vCenter subtree that are not the manifest or an extra file (those sit at its top)."""
    prefix = directory + "/"
    return {
        path: sha
        for path, sha in files.items()
        if (
            "/" in path[len(prefix) :]
            if path.startswith(prefix)
            else PurePosixPath(path).parent != PurePosixPath(directory)
        )
    }
