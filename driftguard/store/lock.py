"""The writer lock of a state repo: ``fcntl.flock`` on ``.git/driftguard.lock``, held while a write runs.

The operating system drops the lock when its holder ends, however it ends (SIGKILL included), so a dead holder
never blocks the next run and nobody has to remove a file by hand. The file itself stays between runs; it holds
the pid of the last holder, for the message a second writer gets.

Git steps the holder starts inherit the lock: when driftguard is killed while ``git update-ref`` runs, that step
still finishes, and the lock is free only when it has. A writer that finds the lock held by a holder that has
ended waits for such a step (up to :data:`ORPHAN_WAIT` seconds); a live holder fails the second writer at once.
"""

from __future__ import annotations

import contextlib
import errno
import fcntl
import os
import time
from collections.abc import Iterator
from pathlib import Path

from driftguard.store.errors import DiskFullError, RepoLockedError, StoreError
from driftguard.store.gitrun import INHERITED_FDS

LOCK_FILE = "driftguard.lock"
ORPHAN_WAIT = 30.0
"""Seconds to wait for git steps of a killed driftguard to end (each is a single short git command)."""


class WriterLock:
    """A re-entrant (within this object) exclusive lock of one state repo."""

    def __init__(self, git_dir: Path, repo_path: Path) -> None:
        self.path = git_dir / LOCK_FILE
        self._repo_path = repo_path
        self._fd: int | None = None
        self._depth = 0

    @property
    def held(self) -> bool:
        return self._depth > 0

    @contextlib.contextmanager
    def hold(self) -> Iterator[None]:
        if self._depth:
            self._depth += 1
            try:
                yield
            finally:
                self._depth -= 1
            return
        self._acquire()
        self._depth = 1
        try:
            yield
        finally:
            self._depth = 0
            self._release()

    def _acquire(self) -> None:
        try:
            fd = os.open(self.path, os.O_RDWR | os.O_CREAT | os.O_CLOEXEC, 0o644)
        except OSError as exc:
            if exc.errno in (errno.ENOSPC, errno.EDQUOT):
                raise DiskFullError(f"no space left on {self._repo_path}: cannot create {self.path}") from exc
            raise StoreError(f"cannot lock state repo {self._repo_path}: {exc.strerror or exc}") from exc
        try:
            self._flock(fd)
        except BaseException:
            os.close(fd)
            raise
        # Who holds it is only for the message above; on a full disk the lock works without it.
        with contextlib.suppress(OSError):
            os.ftruncate(fd, 0)
            os.pwrite(fd, f"{os.getpid()}\n".encode(), 0)
        self._fd = fd
        INHERITED_FDS.add(fd)

    def _flock(self, fd: int) -> None:
        deadline: float | None = None
        while True:
            try:
                fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
                return
            except BlockingIOError:
                owner = _read_owner(fd)
                if _alive(owner):
                    raise RepoLockedError(
                        f"state repo {self._repo_path} is locked by pid {owner} (another driftguard is writing; "
                        "run again when it has finished)"
                    ) from None
                # the holder has ended; a git step it started still runs and holds the lock until it ends
                deadline = deadline or time.monotonic() + ORPHAN_WAIT
                if time.monotonic() > deadline:
                    raise RepoLockedError(
                        f"state repo {self._repo_path} is locked by a git process left by pid {owner}, which has "
                        f"ended; run again when no git command runs there"
                    ) from None
                time.sleep(0.01)
            except OSError as exc:
                raise StoreError(f"cannot lock state repo {self._repo_path}: {exc.strerror or exc}") from exc

    def _release(self) -> None:
        fd, self._fd = self._fd, None
        if fd is not None:
            INHERITED_FDS.discard(fd)
            # Closing drops the flock; the file stays (unlinking it would let two writers lock different inodes).
            os.close(fd)


def _alive(owner: str) -> bool:
    if not owner.isdigit():
        return True  # no pid written: assume a live holder rather than wait
    try:
        os.kill(int(owner), 0)
    except ProcessLookupError:
        return False
    except OSError:
        return True  # it exists, under another user
    return True


def _read_owner(fd: int) -> str:
    try:
        text = os.pread(fd, 64, 0).decode("ascii", "replace").split()
    except OSError:
        return "unknown"
    return text[0] if text and text[0].isdigit() else "unknown"
