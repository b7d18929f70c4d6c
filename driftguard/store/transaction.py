"""Publishing a commit that is already in the object database: move HEAD, then the work tree and index.

The commit's tree was built without touching the user's index or work tree. Reading HEAD, building the commit and
publishing it run under git's own ``.git/index.lock`` (:meth:`Publisher.locked_index`), so a person's
``git commit -a`` or ``git add`` waits for us, and we for them:

1. **stage**: check the files we replace for local edits; write each new file next to its target as
   ``.driftguard-tmp-<name>``, hard-link each old file to ``.driftguard-old-<name>``, and build the new index
   in a temporary file. A full disk fails here, before anything visible changed.
2. **swap files**: rename each staged file over its target (renames need no space), then the new index.
3. **move HEAD** last, with a compare-and-swap ``git update-ref HEAD NEW OLD``; drop the links, the journal and
   the lock.

HEAD moves last because ``git commit`` reads HEAD first and the index next, both *before* it takes
``index.lock``. Had HEAD moved first, a person's commit could read the new HEAD and the old index in between and
then commit a tree that silently drops the snapshot's new files (the race test saw it). With HEAD last, every
such interleaving makes the person's own compare-and-swap of HEAD fail instead; they just commit again.

Before step 1 a journal (``.git/driftguard-publish.json``) names the paths in play. An exception of any kind
(``KeyboardInterrupt``, ``SystemExit``, a signal turned into an exception) during steps 1-3 restores HEAD, the
files (from the hard links) and the index, with SIGINT/SIGTERM held off meanwhile, and is re-raised. After a
SIGKILL, the next writer finds the journal and brings those paths in line with whatever HEAD then is
(:meth:`Publisher.recover`), so nothing ever needs repairing by hand.
"""

from __future__ import annotations

import contextlib
import json
import os
import shutil
import signal
import time
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

from driftguard.store.errors import LocalEditsError, StoreError
from driftguard.store.plumbing import (
    FILE_MODE,
    NULL_SHA,
    TEMP_PREFIX,
    Plumbing,
    blob_id,
    index_info,
    is_no_space,
    no_space,
)

JOURNAL = "driftguard-publish.json"
INDEX_LOCK_MARK = b"driftguard publish lock\n"
"""The content of an ``index.lock`` driftguard holds; git's own start with ``DIRC``. A killed run's lock is
recognised by it and removed by the next run."""
INDEX_LOCK_WAIT = 10.0
"""Seconds to wait for a person's git command to release ``index.lock``."""
NEW_PREFIX = f".{TEMP_PREFIX}"
OLD_PREFIX = ".driftguard-old-"


@dataclass(frozen=True)
class Change:
    """What one publish does: ``old``/``new`` are repo path → blob sha of the directory before and after."""

    base: str | None
    commit: str
    directory: str
    old: Mapping[str, str]
    new: Mapping[str, str]

    @property
    def paths(self) -> list[str]:
        return sorted(path for path in self.old.keys() | self.new.keys() if self.old.get(path) != self.new.get(path))


def blob_of_file(path: Path) -> str | None:
    """The git blob id of a work-tree file; None when there is no regular file there."""
    if path.is_symlink() or not path.is_file():
        return None if not (path.exists() or path.is_symlink()) else "not-a-file"
    return blob_id(path.read_bytes())


@contextlib.contextmanager
def signals_held() -> Iterator[None]:
    """Hold off SIGINT and SIGTERM (they are delivered afterwards), so a rollback is not cut short."""
    wanted = {signal.SIGINT, signal.SIGTERM}
    previous = signal.pthread_sigmask(signal.SIG_BLOCK, wanted)
    try:
        yield
    finally:
        signal.pthread_sigmask(signal.SIG_SETMASK, previous)


def _put_back(link: Path, target: Path) -> None:
    """Rename ``link`` over ``target``; rename(2) does nothing when both name the same file, so unlink then."""
    with contextlib.suppress(OSError):
        if link.lstat().st_ino == target.lstat().st_ino and link.lstat().st_dev == target.lstat().st_dev:
            link.unlink()
            return
    link.replace(target)


