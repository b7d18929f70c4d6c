"""The state repo: snapshots as canonical files in Git, one commit per run that changed something.

Writing (:meth:`StateRepo.write_snapshot`) never goes through the worktree to build a commit: blobs go straight
into the object database, the tree is built in a temporary index from HEAD's tree with the vCenter's subtree
replaced, and the commit is made with ``git commit-tree``. Only then are the worktree files and the index
brought in line, and HEAD is moved last with a compare-and-swap ``git update-ref``. Every worktree and index
change is undoable (old files are moved aside, the index is replaced by an atomic rename), so when anything
fails HEAD, index and worktree are left as they were; the only trace is unreachable objects for ``git gc``.

A run whose objects did not change makes no commit, even though the manifest's timestamps always do. Instead
the time is recorded as a git note under ``refs/notes/driftguard-verified`` on the vCenter's *state commit*
(the last commit that touched ``<vcenter>/``). The note is JSON: ``{"<vcenter>": {"started_at": ...,
"finished_at": ...}}``; :meth:`StateRepo.last_verified` reads it. Push it with
``git push origin refs/notes/driftguard-verified``.

Commit messages end with trailers that :meth:`StateRepo.history` parses::

    Driftguard-Vcenter: vc01.example.com
    Driftguard-Started-At: 2026-01-02T03:00:00Z
    Driftguard-Finished-At: 2026-01-02T03:04:10Z
    Driftguard-Schema: 1
    Driftguard-Objects: {"added":1,"changed":3,"moved":0,"removed":0,"total":1234}
    Driftguard-Summary: {"items":4,"objects":4,"attributed":3,"unattributed":1,"unknown":0}

``Driftguard-Objects`` is the store's own count of object files by identity; ``Driftguard-Summary`` (and any
other trailer) is whatever the caller passes, e.g. the drift summary. A value that is not a plain printable
line is written as a JSON string.

Besides the manifest and the object files, a caller may store *extra files* directly under ``<vcenter>/``
(e.g. the events that explain the commit's drift). Like the manifest's timestamps they never cause a commit on
their own, and like every file of the subtree they are replaced on each commit.
"""

from __future__ import annotations

import contextlib
import functools
import hashlib
import json
import os
import shutil
import socket
import tempfile
from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path, PurePosixPath
from typing import Any, TypeVar, cast

import git
from pydantic import BaseModel, ValidationError

from driftguard.models import (
    SCHEMA_VERSION,
    VM,
    Cluster,
    Datastore,
    DvSwitch,
    Host,
    Kind,
    Manifest,
    Snapshot,
)
from driftguard.models.canonical import canonical_bytes
from driftguard.store.errors import RepoLockedError, StoreError, UnknownRevisionError
from driftguard.store.layout import (
    DIR_KINDS,
    MANIFEST,
    parse_object_path,
    sanitize_component,
    snapshot_files,
    vcenter_dir,
)

NOTES_REF = "refs/notes/driftguard-verified"
SECRET_ENV = ("PASSWORD", "PASSWD", "SECRET", "TOKEN")
"""Environment variables whose name holds one of these (DRIFTGUARD_PASSWORD, DRIFTGUARD_SSH_PASSWORD, a vCenter's
``password_env`` ...) reach no git process, so no hook of the state repo receives a secret (issue 8, point 13)."""
LOCK_FILE = "driftguard.lock"
MANIFEST_VOLATILE = frozenset({"started_at", "finished_at", "round_trips"})
"""Manifest fields that change on every run; a difference only there is not a change worth a commit."""
TRAILER_PREFIX = "Driftguard-"
STORE_TRAILERS = frozenset(
    f"{TRAILER_PREFIX}{key}" for key in ("Vcenter", "Started-At", "Finished-At", "Schema", "Objects")
)
"""Trailers the store writes itself; a caller cannot pass them."""
FILE_MODE = "100644"
_NULL_SHA = "0" * 40
_TEMP_PREFIX = "driftguard-tmp-"
_M = TypeVar("_M", bound=BaseModel)

_MODELS: dict[Kind, type[Cluster | Host | VM | DvSwitch | Datastore]] = {
    "cluster": Cluster,
    "host": Host,
    "vm": VM,
    "dvswitch": DvSwitch,
    "datastore": Datastore,
}


@dataclass(frozen=True)
class Signature:
    """Author or committer of the commits driftguard makes."""

    name: str
    email: str


DEFAULT_SIGNATURE = Signature("driftguard", "driftguard@localhost")


@dataclass(frozen=True)
class SnapshotRef:
    """One commit in the history of a vCenter's snapshots."""

    commit: str
    committed_at: datetime
    vcenter: str
    subject: str
    started_at: str | None = None
    """Manifest ``started_at`` (from the trailer)."""
    collected_at: str | None = None
    """Manifest ``finished_at``: when the collection that this commit stores completed."""
    summary: Any = None
    """The parsed ``Driftguard-Summary`` trailer (the caller's JSON); None when absent or not JSON."""
    objects: dict[str, int] | None = None
    """The parsed ``Driftguard-Objects`` trailer: the store's object counts (total, added, removed, changed,
    moved); None for commits driftguard did not make."""
    trailers: dict[str, str] = field(default_factory=dict)
    """Every ``Driftguard-*`` trailer, raw."""


