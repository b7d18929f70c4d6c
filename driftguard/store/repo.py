"""The state repo: snapshots as canonical files in Git, one commit per run that changed something.

Writing (:meth:`StateRepo.write_snapshot`) never builds a commit through the work tree: blobs go straight into
the object database, the tree is built in a temporary index from HEAD's tree with the vCenter's subtree
replaced, and the commit is made with ``git commit-tree``; then HEAD is moved with a compare-and-swap and the
work tree and index are brought in line for the snapshot's paths (:mod:`driftguard.store.transaction`). All of
it, from reading HEAD on, runs under git's own ``index.lock``: a person's ``git commit`` meanwhile waits for us
(or we for it, and the snapshot is built on top of their commit). On any failure or interruption HEAD, index
and work tree are as they were; the only trace is unreachable objects for ``git gc``. A killed run is repaired
by the next one.

A run whose objects did not change makes no commit, even though the manifest's timestamps always do. Instead
the time is recorded as a git note (:mod:`driftguard.store.notes`); :meth:`StateRepo.last_verified` reads it.
Commit messages end with trailers (:mod:`driftguard.store.trailers`) that :meth:`StateRepo.history` parses.

Besides the manifest and the object files, a caller may store *extra files* directly under ``<vcenter>/``
(e.g. the events that explain the commit's drift). Like the manifest's timestamps they never cause a commit on
their own, and like every file of the subtree they are replaced on each commit.

Git runs through an injectable :class:`~driftguard.store.gitrun.GitRunner` (``StateRepo.open(..., runner=...)``).
"""

from __future__ import annotations

import contextlib
import dataclasses
import json
import logging
import os
import shutil
from collections.abc import Iterator, Mapping
from datetime import datetime
from pathlib import Path, PurePosixPath
from typing import Any, TypeVar

from pydantic import BaseModel

from driftguard import _signals
from driftguard.models import (
    SCHEMA_VERSION,
    Snapshot,
)
from driftguard.models.canonical import canonical_bytes
from driftguard.models.packed import PackedObjects
from driftguard.models.times import now as clock_now
from driftguard.store.errors import StoreError
from driftguard.store.gitrun import GitRunner, SubprocessGit, first_line
from driftguard.store.layout import (
    DIR_KINDS,
    MANIFEST,
    sanitize_component,
    snapshot_paths,
    vcenter_dir,
)
from driftguard.store.lock import WriterLock
from driftguard.store.notes import NOTES_REF, record_verified
from driftguard.store.plumbing import NULL_SHA, TEMP_PREFIX, Plumbing, blob_id
from driftguard.store.reading import SnapshotReader, object_files
from driftguard.store.trailers import (
    DEFAULT_SIGNATURE,
    Signature,
    caller_trailers,
    commit_message,
    identity_env,
    object_counts,
)
from driftguard.store.transaction import Change, Publisher

__all__ = ["MANIFEST_VOLATILE", "NOTES_REF", "StateRepo", "blob_id"]

log = logging.getLogger(__name__)

MANIFEST_VOLATILE = frozenset({"started_at", "finished_at", "round_trips"})
"""Manifest fields that change on every run; a difference only there is not a change worth a commit."""
_M = TypeVar("_M", bound=BaseModel)


