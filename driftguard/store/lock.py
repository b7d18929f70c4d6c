"""The writer lock of a state repo: ``fcntl.flock`` on ``.git/driftguard.lock``, held while a write runs.

The operating system drops the lock when its holder ends, however it ends (SIGKILL included), so a dead holder
never blocks the next run and nobody has to remove a file by hand. The file itself stays between runs; it holds
the pid of the last holder, for the message a second writer gets.
"""

from __future__ import annotations

import contextlib
import errno
import fcntl
import os
from collections.abc import Iterator
from pathlib import Path

from driftguard.store.errors import DiskFullError, RepoLockedError, StoreError

LOCK_FILE = "driftguard.lock"


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
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            owner = _read_owner(fd)
            os.close(fd)
            raise RepoLockedError(
                f"state repo {self._repo_path} is locked by pid {owner} (another driftguard is writing; "
                "run again when it has finished)"
            ) from None
        except OSError as exc:
            os.close(fd)
            raise StoreError(f"cannot lock state repo {self._repo_path}: {exc.strerror or exc}") from exc
        # Who holds it is only for the message above; on a full disk the lock works without it.
        with contextlib.suppress(OSError):
            os.ftruncate(fd, 0)
            os.pwrite(fd, f"{os.getpid()}\n".encode(), 0)
        self._fd = fd

    def _release(self) -> None:
        fd, self._fd = self._fd, None
        if fd is not None:
            # Closing drops the flock; the file stays (unlinking it would let two writers lock different inodes).
            os.close(fd)


def _read_owner(fd: int) -> str:
    try:
        text = os.pread(fd, 64, 0).decode("ascii", "replace").split()
    except OSError:
        return "unknown"
    return text[0] if text and text[0].isdigit() else "unknown"