def blob_id(data: bytes) -> str:
    """The git blob id (sha1) of ``data``: what :meth:`StateRepo.object_hashes` returns for canonical bytes."""
    return hashlib.sha1(b"blob %d\0" % len(data) + data, usedforsecurity=False).hexdigest()


def _write_file(path: Path, data: bytes) -> None:
    """Write one worktree file (a seam: tests inject failures here)."""
    with path.open("xb") as handle:
        handle.write(data)


def _parse_time(value: str | None) -> datetime | None:
    if not value:
        return None
    try:
        parsed = datetime.fromisoformat(value)
    except ValueError:
        return None
    return parsed if parsed.tzinfo is not None else parsed.replace(tzinfo=UTC)


def _trailer_value(value: str) -> str:
    if value.isprintable() and value == value.strip() and not value.startswith('"'):
        return value
    return json.dumps(value)


def _parse_trailer_value(value: str) -> str:
    if value.startswith('"'):
        with contextlib.suppress(ValueError):
            parsed = json.loads(value)
            if isinstance(parsed, str):
                return parsed
    return value


def parse_trailers(message: str) -> dict[str, str]:
    """The ``Driftguard-*`` trailers of a commit message (its last paragraph)."""
    last = message.strip().split("\n\n")[-1]
    trailers: dict[str, str] = {}
    for line in last.splitlines():
        key, sep, value = line.partition(": ")
        if sep and key.startswith(TRAILER_PREFIX):
            trailers[key] = _parse_trailer_value(value)
    return trailers


