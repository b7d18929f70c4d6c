"""The writer lock of a state repo: ``fcntl.flock`` on ``.git/driftguard.lock``, held while a write runs.

The operating system drops the lock when its holder ends, however it ends (SIGKILL included), so a dead holder
never blocks the next run and nobody has to remove a file by hand. The file itself stays between runs; it holds
the pid of the last holder, for the message a second writer gets.

Git steps the holder starts inherit the lock: when driftguard is killed while ``git update-ref`` runs, that step
still finishes, and the lock is free only when it has. A writer that finds the lock held by a holder that has
ended waits for such a step (up to :data:`ORPHAN_WAIT` seconds); a live holder fails the second writer at once,
unless the caller asked to wait (:func:`waiting`, the ``--wait SECONDS`` of the CLI): then it polls until the lock is
free or the time is up. Another thread of this same process (the concurrent snapshots of one fleet run) is always
waited for, up to :data:`IN_PROCESS_WAIT` seconds: it holds the lock only while it commits.
"""

from __future__ import annotations

import contextlib
import errno
import fcntl
import os
import threading
import time
from collections.abc import Iterator
from pathlib import Path

from driftguard.store.errors import DiskFullError, RepoLockedError, StoreError
from driftguard.store.gitrun import INHERITED_FDS

LOCK_FILE = "driftguard.lock"
ORPHAN_WAIT = 30.0
"""Seconds to wait for git steps of a killed driftguard to end (each is a single short git command)."""
IN_PROCESS_WAIT = 3600.0
"""Seconds a writer waits for another thread of this process that holds the lock (it only commits meanwhile)."""
POLL_MAX = 0.5
"""Longest pause between two tries of a held lock."""
SETTLE = 1.0
"""Seconds a lock whose holder has not yet written its pid is tried again before it counts as held."""

_wait = 0.0
_holders: dict[str, int] = {}
"""Lock file → ident of the thread of this process that holds it."""
_holders_guard = threading.Lock()


@contextlib.contextmanager
def waiting(seconds: float) -> Iterator[None]:
    """Within the block, a writer that finds the lock held by another live process waits up to ``seconds`` for it
    (0: fail at once, the default). Process-wide: set it once, around the whole run."""
    global _wait
    if seconds < 0:
        raise ValueError("a wait cannot be negative")
    previous, _wait = _wait, seconds
    try:
        yield
    finally:
        _wait = previous


def wait_seconds() -> float:
    """How long a writer waits for a lock held by another process now (see :func:`waiting`)."""
    return _wait


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
        with _holders_guard:
            _holders[str(self.path)] = threading.get_ident()

    def _flock(self, fd: int) -> None:
        started = time.monotonic()
        orphaned: float | None = None
        pause = 0.01
        while True:
            try:
                fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
                return
            except BlockingIOError:
                owner = _read_owner(fd)
                if _alive(owner):
                    self._wait_for_live(owner, time.monotonic() - started)
                else:
                    # the holder has ended; a git step it started still runs and holds the lock until it ends
                    orphaned = orphaned or time.monotonic() + ORPHAN_WAIT
                    if time.monotonic() > orphaned:
                        raise RepoLockedError(
                            f"state repo {self._repo_path} is locked by a git process left by pid {owner}, which has "
                            f"ended; run again when no git command runs there"
                        ) from None
                time.sleep(pause)
                pause = min(pause * 2, POLL_MAX)
            except OSError as exc:
                raise StoreError(f"cannot lock state repo {self._repo_path}: {exc.strerror or exc}") from exc

    def _wait_for_live(self, owner: str, waited: float) -> None:
        """Return to try again, or raise when a live holder may not be waited for (any longer)."""
        with _holders_guard:
            holder_thread = _holders.get(str(self.path))
        ours = owner == str(os.getpid())
        if (owner == "unknown" or (ours and holder_thread is None)) and waited < SETTLE:
            return  # the holder has just taken the lock and not yet written who it is
        if ours and holder_thread is not None and holder_thread != threading.get_ident():
            if waited < IN_PROCESS_WAIT:
                return  # another thread of this run is committing
            raise RepoLockedError(
                f"state repo {self._repo_path} stayed locked by another snapshot of this run for {IN_PROCESS_WAIT:.0f}"
                " seconds; nothing committed"
            )
        if not ours and waited < _wait:
            return
        waited_note = f" after waiting {_wait:g} seconds (--wait)" if _wait and not ours else ""
        raise RepoLockedError(
            f"state repo {self._repo_path} is locked by pid {owner}{waited_note} (another driftguard is writing; "
            "run again when it has finished)"
        )

    def _release(self) -> None:
        fd, self._fd = self._fd, None
        if fd is not None:
            with _holders_guard:
                _holders.pop(str(self.path), None)
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