def _sibling(path: Path, prefix: str) -> Path:
    return path.with_name(prefix + path.name)


class Publisher:
    """Publishes commits into one non-bare state repo (see the module docstring)."""

    def __init__(self, git: Plumbing, work_tree: Path, head: Callable[[], str | None]) -> None:
        self.git = git
        self.work_tree = work_tree
        self._head = head
        self.index = git.git_dir / "index"
        self.index_lock = git.git_dir / "index.lock"
        self.journal = git.git_dir / JOURNAL
        self._staged_index = git.git_dir / f"{TEMP_PREFIX}index"
        self._index_backup = git.git_dir / f"{TEMP_PREFIX}index.orig"

    # -- the index lock ------------------------------------------------------------------------------------

    @contextlib.contextmanager
    def locked_index(self) -> Iterator[None]:
        """Hold ``.git/index.lock`` (waiting up to :data:`INDEX_LOCK_WAIT` s for another git command)."""
        marker = self.git.git_dir / f"{TEMP_PREFIX}index-lock"
        try:
            marker.write_bytes(INDEX_LOCK_MARK)
        except OSError as exc:
            marker.unlink(missing_ok=True)
            if is_no_space(exc):
                raise no_space(self.git.path, "cannot lock the git index", exc) from exc
            raise StoreError(f"cannot lock the git index of {self.git.path}: {exc.strerror}") from exc
        deadline = time.monotonic() + INDEX_LOCK_WAIT
        try:
            while True:
                try:
                    os.link(marker, self.index_lock)  # atomic, and the lock has its mark from the first instant
                    break
                except FileExistsError:
                    if time.monotonic() > deadline:
                        raise StoreError(
                            f"the git index of {self.git.path} is locked by another git process "
                            f"(remove {self.index_lock} if no git command runs there)"
                        ) from None
                    time.sleep(0.001)  # a person's git commits in a loop leave gaps of a few ms
        finally:
            marker.unlink(missing_ok=True)
        try:
            yield
        finally:
            self.index_lock.unlink(missing_ok=True)

    def _our_stale_lock(self) -> bool:
        try:
            return self.index_lock.read_bytes() == INDEX_LOCK_MARK
        except OSError:
            return False

    # -- publishing ----------------------------------------------------------------------------------------

    def publish(self, change: Change, data: Mapping[str, bytes], *, force: bool, reflog: str) -> None:
        """Move HEAD from ``change.base`` to ``change.commit`` and bring work tree and index in line (atomic).

        The caller holds :meth:`locked_index` since it read HEAD.
        """
        if self._head() != change.base:
            raise StoreError(
                f"HEAD of state repo {self.git.path} moved while the snapshot was written (by a git command that "
                "does not lock the index); nothing was written, run again"
            )
        paths = change.paths
        if not force:
            self._refuse_local_edits(change, paths)
        self._write_journal(change, paths)
        absent: set[str] = set()
        try:
            self._stage(change, paths, data, absent)
            self._swap(change, paths)
            self.git.run("update-ref", "-m", reflog, "HEAD", change.commit, change.base or NULL_SHA)
        except BaseException as exc:
            with signals_held(), contextlib.suppress(Exception):
                # a rollback that fails too (the disk is still full ...) leaves the journal: the next run repairs
                self._rollback(change, paths, absent)
            if isinstance(exc, OSError):
                if is_no_space(exc):
                    raise no_space(self.git.path, "cannot write the work tree", exc) from exc
                raise StoreError(f"cannot write the work tree of {self.git.path}: {exc}") from exc
            raise
        with signals_held():  # the write is complete: an interruption now waits until the litter is gone
            self._drop_links(paths)
            self.journal.unlink(missing_ok=True)
            self._prune_empty_dirs(paths)

    def _refuse_local_edits(self, change: Change, paths: Sequence[str]) -> None:
        edited = [
            path
            for path in paths
            if blob_of_file(self.work_tree / path) not in (None, change.old.get(path), change.new.get(path))
        ]
        in_play = change.old.keys() | change.new.keys()  # once, not per index entry (50,000 entries at 45k VMs)
        for path, entry in self._index_entries(change.directory).items():
            if path in in_play and entry not in (
                "",
                change.old.get(path),
                change.new.get(path),
            ):
                edited.append(path)
        if edited:
            names = ", ".join(sorted(set(edited))[:5]) + (" ..." if len(set(edited)) > 5 else "")
            raise LocalEditsError(
                f"state repo {self.git.path} has uncommitted local edits to {len(set(edited))} file(s) this run would "
                f"replace: {names} (commit or stash them, or force the write to overwrite them)"
            )

    def _index_entries(self, directory: str, env: Mapping[str, str] | None = None) -> dict[str, str]:
        """path → blob sha of the index entries under ``directory``; ``""`` for a conflicted (unmerged) path."""
        entries: dict[str, str] = {}
        for record in self.git.run("ls-files", "-s", "-z", "--", directory, env=env)[1].split("\0"):
            if record:
                info, _, path = record.partition("\t")
                mode, sha, stage = info.split()
                entries[path] = sha if stage == "0" and mode == FILE_MODE and path not in entries else ""
        return entries

    def _write_journal(self, change: Change, paths: Sequence[str]) -> None:
        record = {
            "base": change.base,
            "commit": change.commit,
            "directory": change.directory,
            "paths": {path: [change.old.get(path), change.new.get(path)] for path in paths},
        }
        try:
            self.journal.write_text(json.dumps(record, sort_keys=True) + "\n")
        except OSError as exc:
            self.journal.unlink(missing_ok=True)
            if is_no_space(exc):
                raise no_space(self.git.path, "cannot start the write", exc) from exc
            raise StoreError(f"cannot write {self.journal}: {exc.strerror}") from exc

    def _stage(self, change: Change, paths: Sequence[str], data: Mapping[str, bytes], absent: set[str]) -> None:
        """Step 1: everything that needs space, none of it visible to git status or a person's git."""
        for path in paths:
            target = self.work_tree / path
            if target.exists() or target.is_symlink():
                old = _sibling(target, OLD_PREFIX)
                old.unlink(missing_ok=True)
                os.link(target, old, follow_symlinks=False)
            else:
                absent.add(path)
            if path in change.new:
                target.parent.mkdir(parents=True, exist_ok=True)
                with _sibling(target, NEW_PREFIX).open("wb") as handle:
                    handle.write(data[path])
        self._index_backup.unlink(missing_ok=True)
        if self.index.exists():
            os.link(self.index, self._index_backup)
        else:
            absent.add("")  # no index before: a rollback removes the new one
        self._stage_index(change.directory, change.new)

    def _stage_index(self, directory: str, want: Mapping[str, str]) -> None:
        """The real index with ``directory``'s entries made ``want``, in a temporary file."""
        if self.index.exists():
            shutil.copyfile(self.index, self._staged_index)
        env = {"GIT_INDEX_FILE": str(self._staged_index)}
        current = self._index_entries(directory, env)
        if "" in current.values():  # unmerged entries: drop the directory's entries and start over
            self.git.run("rm", "--cached", "-r", "-q", "--ignore-unmatch", "--", directory, env=env)
            current = {}
        lines = index_info(current, want)
        if lines or not self._staged_index.exists():
            self.git.run("update-index", "-z", "--index-info", stdin=lines, env=env)

    def _swap(self, change: Change, paths: Sequence[str]) -> None:
        """Step 2: renames only (no space needed)."""
        for path in paths:
            target = self.work_tree / path
            if path in change.new:
                _sibling(target, NEW_PREFIX).replace(target)
            elif target.exists() or target.is_symlink():
                target.unlink()
        # Stat data for the fresh files, so `git status` need not re-hash them; on a full disk it is skipped.
        self.git.run("update-index", "-q", "--refresh", env={"GIT_INDEX_FILE": str(self._staged_index)}, check=False)
        Path(f"{self._staged_index}.lock").unlink(missing_ok=True)
        self._staged_index.replace(self.index)

    def _drop_links(self, paths: Sequence[str]) -> None:
        for path in paths:
            _sibling(self.work_tree / path, OLD_PREFIX).unlink(missing_ok=True)
        self._index_backup.unlink(missing_ok=True)

    def _rollback(self, change: Change, paths: Sequence[str], absent: set[str]) -> None:
        """Undo steps 1-3: HEAD back (compare-and-swap), old files back from their hard links, the old index back."""
        # HEAD is compared, not remembered: an interrupted update-ref may have finished after all
        if self._head() == change.commit:
            if change.base is None:
                self.git.run("update-ref", "-d", "HEAD", change.commit)
            else:
                self.git.run("update-ref", "-m", "driftguard: roll back", "HEAD", change.base, change.commit)
        for path in paths:
            target = self.work_tree / path
            old = _sibling(target, OLD_PREFIX)
            _sibling(target, NEW_PREFIX).unlink(missing_ok=True)
            if old.exists() or old.is_symlink():
                _put_back(old, target)
            elif path in absent and blob_of_file(target) == change.new.get(path):
                target.unlink()
        if self._index_backup.exists():
            _put_back(self._index_backup, self.index)
        elif "" in absent:
            self.index.unlink(missing_ok=True)
        self._staged_index.unlink(missing_ok=True)
        Path(f"{self._staged_index}.lock").unlink(missing_ok=True)
        self.journal.unlink(missing_ok=True)
        self._prune_empty_dirs(paths)

    def _prune_empty_dirs(self, paths: Sequence[str]) -> None:
        for path in paths:
            parent = (self.work_tree / path).parent
            while parent != self.work_tree:
                try:
                    parent.rmdir()
                except OSError:
                    break
                parent = parent.parent

    # -- after a kill --------------------------------------------------------------------------------------

    def recover(self) -> str | None:
        """Repair what a killed run left (the writer lock is held); a one-line notice of what was done, or None."""
        stale_lock = self._our_stale_lock()
        if stale_lock:
            self.index_lock.unlink(missing_ok=True)
        if not self.journal.exists():
            return f"removed {self.index_lock} left by an interrupted driftguard run" if stale_lock else None
        try:
            record = json.loads(self.journal.read_text())
            directory = str(record["directory"])
            known = {str(path): {sha for sha in shas if sha} for path, shas in dict(record["paths"]).items()}
        except (OSError, ValueError, KeyError, TypeError):
            self.journal.unlink(missing_ok=True)
            return f"ignored an unreadable {self.journal} left by an interrupted driftguard run"
        with self.locked_index():
            repaired, removed = self._align_to_head(directory, known)
            self.journal.unlink(missing_ok=True)
        self._prune_empty_dirs(sorted(known))
        return (
            f"finished an interrupted driftguard run: {repaired} file(s) of {directory}/ brought in line with HEAD, "
            f"{removed + int(stale_lock)} temporary file(s) removed"
        )

    def _align_to_head(self, directory: str, known: Mapping[str, set[str]]) -> tuple[int, int]:
        """Files and index entries of ``known`` paths made HEAD's; (files rewritten, temporary files removed)."""
        head = self._head()
        want = self.git.blobs(head, directory) if head is not None else {}
        todo: dict[str, str | None] = {}
        removed = 0
        for path, shas in known.items():
            target = self.work_tree / path
            for leftover in (_sibling(target, NEW_PREFIX), _sibling(target, OLD_PREFIX)):
                if leftover.exists() or leftover.is_symlink():
                    leftover.unlink()
                    removed += 1
            current = blob_of_file(target)
            # a file someone edited since the kill is theirs: only our own bytes (or none) are replaced
            if current != want.get(path) and (current is None or current in shas):
                todo[path] = want.get(path)
        contents = self.git.read_blobs(sha for sha in todo.values() if sha is not None)
        for path, sha in todo.items():
            target = self.work_tree / path
            if sha is None:
                target.unlink(missing_ok=True)
                continue
            target.parent.mkdir(parents=True, exist_ok=True)
            staged = _sibling(target, NEW_PREFIX)
            staged.write_bytes(contents[sha])
            staged.replace(target)
        self._stage_index(directory, want)
        self.git.run("update-index", "-q", "--refresh", env={"GIT_INDEX_FILE": str(self._staged_index)}, check=False)
        self._staged_index.replace(self.index)
        return len(todo), removed