def _manifest_key(manifest: Mapping[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in manifest.items() if k not in MANIFEST_VOLATILE}


class _Undo:
    """Rollback actions, run newest first."""

    def __init__(self) -> None:
        self._actions: list[Callable[[], None]] = []

    def push(self, action: Callable[[], None]) -> None:
        self._actions.append(action)

    def rollback(self) -> None:
        errors: list[BaseException] = []
        while self._actions:
            action = self._actions.pop()
            try:
                action()
            except Exception as exc:  # keep undoing the rest; report the first failure
                errors.append(exc)
        if errors:
            raise StoreError(f"rollback of a failed write was incomplete: {errors[0]}") from errors[0]


class StateRepo:
    """A Git repository holding snapshots of one or more vCenters (see the module docstring)."""

    def __init__(self, repo: git.Repo, path: Path) -> None:
        self._repo = repo
        self.path = path
        self._lock_depth = 0

    # -- opening -------------------------------------------------------------------------------------------

    @classmethod
    def open(cls, path: str | os.PathLike[str], create: bool = False) -> StateRepo:
        """Open the state repo at ``path`` (its top level); with ``create``, initialise it when missing."""
        root = Path(path)
        try:
            repo = git.Repo(root)
        except (git.NoSuchPathError, git.InvalidGitRepositoryError) as exc:
            if not create:
                reason = "does not exist" if isinstance(exc, git.NoSuchPathError) else "is not a git repository"
                raise StoreError(f"state repo {root} {reason} (create it with git init or --init)") from exc
            try:
                repo = git.Repo.init(root, mkdir=True, initial_branch="main")
            except (git.GitCommandError, OSError) as init_exc:
                raise StoreError(f"cannot create state repo {root}: {_one_line(init_exc)}") from init_exc
        except (git.GitError, OSError, ValueError) as exc:
            raise StoreError(f"state repo {root} cannot be opened: {_one_line(exc)}") from exc
        state = cls(repo, root)
        try:
            state.head()
        except StoreError:
            state.close()
            raise
        return state

    def close(self) -> None:
        """Stop the git helper processes (``cat-file --batch``) this object keeps."""
        self._repo.close()

    def __enter__(self) -> StateRepo:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    @property
    def bare(self) -> bool:
        return bool(self._repo.bare)

    @property
    def _git_dir(self) -> Path:
        return Path(self._repo.git_dir)

    # -- git plumbing --------------------------------------------------------------------------------------

    def _git(
        self,
        *args: str,
        stdin: bytes | None = None,
        env: Mapping[str, str] | None = None,
        check: bool = True,
    ) -> tuple[int, str]:
        """Run one git command (literal pathspecs: names with ``[`` or ``*`` are not globs); stdout as text."""
        status, out = self._git_bytes(*args, stdin=stdin, env=env, check=check)
        return status, out.decode("utf-8", "surrogateescape")

    def _git_bytes(
        self,
        *args: str,
        stdin: bytes | None = None,
        env: Mapping[str, str] | None = None,
        check: bool = True,
    ) -> tuple[int, bytes]:
        command = ["git", "--literal-pathspecs", *args]
        with tempfile.TemporaryFile() as handle:
            if stdin is not None:
                handle.write(stdin)
                handle.seek(0)
            try:
                result = self._repo.git.execute(
                    command,
                    istream=handle if stdin is not None else None,
                    env={**_scrubbed_env(), **(env or {})},
                    with_extended_output=True,
                    with_exceptions=False,
                    strip_newline_in_stdout=False,
                    stdout_as_string=False,
                )
                status, out, err = cast(tuple[int, bytes, str | bytes], result)
            except (git.GitError, OSError) as exc:
                raise StoreError(f"git {args[0]} failed in state repo {self.path}: {_one_line(exc)}") from exc
        if check and status != 0:
            raise StoreError(f"git {args[0]} failed in state repo {self.path}: {_first_line(err) or f'exit {status}'}")
        return status, bytes(out)

    def head(self) -> str | None:
        """The sha of HEAD, or None in a repo without commits."""
        status, out = self._git("rev-parse", "-q", "--verify", "HEAD^{commit}", check=False)
        if status == 0:
            return out.strip()
        status, ref = self._git("symbolic-ref", "-q", "HEAD", check=False)
        # `rev-parse --verify <ref>` only reads the ref: it fails for an unborn branch, not for a dangling one
        if status == 0 and self._git("rev-parse", "-q", "--verify", ref.strip(), check=False)[0] != 0:
            return None  # the branch HEAD names has no commit yet
        raise StoreError(f"state repo {self.path} is corrupt: HEAD does not point to a commit")

    def resolve(self, rev: str) -> str:
        """The commit sha that ``rev`` names; :class:`UnknownRevisionError` when there is none."""
        if not rev or rev.startswith("-"):
            raise UnknownRevisionError(f"unknown revision {rev!r} in state repo {self.path}")
        status, out = self._git("rev-parse", "-q", "--verify", f"{rev}^{{commit}}", check=False)
        if status != 0:
            raise UnknownRevisionError(f"unknown revision {rev!r} in state repo {self.path}")
        return out.strip()

    def _ls_tree(self, sha: str, *paths: str, recursive: bool = True) -> list[tuple[str, str, str]]:
        """(type, sha, path) of the tree entries at commit ``sha`` under ``paths`` (one ``git ls-tree``)."""
        args = ["ls-tree", "-z", "--full-tree"] + (["-r"] if recursive else []) + [sha, "--", *paths]
        entries: list[tuple[str, str, str]] = []
        for record in self._git(*args)[1].split("\0"):
            if record:
                info, _, path = record.partition("\t")
                _mode, kind, object_sha = info.split()
                entries.append((kind, object_sha, path))
        return entries

    def _blobs(self, sha: str | None, directory: str) -> dict[str, str]:
        """repo path → blob sha of every file under ``directory`` at commit ``sha``."""
        if sha is None:
            return {}
        prefix = directory + "/"
        return {
            path: blob
            for kind, blob, path in self._ls_tree(sha, directory)
            if kind == "blob" and path.startswith(prefix)
        }

    def _file_blob(self, sha: str, path: str) -> str | None:
        """The blob sha of the file at ``path`` in commit ``sha`` (None when there is none)."""
        found = [
            blob for kind, blob, entry in self._ls_tree(sha, path, recursive=False) if kind == "blob" and entry == path
        ]
        return found[0] if found else None

    def _read_blobs(self, shas: Iterable[str]) -> dict[str, bytes]:
        """Contents of many blobs through one ``git cat-file --batch`` (no process or round trip per object)."""
        wanted = list(dict.fromkeys(shas))
        if not wanted:
            return {}
        out = self._git_bytes("cat-file", "--batch", stdin="".join(f"{sha}\n" for sha in wanted).encode())[1]
        contents: dict[str, bytes] = {}
        pos = 0
        for sha in wanted:
            end = out.index(b"\n", pos)
            header = out[pos:end].split()
            if len(header) != 3 or header[1] != b"blob":
                raise StoreError(f"state repo {self.path} is corrupt: blob {sha} is missing or not a file")
            size = int(header[2])
            contents[sha] = out[end + 1 : end + 1 + size]
            pos = end + 1 + size + 1
        return contents

    def _read_blob(self, sha: str) -> bytes:
        return self._read_blobs([sha])[sha]

    def _store_blobs(self, blobs: Mapping[str, bytes]) -> None:
        """Write blobs (sha → bytes) into the object database: one ``git fast-import`` for all, into one pack."""
        if not blobs:
            return
        order = list(blobs)
        stream = bytearray()
        for mark, sha in enumerate(order, start=1):
            data = blobs[sha]
            stream += b"blob\nmark :%d\ndata %d\n" % (mark, len(data))
            stream += data
            stream += b"\n"
        stream += b"done\n"
        marks = self._git_dir / f"{_TEMP_PREFIX}marks"
        try:
            self._git("fast-import", "--quiet", "--done", f"--export-marks={marks}", stdin=bytes(stream))
            written = dict(line.split() for line in marks.read_text().splitlines())
        finally:
            marks.unlink(missing_ok=True)
        if any(written.get(f":{mark}") != sha for mark, sha in enumerate(order, start=1)):
            raise StoreError(f"object database of {self.path} returned unexpected blob ids")

    # -- locking -------------------------------------------------------------------------------------------

    @contextlib.contextmanager
    def lock(self) -> Iterator[None]:
        """Hold the writer lock (``.git/driftguard.lock``); re-entrant within this object."""
        if self._lock_depth:
            self._lock_depth += 1
            try:
                yield
            finally:
                self._lock_depth -= 1
            return
        lock_path = self._git_dir / LOCK_FILE
        try:
            fd = os.open(lock_path, os.O_CREAT | os.O_EXCL | os.O_WRONLY, 0o644)
        except FileExistsError:
            raise RepoLockedError(
                f"state repo {self.path} is locked by pid {_lock_owner(lock_path)} "
                f"(remove {lock_path} if no driftguard runs)"
            ) from None
        except OSError as exc:
            raise StoreError(f"cannot lock state repo {self.path}: {exc}") from exc
        with os.fdopen(fd, "w") as handle:
            handle.write(f"{os.getpid()}\n{socket.gethostname()}\n")
        self._lock_depth = 1
        try:
            yield
        finally:
            self._lock_depth = 0
            lock_path.unlink(missing_ok=True)

    def _remove_leftovers(self) -> None:
        """Temporary files of a driftguard run that was killed (we hold the lock, so none is running)."""
        for leftover in self._git_dir.glob(f"{_TEMP_PREFIX}*"):
            if leftover.is_dir():
                shutil.rmtree(leftover, ignore_errors=True)
            else:
                leftover.unlink(missing_ok=True)

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
    ) -> str | None:
        """Replace ``<vcenter>/`` with exactly ``snapshot``'s files and commit; None when nothing changed.

        "Changed" means an object file differs (content or path) or the manifest differs outside its volatile
        fields (:data:`MANIFEST_VOLATILE`); ``extra_files`` alone never count. A run that changed nothing records
        its time in a git note instead of committing (:meth:`last_verified`). ``message``'s first line is the
        commit subject; ``summary`` (any JSON value) becomes the ``Driftguard-Summary`` trailer, ``trailers``
        are added as given (``Driftguard-*`` names other than the store's own). ``extra_files`` maps plain file
        names to bytes stored beside the manifest. An incomplete snapshot is refused. Atomic: on any failure
        HEAD, index and worktree are as before. Returns the new commit's sha.
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
        committer = committer or author
        now = now or datetime.now(UTC)

        directory = vcenter_dir(vcenter)
        manifest_file = f"{directory}/{MANIFEST}"
        extra_trailers = _caller_trailers(summary, trailers)
        data = {str(path): canonical_bytes(obj) for path, obj in snapshot_files(snapshot).items()}
        for name, content in (extra_files or {}).items():
            data[f"{directory}/{_check_extra_name(name)}"] = bytes(content)
        data[manifest_file] = canonical_bytes(manifest)
        new = {path: blob_id(content) for path, content in data.items()}

        with self.lock():
            self._remove_leftovers()
            head = self.head()
            old = self._blobs(head, directory)
            old_objects = _object_files(old, directory)
            new_objects = _object_files(new, directory)
            if head is not None and manifest_file in old and old_objects == new_objects:
                old_manifest = json.loads(self._read_blob(old[manifest_file]))
                if _manifest_key(old_manifest) == _manifest_key(manifest.model_dump(mode="json")):
                    self._record_verified(head, directory, manifest, committer, now)
                    return None

            counts = _object_counts(old_objects, new_objects)
            message_text = _commit_message(message, manifest, counts, extra_trailers)
            self._store_blobs({sha: data[path] for path, sha in new.items() if old.get(path) != sha})
            tree = self._build_tree(head, directory, old, new)
            commit = self._commit_tree(tree, head, message_text, author, committer, now)
            self._publish(head, commit, directory, old, new, data)
            return commit

    def write_files(
        self,
        directory: str,
        files: Mapping[str, bytes],
        message: str,
        *,
        author: Signature | None = None,
        now: datetime | None = None,
    ) -> str | None:
        """Add or update ``files`` (repo paths under ``directory``) and commit; None when all are unchanged.

        Other files under ``directory`` stay. The same atomic path as :meth:`write_snapshot`: on any failure
        HEAD, index and worktree are as before.
        """
        prefix = directory.rstrip("/") + "/"
        for path in files:
            if not path.startswith(prefix) or ".." in PurePosixPath(path).parts:
                raise StoreError(f"refusing to write {path!r} outside {directory}/")
        author = author or DEFAULT_SIGNATURE
        now = now or datetime.now(UTC)
        data = dict(files)
        with self.lock():
            self._remove_leftovers()
            head = self.head()
            old = self._blobs(head, directory.rstrip("/"))
            new = {**old, **{path: blob_id(content) for path, content in data.items()}}
            if new == old:
                return None
            self._store_blobs({sha: data[path] for path, sha in new.items() if old.get(path) != sha})
            tree = self._build_tree(head, directory.rstrip("/"), old, new)
            commit = self._commit_tree(tree, head, message, author, author, now)
            self._publish(head, commit, directory.rstrip("/"), old, new, data)
            return commit

    def _build_tree(self, head: str | None, directory: str, old: dict[str, str], new: dict[str, str]) -> str:
        """HEAD's tree with ``directory`` replaced, built in a temporary index (the real one is not touched)."""
        index_file = self._git_dir / f"{_TEMP_PREFIX}tree-index"
        env = {"GIT_INDEX_FILE": str(index_file)}
        try:
            if head is not None:
                self._git("read-tree", head, env=env)
            self._git("update-index", "-z", "--index-info", stdin=_index_info(old, new), env=env)
            return self._git("write-tree", env=env)[1].strip()
        finally:
            index_file.unlink(missing_ok=True)

    def _commit_tree(
        self, tree: str, head: str | None, message: str, author: Signature, committer: Signature, now: datetime
    ) -> str:
        stamp = f"{int(now.timestamp())} +0000"
        env = _identity_env(author, committer, stamp)
        parents = ["-p", head] if head is not None else []
        return self._git("commit-tree", "--no-gpg-sign", *parents, "-F", "-", tree, stdin=message.encode(), env=env)[
            1
        ].strip()

    def _publish(
        self,
        head: str | None,
        commit: str,
        directory: str,
        old: dict[str, str],
        new: dict[str, str],
        data: dict[str, bytes],
    ) -> None:
        """Bring worktree and index to ``commit``, then move HEAD; undo everything on any failure."""
        undo = _Undo()
        scratch = self._git_dir / f"{_TEMP_PREFIX}undo"
        try:
            if not self.bare:
                scratch.mkdir()
                undo.push(lambda: shutil.rmtree(scratch, ignore_errors=True))
                self._update_worktree(old, new, data, scratch, undo)
                self._update_index(directory, new, scratch, undo)
            self._git("update-ref", "-m", f"driftguard: snapshot {directory}", "HEAD", commit, head or _NULL_SHA)
        except BaseException:
            undo.rollback()
            raise
        if not self.bare:
            (self._git_dir / "index.lock").unlink(missing_ok=True)  # taken by _update_index, held until now
            shutil.rmtree(scratch, ignore_errors=True)
            self._prune_empty_dirs(old, new)

    def _update_worktree(
        self, old: dict[str, str], new: dict[str, str], data: dict[str, bytes], scratch: Path, undo: _Undo
    ) -> None:
        root = Path(str(self._repo.working_tree_dir))
        changed = sorted(path for path in old.keys() | new.keys() if old.get(path) != new.get(path))
        for number, path in enumerate(changed):
            target = root / path
            if target.exists() or target.is_symlink():
                backup = scratch / str(number)
                target.replace(backup)
                undo.push(functools.partial(_restore, target, backup))
            else:
                undo.push(functools.partial(_remove, target))
            if path in new:
                _make_parents(target.parent, root, undo)
                _write_file(target, data[path])

    def _update_index(self, directory: str, new: dict[str, str], scratch: Path, undo: _Undo) -> None:
        """Replace ``directory``'s entries in the real index, committing it by an atomic rename."""
        index = self._git_dir / "index"
        index_lock = self._git_dir / "index.lock"
        try:
            os.close(os.open(index_lock, os.O_CREAT | os.O_EXCL | os.O_WRONLY, 0o644))
        except FileExistsError:
            raise StoreError(
                f"the git index of {self.path} is locked by another git process (remove {index_lock} if none runs)"
            ) from None
        undo.push(lambda: index_lock.unlink(missing_ok=True))
        staged = scratch / "index"
        backup = scratch / "index.orig"
        if index.exists():
            shutil.copyfile(index, staged)
            shutil.copyfile(index, backup)
        env = {"GIT_INDEX_FILE": str(staged)}
        # Touch only entries that differ, so unchanged files keep their stat data and need no re-hashing.
        current: dict[str, str] = {}
        conflicted = False
        for record in self._git("ls-files", "-s", "-z", "--", directory, env=env)[1].split("\0"):
            if record:
                info, _, path = record.partition("\t")
                mode, sha, stage = info.split()
                current[path] = f"{mode} {sha}" if stage == "0" else ""
                conflicted = conflicted or stage != "0"
        if conflicted:
            self._git("rm", "--cached", "-r", "-q", "--ignore-unmatch", "--", directory, env=env)
            current = {}
        lines = [f"0 {_NULL_SHA}\t{path}" for path in sorted(current.keys() - new.keys())]
        lines += [
            f"{FILE_MODE} {sha}\t{path}"
            for path, sha in sorted(new.items())
            if current.get(path) != f"{FILE_MODE} {sha}"
        ]
        if lines:
            self._git(
                "update-index", "-z", "--index-info", stdin="".join(f"{line}\0" for line in lines).encode(), env=env
            )
        # Record stat data so `git status` and `git diff-files` see the fresh files as clean; exit 1 only
        # means some other file is modified, which is the user's business.
        self._git("update-index", "-q", "--refresh", env=env, check=False)
        had_index = index.exists()
        staged.replace(index)
        undo.push(functools.partial(_restore, index, backup) if had_index else functools.partial(_remove, index))

    def _prune_empty_dirs(self, old: dict[str, str], new: dict[str, str]) -> None:
        root = Path(str(self._repo.working_tree_dir))
        for path in sorted(old.keys() - new.keys()):
            parent = (root / path).parent
            while parent != root:
                try:
                    parent.rmdir()
                except OSError:
                    break
                parent = parent.parent

    # -- verification notes --------------------------------------------------------------------------------

    def _state_commit(self, sha: str, directory: str) -> str | None:
        """The last commit at or before ``sha`` that touched ``directory``."""
        out = self._git("log", "-1", "--format=%H", sha, "--", directory)[1].strip()
        return out or None

    def _read_note(self, sha: str) -> dict[str, Any]:
        status, out = self._git("notes", f"--ref={NOTES_REF}", "show", sha, check=False)
        if status != 0:
            return {}
        with contextlib.suppress(ValueError):
            note = json.loads(out)
            if isinstance(note, dict):
                return note
        return {}

    def _record_verified(
        self, head: str, directory: str, manifest: Manifest, committer: Signature, now: datetime
    ) -> None:
        state = self._state_commit(head, directory) or head
        note = self._read_note(state)
        vcenter = manifest.vcenter.name
        previous = note.get(vcenter)
        previous_time = _parse_time(previous.get("started_at")) if isinstance(previous, dict) else None
        current_time = _parse_time(manifest.started_at)
        if previous_time is not None and current_time is not None and previous_time >= current_time:
            return
        note[vcenter] = {"started_at": manifest.started_at, "finished_at": manifest.finished_at}
        text = json.dumps(note, sort_keys=True, indent=2) + "\n"
        stamp = f"{int(now.timestamp())} +0000"
        env = _identity_env(committer, committer, stamp)
        self._git("notes", f"--ref={NOTES_REF}", "add", "-f", "-F", "-", state, stdin=text.encode(), env=env)

    def last_verified(self, commit: str, vcenter: str) -> datetime | None:
        """When ``vcenter``'s state as stored at ``commit`` was last seen unchanged by a collection.

        This is the ``started_at`` of the latest collection that found that state (a verification note, else the
        collection that committed it): everything changed before it would have been seen, so the next
        attribution window can start there. None when ``commit`` holds no snapshot of ``vcenter``.
        """
        sha = self.resolve(commit)
        directory = vcenter_dir(vcenter)
        if self._file_blob(sha, f"{directory}/{MANIFEST}") is None:
            return None
        state = self._state_commit(sha, directory) or sha
        stored = self._manifest_at(state, directory)
        times = [_parse_time(stored.started_at) if stored else None]
        entry = self._read_note(state).get(vcenter)
        if isinstance(entry, dict):
            times.append(_parse_time(entry.get("started_at")))
        known = [time for time in times if time is not None]
        return max(known) if known else None

    # -- reading -------------------------------------------------------------------------------------------

    def _manifest_at(self, sha: str, directory: str) -> Manifest | None:
        sha_of_manifest = self._file_blob(sha, f"{directory}/{MANIFEST}")
        if sha_of_manifest is None:
            return None
        return _validate(Manifest, self._read_blob(sha_of_manifest), f"{directory}/{MANIFEST}", self.path)

    def vcenters(self, rev: str = "HEAD") -> list[str]:
        """Names of the vCenters that have a snapshot at ``rev`` (empty for a repo without commits)."""
        if rev == "HEAD" and self.head() is None:
            return []
        sha = self.resolve(rev)
        tops = [path for kind, _, path in self._ls_tree(sha, recursive=False) if kind == "tree"]
        if not tops:
            return []
        manifests = [(blob, path) for kind, blob, path in self._ls_tree(sha, *(f"{t}/{MANIFEST}" for t in tops))]
        contents = self._read_blobs(blob for blob, _ in manifests)
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

    def load(self, rev: str = "HEAD", vcenter: str | None = None) -> Snapshot:
        """The snapshot of ``vcenter`` (default: the only one) stored at ``rev``, read from git objects."""
        sha = self.resolve(rev)
        vcenter = self._pick_vcenter(sha, vcenter)
        directory = vcenter_dir(vcenter)
        blobs = self._blobs(sha, directory)
        manifest_file = f"{directory}/{MANIFEST}"
        if manifest_file not in blobs:
            raise StoreError(f"revision {rev!r} of state repo {self.path} has no snapshot of {vcenter}")
        objects = _object_files(blobs, directory)
        contents = self._read_blobs([blobs[manifest_file], *objects.values()])
        manifest = _validate(Manifest, contents[blobs[manifest_file]], manifest_file, self.path)
        if manifest.schema_version != SCHEMA_VERSION:
            raise StoreError(
                f"snapshot of {vcenter} at {rev!r} has schema {manifest.schema_version}; "
                f"this driftguard reads schema {SCHEMA_VERSION}"
            )
        collections: dict[Kind, dict[str, Any]] = {kind: {} for kind in _MODELS}
        for path, blob in objects.items():
            key = parse_object_path(path)
            if key is None:
                raise StoreError(f"unexpected file {path} in state repo {self.path} at {rev!r}")
            obj = _validate(_MODELS[key.kind], contents[blob], path, self.path)
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

    def object_hashes(self, rev: str, vcenter: str) -> dict[tuple[Kind, str], str]:
        """(kind, id) → git blob id of each object at ``rev``, from tree entries only (no blob is read).

        Equal ids mean equal canonical bytes; compare with :func:`blob_id` of ``canonical_bytes(obj)``.
        """
        sha = self.resolve(rev)
        hashes: dict[tuple[Kind, str], str] = {}
        for path, blob in self._blobs(sha, vcenter_dir(vcenter)).items():
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
        for record in self._git(*args)[1].split("\0"):
            if not record.strip():
                continue
            commit_sha, committed, body = record.lstrip("\n").split("\x1f", 2)
            trailers = parse_trailers(body)
            name = trailers.get(f"{TRAILER_PREFIX}Vcenter")
            if vcenter is None and name is None:
                continue
            refs.append(
                SnapshotRef(
                    commit=commit_sha,
                    committed_at=datetime.fromtimestamp(int(committed), UTC),
                    vcenter=name if name is not None else str(vcenter),
                    subject=body.strip().split("\n", 1)[0],
                    started_at=trailers.get(f"{TRAILER_PREFIX}Started-At"),
                    collected_at=trailers.get(f"{TRAILER_PREFIX}Finished-At"),
                    summary=_json_or_none(trailers.get(f"{TRAILER_PREFIX}Summary")),
                    objects=_counts_or_none(trailers.get(f"{TRAILER_PREFIX}Objects")),
                    trailers=trailers,
                )
            )
            if limit is not None and len(refs) >= limit:
                break
        return refs

    def latest_commit(self, vcenter: str, rev: str = "HEAD") -> str | None:
        """The last commit at or before ``rev`` that changed ``vcenter``'s snapshot (None when it has none)."""
        if rev == "HEAD" and self.head() is None:
            return None
        sha = self.resolve(rev)
        if self._file_blob(sha, f"{vcenter_dir(vcenter)}/{MANIFEST}") is None:
            return None
        return self._state_commit(sha, vcenter_dir(vcenter))

    def previous_commit(self, commit: str, vcenter: str) -> str | None:
        """The snapshot commit of ``vcenter`` before the one ``commit`` holds (None for its first snapshot)."""
        state = self.latest_commit(vcenter, commit)
        if state is None:
            return None
        status, parent = self._git("rev-parse", "-q", "--verify", f"{state}^1", check=False)
        if status != 0:
            return None
        return self.latest_commit(vcenter, parent.strip())

    def commits_between(self, old: str, new: str, vcenter: str) -> list[str]:
        """Commits in ``(old, new]`` that changed ``vcenter``'s snapshot, oldest first."""
        out = self._git(
            "log", "--reverse", "--format=%H", f"{self.resolve(old)}..{self.resolve(new)}", "--", vcenter_dir(vcenter)
        )[1]
        return out.split()

    def read_file(self, rev: str, path: str) -> bytes | None:
        """The bytes of the file at repo ``path`` in ``rev`` (None when there is no such file)."""
        blob = self._file_blob(self.resolve(rev), path)
        return None if blob is None else self._read_blob(blob)

    def read_dir(self, rev: str, directory: str) -> dict[str, bytes]:
        """Repo path → bytes of every file under ``directory`` in ``rev`` (baselines/); empty when there is none."""
        blobs = self._blobs(self.resolve(rev), directory)
        contents = self._read_blobs(blobs.values())
        return {path: contents[blob] for path, blob in sorted(blobs.items())}

    def last_change(self, rev: str, path: str) -> str | None:
        """The last commit at or before ``rev`` that changed ``path`` (the commit that approved a baseline)."""
        return self._state_commit(self.resolve(rev), path)


