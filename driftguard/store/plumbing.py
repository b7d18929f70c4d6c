"""Git plumbing of one state repo over a :class:`~driftguard.store.gitrun.GitRunner`: reading trees and blobs,
writing blobs, trees and commits into the object database, and turning git failures into one-line errors.

Nothing here touches the work tree or the user's index: trees are built in a temporary index file.
"""

from __future__ import annotations

import contextlib
import errno
import hashlib
import os
import struct
import zlib
from collections.abc import Iterable, Iterator, Mapping
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
"""Temporary loose-object and pack files; ``tmp_`` is git's own prefix, which ``git gc`` knows to clean."""
_PACK_PENDING = f"{_OBJECT_TEMP}pending"
PACK_THRESHOLD = 100
"""From this many new blobs on, they are written as one pack instead of loose objects (one file instead of
thousands: ~8x faster for a first snapshot, a quarter of the disk space)."""


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

    def blobs(self, sha: str | None, directory: str, paths: Iterable[str] | None = None) -> dict[str, str]:
        """repo path → blob sha of every file under ``directory`` at commit ``sha`` (with ``paths``: of those
        files and directories only, so the tree read follows them, not the estate)."""
        if sha is None:
            return {}
        prefix = directory + "/"
        return {
            path: blob
            for kind, blob, path in self.ls_tree(sha, *(directory,) if paths is None else tuple(paths))
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
        """Write blobs (sha → bytes) into the object database: one pack for :data:`PACK_THRESHOLD` or more (as
        git's own ``transfer.unpackLimit`` does), loose objects for fewer; never a half-written object."""
        if len(blobs) >= PACK_THRESHOLD:
            self._store_pack(blobs)
            return
        for sha, data in blobs.items():
            target = self.objects_dir / sha[:2] / sha[2:]
            if target.exists():
                continue
            temp = target.parent / f"{_OBJECT_TEMP}{sha}"
            with self._writing(temp):
                target.parent.mkdir(exist_ok=True)
                with temp.open("wb") as handle:
                    handle.write(zlib.compress(b"blob %d\0" % len(data) + data))
                temp.chmod(0o444)
                temp.replace(target)

    @contextlib.contextmanager
    def _writing(self, *temps: Path) -> Iterator[None]:
        """Remove ``temps`` on any failure; a write error is a :class:`StoreError` (disk full: DiskFullError)."""
        try:
            yield
        except OSError as exc:
            for temp in temps:
                temp.unlink(missing_ok=True)
            if is_no_space(exc):
                raise no_space(self.path, "cannot store the snapshot's files", exc) from exc
            raise StoreError(f"cannot write to the object database of {self.path}: {exc.strerror}") from exc
        except BaseException:
            for temp in temps:
                temp.unlink(missing_ok=True)
            raise

    def _store_pack(self, blobs: Mapping[str, bytes]) -> None:
        """One pack (version 2, undeltified, for ``git gc`` to delta later) and its index, written under temporary
        names and renamed into ``objects/pack`` pack first, index last: git sees the pack whole or not at all. A
        failure between the two renames removes the pack again; after a kill there, the next writer does (the
        pending marker names it)."""
        pack_dir = self.objects_dir / "pack"
        temp_pack, temp_index = pack_dir / f"{_OBJECT_TEMP}pack", pack_dir / f"{_OBJECT_TEMP}idx"
        pending = pack_dir / _PACK_PENDING
        with self._writing(temp_pack, temp_index, pending):
            pack_dir.mkdir(exist_ok=True)
            entries, checksum = write_pack(temp_pack, blobs)
            temp_index.write_bytes(pack_index(entries, checksum))
            name = f"pack-{checksum.hex()}"
            pending.write_text(name + "\n")
            for temp in (temp_pack, temp_index):
                temp.chmod(0o444)
            try:
                temp_pack.replace(pack_dir / f"{name}.pack")
                temp_index.replace(pack_dir / f"{name}.idx")
            except BaseException:
                _drop_orphan_pack(pack_dir, name)
                raise
            pending.unlink()

    def remove_object_leftovers(self) -> None:
        """Temporary object files of a run that was killed (the writer lock is held, so none is running), and a
        pack it had renamed into place without its index."""
        for leftover in self.objects_dir.glob(f"??/{_OBJECT_TEMP}*"):
            leftover.unlink(missing_ok=True)
        pack_dir = self.objects_dir / "pack"
        pending = pack_dir / _PACK_PENDING
        with contextlib.suppress(OSError):
            _drop_orphan_pack(pack_dir, pending.read_text().strip())
        for leftover in pack_dir.glob(f"{_OBJECT_TEMP}*"):
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


def _drop_orphan_pack(pack_dir: Path, name: str) -> None:
    """Remove our pack ``name`` when its index never made it (git ignores such a pack, but it is litter)."""
    if name.startswith("pack-") and "/" not in name and not (pack_dir / f"{name}.idx").exists():
        (pack_dir / f"{name}.pack").unlink(missing_ok=True)


def _object_header(kind: int, size: int) -> bytes:
    """A pack entry's type and size: 3 type bits and 4 size bits, then 7 size bits a byte (little end first)."""
    header = bytearray()
    byte = (kind << 4) | (size & 0x0F)
    size >>= 4
    while size:
        header.append(byte | 0x80)
        byte = size & 0x7F
        size >>= 7
    header.append(byte)
    return bytes(header)


_BLOB = 3


def write_pack(path: Path, blobs: Mapping[str, bytes]) -> tuple[list[tuple[bytes, int, int]], bytes]:
    """Write a version-2 pack of ``blobs`` (sha → bytes) to ``path``; its (sha, crc32, offset) entries and checksum."""
    digest = hashlib.sha1(usedforsecurity=False)
    entries: list[tuple[bytes, int, int]] = []
    with path.open("wb") as handle:
        header = b"PACK" + struct.pack(">II", 2, len(blobs))
        handle.write(header)
        digest.update(header)
        offset = len(header)
        for sha, data in blobs.items():
            entry = _object_header(_BLOB, len(data)) + zlib.compress(data, 1)
            entries.append((bytes.fromhex(sha), zlib.crc32(entry), offset))
            handle.write(entry)
            digest.update(entry)
            offset += len(entry)
        checksum = digest.digest()
        handle.write(checksum)
    return entries, checksum


def pack_index(entries: list[tuple[bytes, int, int]], checksum: bytes) -> bytes:
    """The version-2 ``.idx`` of a pack: fan-out table, sorted ids, CRCs, offsets (64-bit past 2 GiB), checksums."""
    entries = sorted(entries)
    fanout = [0] * 256
    for sha, _, _ in entries:
        fanout[sha[0]] += 1
    for byte in range(1, 256):
        fanout[byte] += fanout[byte - 1]
    small: list[int] = []
    large: list[int] = []
    for _, _, offset in entries:
        if offset < 0x80000000:
            small.append(offset)
        else:
            small.append(0x80000000 | len(large))
            large.append(offset)
    parts = [
        b"\xfftOc",
        struct.pack(">I", 2),
        struct.pack(">256I", *fanout),
        b"".join(sha for sha, _, _ in entries),
        struct.pack(f">{len(entries)}I", *(crc for _, crc, _ in entries)),
        struct.pack(f">{len(small)}I", *small),
        struct.pack(f">{len(large)}Q", *large),
        checksum,
    ]
    body = b"".join(parts)
    return body + hashlib.sha1(body, usedforsecurity=False).digest()
