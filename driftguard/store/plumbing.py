"""Git plumbing of one state repo over a :class:`~driftguard.store.gitrun.GitRunner`: reading trees and blobs,
writing blobs, trees and commits into the object database, and turning git failures into one-line errors.

Nothing here touches the work tree or the user's index: trees are built in a temporary index file.
"""

from __future__ import annotations

import errno
import hashlib
import os
import zlib
from collections.abc import Iterable, Mapping
from pathlib import Path

from driftguard.store.errors import CorruptRepoError, DiskFullError, StoreError
from driftguard.store.gitrun import GitRunner, first_line, says_corrupt, says_no_space, says_write_failed

FILE_MODE = "100644"
NULL_SHA = "0" * 40
TEMP_PREFIX = "driftguard-tmp-"
NEARLY_FULL = 256 * 1024
"""Git does not always say why a write failed ("couldn't write ....lock"); with less free space than this, the
reason is taken to be a full disk."""
_OBJECT_TEMP = "tmp_obj_driftguard_"
"""Temporary loose-object files; ``tmp_obj_`` is git's own prefix, which ``git gc`` knows to clean."""


def blob_id(data: bytes) -> str:
    """The git blob id (sha1) of ``data``: what :meth:`StateRepo.object_hashes` returns for canonical bytes."""
    return hashlib.sha1(b"blob %d\0" % len(data) + data, usedforsecurity=False).hexdigest()


def no_space(repo: Path, what: str, exc: BaseException | None = None) -> DiskFullError:
    detail = f": {what}" if what else ""
    error = DiskFullError(f"no space left on {repo}{detail}; nothing was written (free some space and run again)")
    if exc is not None:
        error.__cause__ = exc
    return error


def is_no_space(exc: OSError) -> bool:
    return exc.errno in (errno.ENOSPC, errno.EDQUOT)