# -- helpers -------------------------------------------------------------------------------------------------


def _json_or_none(text: str | None) -> Any:
    if text is None:
        return None
    try:
        return json.loads(text)
    except ValueError:
        return None


def _counts_or_none(text: str | None) -> dict[str, int] | None:
    value = _json_or_none(text)
    if isinstance(value, dict) and all(isinstance(v, int) for v in value.values()):
        return {str(k): int(v) for k, v in value.items()}
    return None


def _validate(model: type[_M], data: bytes, path: str, repo: Path) -> _M:
    try:
        return model.model_validate_json(data)
    except ValidationError as exc:
        first = exc.errors()[0]
        where = ".".join(str(part) for part in first["loc"])
        raise StoreError(f"file {path} in state repo {repo} is invalid: {where}: {first['msg']}") from exc


def _index_info(old: Mapping[str, str], new: Mapping[str, str]) -> bytes:
    """``update-index -z --index-info`` input: remove paths gone from ``new``, add changed ones."""
    lines = [f"0 {_NULL_SHA}\t{path}" for path in sorted(old.keys() - new.keys())]
    lines += [f"{FILE_MODE} {sha}\t{path}" for path, sha in sorted(new.items()) if old.get(path) != sha]
    return "".join(line + "\0" for line in lines).encode("utf-8")