def _manifest_key(manifest: Mapping[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in manifest.items() if k not in MANIFEST_VOLATILE}


def _probe(root: Path, runner: GitRunner) -> tuple[bool, Path, Path, str] | None:
    """(bare, git dir, objects dir, "") of the repository whose top level is ``root``; None if there is none.

    Git must not search above ``root`` (a state repo inside another repository is not that repository).
    """
    env = {"GIT_CEILING_DIRECTORIES": str(root.resolve().parent)}
    result = runner(["rev-parse", "--is-bare-repository", "--absolute-git-dir", "--git-common-dir"], cwd=root, env=env)
    if result.status != 0:
        message = first_line(result.stderr)
        if "not a git repository" in message:
            return None
        raise StoreError(f"state repo {root} cannot be opened: {message or f'git exited with {result.status}'}")
    bare, git_dir, common = result.stdout.decode("utf-8", "surrogateescape").splitlines()[:3]
    common_dir = (Path(git_dir) if common == "." else root / common).resolve()
    return bare == "true", Path(git_dir), common_dir / "objects", ""


class StateRepo(SnapshotReader):
    """A Git repository holding snapshots of one or more vCenters (see the module docstring)."""

    def __init__(self, path: Path, git_dir: Path, objects_dir: Path, *, bare: bool, runner: GitRunner) -> None:
        super().__init__(Plumbing(runner, path, git_dir, objects_dir), path)
        self._bare = bare
        self._git_dir = git_dir
        self._lock = WriterLock(git_dir, path)
        self._publisher = None if bare else Publisher(self.git, path, self.head)
        self.notices: list[str] = []
        """One-line messages about repairs this object made (e.g. after a killed run); also logged."""

    # -- opening -------------------------------------------------------------------------------------------

    @classmethod
    def open(cls, path: str | os.PathLike[str], create: bool = False, *, runner: GitRunner | None = None) -> StateRepo:
        """Open the state repo at ``path`` (its top level); with ``create``, initialise it when missing."""
        root = Path(path)
        runner = runner or SubprocessGit()
        try:
            found = _probe(root, runner) if root.is_dir() else None
            if found is None:
                if not create:
                    reason = "does not exist" if not root.exists() else "is not a git repository"
                    raise StoreError(
                        f"state repo {root} {reason} (driftguard snapshot creates it when the directory is missing or "
                        "empty; or run git init there)"
                    )
                root.mkdir(parents=True, exist_ok=True)
                result = runner(["init", "-q", "-b", "main", str(root)], cwd=root)
                if result.status != 0:
                    raise StoreError(f"cannot create state repo {root}: {first_line(result.stderr)}")
                found = _probe(root, runner)
                if found is None:
                    raise StoreError(f"cannot create state repo {root}: git init made no repository")
        except OSError as exc:
            raise StoreError(f"state repo {root} cannot be opened: {exc.strerror or exc}") from exc
        bare, git_dir, objects_dir, _ = found
        state = cls(root, git_dir, objects_dir, bare=bare, runner=runner)
        state.head()
        return state

    def close(self) -> None:
        """Nothing to release (kept for callers that use ``with StateRepo.open(...)``)."""

    def __enter__(self) -> StateRepo:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    @property
    def bare(self) -> bool:
        return self._bare

    @contextlib.contextmanager
    def lock(self) -> Iterator[None]:
        """Hold the writer lock (``.git/driftguard.lock``, an OS lock); re-entrant within this object."""
        with self._lock.hold():
            yield

    def _prepare_write(self) -> None:
        """With the lock held: repair what a killed run left, and remove its temporary files."""
        if self._publisher is not None:
            notice = self._publisher.recover()
            if notice:
                self.notices.append(notice)
                log.warning("%s", notice)
        for leftover in self._git_dir.glob(f"{TEMP_PREFIX}*"):
            if leftover.is_dir():
                shutil.rmtree(leftover, ignore_errors=True)
            else:
                leftover.unlink(missing_ok=True)
        self.git.remove_object_leftovers()

    # -- the local cache: under .git, never committed or pushed ----------------------------------------------

    def read_cache(self, name: str) -> bytes | None:
        """The local cache entry ``name`` (a plain file name), None when there is none or it cannot be read."""
        path = self._git_dir / CACHE_DIR / _check_cache_name(name)
        try:
            with path.open("rb") as handle:
                data = handle.read(MAX_CACHE_BYTES + 1)
        except OSError:
            return None
        return data if len(data) <= MAX_CACHE_BYTES else None

    def write_cache(self, name: str, data: bytes) -> None:
        """Replace the local cache entry ``name``; best effort (a full disk or a read-only .git loses the cache,
        never the run)."""
        directory = self._git_dir / CACHE_DIR
        temp = directory / f".{_check_cache_name(name)}.{os.getpid()}.tmp"
        try:
            directory.mkdir(exist_ok=True)
            temp.write_bytes(data)
            temp.replace(directory / name)
        except OSError:
            with contextlib.suppress(OSError):
                temp.unlink(missing_ok=True)

    # -- writing -------------------------------------------------------------------------------------------

    def write_snapshot(
        self,
        snapshot: Snapshot,
        message: str,
        *,
        summary: Any = None,
        trailers: Mapping[str, str] | None = None,
        extra_files: Mapping[str, bytes] | None = None,
        author: Signature | None = None,
        committer: Signature | None = None,
        now: datetime | None = None,
        force: bool = False,
    ) -> str | None:
        """Replace ``<vcenter>/`` with exactly ``snapshot``'s files and commit; None when nothing changed.

        "Changed" means an object file differs (content or path) or the manifest differs outside its volatile
        fields (:data:`MANIFEST_VOLATILE`); ``extra_files`` alone never count. A run that changed nothing records
        its time in a git note instead of committing (:meth:`last_verified`). ``message``'s first line is the
        commit subject; ``summary`` (any JSON value) becomes the ``Driftguard-Summary`` trailer, ``trailers``
        are added as given (``Driftguard-*`` names other than the store's own). ``extra_files`` maps plain file
        names to bytes stored beside the manifest. An incomplete snapshot is refused. Uncommitted local edits
        to files the write replaces are refused (:class:`LocalEditsError`) unless ``force``. Atomic: on any
        failure HEAD, index and worktree are as before. Returns the new commit's sha.
        """
        manifest = snapshot.manifest
        vcenter = manifest.vcenter.name
        if not manifest.complete:
            reason = manifest.incomplete_reason or "the collection did not finish"
            raise StoreError(f"refusing to store an incomplete snapshot of {vcenter}: {reason}")
        if snapshot.schema_version != SCHEMA_VERSION or manifest.schema_version != SCHEMA_VERSION:
            raise StoreError(
                f"snapshot of {vcenter} has schema {snapshot.schema_version}/{manifest.schema_version}; "
                f"this driftguard writes schema {SCHEMA_VERSION}"
            )
        author = author or DEFAULT_SIGNATURE
        env = identity_env(author, committer or author, now or clock_now())
        directory = vcenter_dir(vcenter)
        manifest_file = f"{directory}/{MANIFEST}"
        extra_trailers = caller_trailers(summary, trailers)
        extras = (extra_files or {}).items()
        fixed = {f"{directory}/{_check_extra_name(name)}": bytes(content) for name, content in extras}
        fixed[manifest_file] = canonical_bytes(manifest)
        data = SnapshotFiles(snapshot, fixed)
        new = {path: data.blob_id(path) for path in data}
        new_objects = object_files(new, directory)
        manifest_key = _manifest_key(manifest.model_dump(mode="json"))

        with self.lock():
            self._prepare_write()
            with self._index_held():
                head = self.head()
                old = self.git.blobs(head, directory)
                old_objects = object_files(old, directory)
                if head is not None and manifest_file in old and old_objects == new_objects:
                    old_manifest = json.loads(self.git.read_blob(old[manifest_file]))
                    if _manifest_key(old_manifest) == manifest_key:
                        record_verified(self.git, head, directory, manifest, env)
                        return None
                counts = object_counts(old_objects, new_objects)
                text = commit_message(message, manifest, counts, extra_trailers)
                commit = self._write(Change(head, "", directory, old, new), data, text, env, force=force)
            self._tidy()
            return commit

    def write_files(
        self,
        directory: str,
        files: Mapping[str, bytes],
        message: str,
        *,
        author: Signature | None = None,
        now: datetime | None = None,
        force: bool = False,
    ) -> str | None:
        """Add or update ``files`` (repo paths under ``directory``) and commit; None when all are unchanged.

        Other files under ``directory`` stay. The same atomic path as :meth:`write_snapshot`, including the
        refusal of local edits unless ``force``.
        """
        prefix = directory.rstrip("/") + "/"
        for path in files:
            if not path.startswith(prefix) or ".." in PurePosixPath(path).parts:
                raise StoreError(f"refusing to write {path!r} outside {directory}/")
        author = author or DEFAULT_SIGNATURE
        env = identity_env(author, author, now or clock_now())
        data = dict(files)
        directory = directory.rstrip("/")
        with self.lock():
            self._prepare_write()
            with self._index_held():
                head = self.head()
                old = self.git.blobs(head, directory)
                new = {**old, **{path: blob_id(content) for path, content in data.items()}}
                if new == old:
                    return None
                commit = self._write(Change(head, "", directory, old, new), data, message, env, force=force)
            self._tidy()
            return commit

    def _write(
        self, plan: Change, data: Mapping[str, bytes], message: str, env: Mapping[str, str], *, force: bool
    ) -> str:
        """Build the commit ``plan`` describes in the object database (nothing visible changes), then publish it."""
        fresh = {sha: path for path, sha in plan.new.items() if plan.old.get(path) != sha}
        self.git.store_blobs(Derived(fresh, data.__getitem__))  # encoded as they are written, never all at once
        tree = self.git.build_tree(plan.base, plan.directory, plan.old, plan.new)
        change = dataclasses.replace(plan, commit=self.git.commit_tree(tree, plan.base, message, env))
        self._publish(change, data, force=force)
        return change.commit

    def _tidy(self) -> None:
        """``git gc --auto`` after a commit (the commit is complete; a failure here changes nothing).

        Plumbing never runs it, unlike ``git commit``: without it a year of nightly commits leaves ~24,000 loose
        objects (~150 MB at 5,500 VMs, docs/performance.md). It does nothing until git's own thresholds
        (``gc.auto``, ``gc.autoPackLimit``) are passed, then packs; in the foreground, so no git process outlives
        driftguard.
        """
        with contextlib.suppress(StoreError):  # git could not even start (disk full ...): the commit stands
            self.git.run("-c", "gc.autoDetach=false", "gc", "--auto", "--quiet", check=False)

    def _index_held(self) -> contextlib.AbstractContextManager[None]:
        """git's own index lock, from reading HEAD to publishing: a person's git command waits, and we for it."""
        return contextlib.nullcontext() if self._publisher is None else self._publisher.locked_index()

    def _publish(self, change: Change, data: Mapping[str, bytes], *, force: bool) -> None:
        """Move HEAD to the new commit (compare-and-swap) and bring the work tree and index with it."""
        reflog = f"driftguard: snapshot {change.directory}"
        if self._publisher is None:
            self.git.run("update-ref", "-m", reflog, "HEAD", change.commit, change.base or NULL_SHA)
        else:
            self._publisher.publish(change, data, force=force, reflog=reflog)
        _signals.COMMITTED.append(change.commit)  # an interrupt from here on reports this commit


# -- helpers -------------------------------------------------------------------------------------------------

CACHE_DIR = "driftguard-cache"
"""Directory under the git dir for what a run may reuse from the last one (issue 12: VM answer fingerprints)."""
MAX_CACHE_BYTES = 64 * 1024 * 1024
"""A cache entry larger than this is ignored (45,000 VMs need ~9 MB)."""


class SnapshotFiles(Mapping[str, bytes]):
    """A snapshot's files, path → bytes, encoded when asked for rather than all at once (45,000 VM files are
    ~320 MB): a packed VM's bytes are decompressed each time, any other object is encoded once and kept."""

    def __init__(self, snapshot: Snapshot, fixed: Mapping[str, bytes]) -> None:
        self._snapshot = snapshot
        self._objects = {str(path): key for path, key in snapshot_paths(snapshot).items()}
        self._fixed = dict(fixed)
        self._encoded: dict[str, bytes] = {}

    def __getitem__(self, path: str) -> bytes:
        if path in self._fixed:
            return self._fixed[path]
        kind, oid = self._objects[path]
        collection = self._snapshot.collection(kind)
        if isinstance(collection, PackedObjects):
            return collection.canonical(oid)
        if path not in self._encoded:
            self._encoded[path] = canonical_bytes(collection[oid])
        return self._encoded[path]

    def blob_id(self, path: str) -> str:
        """The git blob id of one file; for an object that stands for stored bytes, theirs, without reading them."""
        if path not in self._fixed:
            kind, oid = self._objects[path]
            collection = self._snapshot.collection(kind)
            if isinstance(collection, PackedObjects):
                ref = collection.stored_ref(oid)
                if ref is not None:
                    return ref
        return blob_id(self[path])

    def __iter__(self) -> Iterator[str]:
        yield from self._objects
        yield from self._fixed

    def __len__(self) -> int:
        return len(self._objects) + len(self._fixed)


K = TypeVar("K")
V = TypeVar("V")


class Derived(Mapping[K, V]):
    """``{key: value_of(source[key])}`` computed on each access (a pack is written one blob at a time)."""

    def __init__(self, source: Mapping[K, Any], value_of: Any) -> None:
        self._source = source
        self._value_of = value_of

    def __getitem__(self, key: K) -> V:
        result: V = self._value_of(self._source[key])
        return result

    def __iter__(self) -> Iterator[K]:
        return iter(self._source)

    def __len__(self) -> int:
        return len(self._source)


def _check_cache_name(name: str) -> str:
    if not name or "/" in name or "\0" in name or name.startswith("."):
        raise ValueError(f"cache entry name {name!r} must be a plain file name")
    return name


def _check_extra_name(name: str) -> str:
    if name != sanitize_component(name) or name == MANIFEST or name in DIR_KINDS or not name:
        raise ValueError(f"extra file name {name!r} must be a plain file name other than {MANIFEST} and kind dirs")
    return name