class Plumbing:
    """Git commands in one repository (``-C path``, literal pathspecs) with errors for people."""

    def __init__(self, runner: GitRunner, path: Path, git_dir: Path, objects_dir: Path) -> None:
        self.runner = runner
        self.path = path
        self.git_dir = git_dir
        self.objects_dir = objects_dir

    # -- running -------------------------------------------------------------------------------------------

    def run_bytes(
        self, *args: str, stdin: bytes | None = None, env: Mapping[str, str] | None = None, check: bool = True
    ) -> tuple[int, bytes]:
        try:
            result = self.runner(["--literal-pathspecs", *args], cwd=self.path, stdin=stdin, env=env)
        except OSError as exc:
            if is_no_space(exc):
                raise no_space(self.path, f"git {args[0]} could not start", exc) from exc
            raise StoreError(f"git {args[0]} failed in state repo {self.path}: {exc.strerror or exc}") from exc
        if check and result.status != 0:
            raise self.failure(args[0], result.status, result.stderr.decode("utf-8", "replace"))
        return result.status, result.stdout

    def run(
        self, *args: str, stdin: bytes | None = None, env: Mapping[str, str] | None = None, check: bool = True
    ) -> tuple[int, str]:
        """Run one git command; stdout as text. ``check``: a non-zero exit raises a :class:`StoreError`."""
        status, out = self.run_bytes(*args, stdin=stdin, env=env, check=check)
        return status, out.decode("utf-8", "surrogateescape")

    def failure(self, command: str, status: int, stderr: str) -> StoreError:
        """The error for a failed git command: disk full, a corrupt repo (confirmed by fsck), or git's first line."""
        if says_no_space(stderr) or (says_write_failed(stderr) and self.nearly_full()):
            return no_space(self.path, f"git {command} could not write")
        if says_corrupt(stderr):
            corrupt = self.fsck_error()
            if corrupt is not None:
                return corrupt
        return StoreError(f"git {command} failed in state repo {self.path}: {first_line(stderr) or f'exit {status}'}")

    def nearly_full(self) -> bool:
        """Whether the file system of the git directory has less than :data:`NEARLY_FULL` bytes free."""
        try:
            stat = os.statvfs(self.git_dir)
        except OSError:
            return False
        return stat.f_bavail * stat.f_frsize < NEARLY_FULL

    def fsck_error(self) -> CorruptRepoError | None:
        """Run ``git fsck``; the error quoting its first complaint, or None when it finds the repo sound."""
        try:
            result = self.runner(
                ["fsck", "--full", "--no-dangling", "--no-progress"], cwd=self.path, stdin=None, env=None
            )
        except OSError:
            return None
        if result.status == 0:
            return None
        report = first_line(result.stderr) or first_line(result.stdout) or f"exit {result.status}"
        return CorruptRepoError(f"state repo {self.path} is corrupt (git fsck reports: {report})")

    # -- reading -------------------------------------------------------------------------------------------

    def ls_tree(self, sha: str, *paths: str, recursive: bool = True) -> list[tuple[str, str, str]]:
        """(type, sha, path) of the tree entries at commit ``sha`` under ``paths`` (one ``git ls-tree``)."""
        args = ["ls-tree", "-z", "--full-tree"] + (["-r"] if recursive else []) + [sha, "--", *paths]
        entries: list[tuple[str, str, str]] = []
        for record in self.run(*args)[1].split("\0"):
            if record:
                info, _, path = record.partition("\t")
                _mode, kind, object_sha = info.split()
                entries.append((kind, object_sha, path))
        return entries

    def blobs(self, sha: str | None, directory: str) -> dict[str, str]:
        """repo path → blob sha of every file under ``directory`` at commit ``sha``."""
        if sha is None:
            return {}
        prefix = directory + "/"
        return {
            path: blob
            for kind, blob, path in self.ls_tree(sha, directory)
            if kind == "blob" and path.startswith(prefix)
        }

    def file_blob(self, sha: str, path: str) -> str | None:
        """The blob sha of the file at ``path`` in commit ``sha`` (None when there is none)."""
        found = [
            blob for kind, blob, entry in self.ls_tree(sha, path, recursive=False) if kind == "blob" and entry == path
        ]
        return found[0] if found else None

    def read_blobs(self, shas: Iterable[str]) -> dict[str, bytes]:
        """Contents of many blobs through one ``git cat-file --batch`` (no process or round trip per object)."""
        wanted = list(dict.fromkeys(shas))
        if not wanted:
            return {}
        out = self.run_bytes("cat-file", "--batch", stdin="".join(f"{sha}\n" for sha in wanted).encode())[1]
        contents: dict[str, bytes] = {}
        pos = 0
        for sha in wanted:
            end = out.find(b"\n", pos)
            header = out[pos:end].split() if end >= 0 else []
            if len(header) != 3 or header[1] != b"blob":
                raise self.fsck_error() or StoreError(
                    f"state repo {self.path} is corrupt: blob {sha} is missing or not a file"
                )
            size = int(header[2])
            contents[sha] = out[end + 1 : end + 1 + size]
            pos = end + 1 + size + 1
        return contents

    def read_blob(self, sha: str) -> bytes:
        return self.read_blobs([sha])[sha]

    def state_commit(self, sha: str, directory: str) -> str | None:
        """The last commit at or before ``sha`` that touched ``directory``."""
        out = self.run("log", "-1", "--format=%H", sha, "--", directory)[1].strip()
        return out or None

    # -- writing objects -----------------------------------------------------------------------------------

    def store_blobs(self, blobs: Mapping[str, bytes]) -> None:
        """Write blobs (sha → bytes) as loose objects, each by an atomic rename: never a half-written object."""
        for sha, data in blobs.items():
            target = self.objects_dir / sha[:2] / sha[2:]
            if target.exists():
                continue
            temp = target.parent / f"{_OBJECT_TEMP}{sha}"
            try:
                target.parent.mkdir(exist_ok=True)
                with temp.open("wb") as handle:
                    handle.write(zlib.compress(b"blob %d\0" % len(data) + data))
                temp.chmod(0o444)
                temp.replace(target)
            except OSError as exc:
                temp.unlink(missing_ok=True)
                if is_no_space(exc):
                    raise no_space(self.path, "cannot store the snapshot's files", exc) from exc
                raise StoreError(f"cannot write to the object database of {self.path}: {exc.strerror}") from exc
            except BaseException:
                temp.unlink(missing_ok=True)
                raise

    def remove_object_leftovers(self) -> None:
        """Temporary object files of a run that was killed (the writer lock is held, so none is running)."""
        for leftover in self.objects_dir.glob(f"??/{_OBJECT_TEMP}*"):
            leftover.unlink(missing_ok=True)

    def build_tree(self, head: str | None, directory: str, old: Mapping[str, str], new: Mapping[str, str]) -> str:
        """HEAD's tree with ``directory`` replaced, built in a temporary index (the real one is not touched)."""
        index_file = self.git_dir / f"{TEMP_PREFIX}tree-index"
        env = {"GIT_INDEX_FILE": str(index_file)}
        try:
            if head is not None:
                self.run("read-tree", head, env=env)
            self.run("update-index", "-z", "--index-info", stdin=index_info(old, new), env=env)
            return self.run("write-tree", env=env)[1].strip()
        finally:
            index_file.unlink(missing_ok=True)
            Path(f"{index_file}.lock").unlink(missing_ok=True)

    def commit_tree(self, tree: str, head: str | None, message: str, env: Mapping[str, str]) -> str:
        parents = ["-p", head] if head is not None else []
        out = self.run("commit-tree", "--no-gpg-sign", *parents, "-F", "-", tree, stdin=message.encode(), env=env)
        return out[1].strip()


def index_info(old: Mapping[str, str], new: Mapping[str, str]) -> bytes:
    """``update-index -z --index-info`` input: remove paths gone from ``new``, add changed ones."""
    lines = [f"0 {NULL_SHA}\t{path}" for path in sorted(old.keys() - new.keys())]
    lines += [f"{FILE_MODE} {sha}\t{path}" for path, sha in sorted(new.items()) if old.get(path) != sha]
    return "".join(line + "\0" for line in lines).encode("utf-8")