def _object_files(files: Mapping[str, str], directory: str) -> dict[str, str]:
    """The files of a vCenter subtree that are not the manifest or an extra file (those sit at its top)."""
    return {path: sha for path, sha in files.items() if PurePosixPath(path).parent != PurePosixPath(directory)}


def _check_extra_name(name: str) -> str:
    if name != sanitize_component(name) or name == MANIFEST or name in DIR_KINDS or not name:
        raise ValueError(f"extra file name {name!r} must be a plain file name other than {MANIFEST} and kind dirs")
    return name


def _caller_trailers(summary: Any, trailers: Mapping[str, str] | None) -> list[tuple[str, str]]:
    out: list[tuple[str, str]] = []
    for key, value in (trailers or {}).items():
        if not key.startswith(TRAILER_PREFIX) or not key.replace("-", "").isalnum() or key in STORE_TRAILERS:
            raise ValueError(f"trailer {key!r} must be Driftguard-<Name> and not one the store writes")
        out.append((key, value))
    if summary is not None:
        if any(key == f"{TRAILER_PREFIX}Summary" for key, _ in out):
            raise ValueError("pass the summary either as summary= or as a Driftguard-Summary trailer, not both")
        out.append((f"{TRAILER_PREFIX}Summary", json.dumps(summary, sort_keys=True, separators=(",", ":"))))
    return out


def _object_counts(old: Mapping[str, str], new: Mapping[str, str]) -> dict[str, int]:
    """Added/removed/changed objects by identity (kind, id): a moved file with the same bytes is a rename."""

    def keyed(files: Mapping[str, str]) -> dict[tuple[str, str], tuple[str, str]]:
        out: dict[tuple[str, str], tuple[str, str]] = {}
        for path, sha in files.items():
            key = parse_object_path(path)
            if key is not None:
                out[(key.kind, key.id)] = (path, sha)
        return out

    before, after = keyed(old), keyed(new)
    both = before.keys() & after.keys()
    return {
        "total": len(after),
        "added": len(after.keys() - before.keys()),
        "removed": len(before.keys() - after.keys()),
        "changed": sum(1 for key in both if before[key][1] != after[key][1]),
        "moved": sum(1 for key in both if before[key][0] != after[key][0]),
    }


def _commit_message(message: str, manifest: Manifest, counts: Mapping[str, int], extra: list[tuple[str, str]]) -> str:
    lines = message.strip().splitlines()
    subject = lines[0].strip() if lines else ""
    subject = subject or f"snapshot of {manifest.vcenter.name}"
    body = "\n".join(lines[1:]).strip()
    trailers = [
        (f"{TRAILER_PREFIX}Vcenter", manifest.vcenter.name),
        (f"{TRAILER_PREFIX}Started-At", manifest.started_at),
        (f"{TRAILER_PREFIX}Finished-At", manifest.finished_at),
        (f"{TRAILER_PREFIX}Schema", str(manifest.schema_version)),
        (f"{TRAILER_PREFIX}Objects", json.dumps(dict(counts), sort_keys=True, separators=(",", ":"))),
        *extra,
    ]
    parts = [subject] + ([body] if body else [])
    parts.append("\n".join(f"{key}: {_trailer_value(value)}" for key, value in trailers))
    return "\n\n".join(parts) + "\n"


def _scrubbed_env() -> dict[str, str]:
    # GitPython starts from a copy of os.environ and can only add to it: a secret is overridden with "" (which
    # driftguard itself reads as unset) rather than removed.
    return {name: "" for name in os.environ if any(word in name.upper() for word in SECRET_ENV)}


def _identity_env(author: Signature, committer: Signature, stamp: str) -> dict[str, str]:
    return {
        "GIT_AUTHOR_NAME": author.name,
        "GIT_AUTHOR_EMAIL": author.email,
        "GIT_AUTHOR_DATE": stamp,
        "GIT_COMMITTER_NAME": committer.name,
        "GIT_COMMITTER_EMAIL": committer.email,
        "GIT_COMMITTER_DATE": stamp,
    }


def _restore(target: Path, backup: Path) -> None:
    _remove(target)
    backup.replace(target)


def _remove(target: Path) -> None:
    if target.is_dir() and not target.is_symlink():
        shutil.rmtree(target)
    elif target.exists() or target.is_symlink():
        target.unlink()


def _make_parents(directory: Path, root: Path, undo: _Undo) -> None:
    missing: list[Path] = []
    current = directory
    while current != root and not current.exists():
        missing.append(current)
        current = current.parent
    for path in reversed(missing):
        path.mkdir()
        undo.push(path.rmdir)


def _lock_owner(lock_path: Path) -> str:
    try:
        return lock_path.read_text().split()[0]
    except (OSError, IndexError):
        return "unknown"


def _first_line(text: str | bytes | None) -> str:
    if isinstance(text, bytes):
        text = text.decode("utf-8", "replace")
    for line in (text or "").splitlines():
        if line.strip():
            return line.strip()
    return ""


def _one_line(exc: BaseException) -> str:
    if isinstance(exc, git.GitCommandError):
        return _first_line(exc.stderr) or f"git exited with {exc.status}"
    return _first_line(str(exc)) or type(exc).__name__
