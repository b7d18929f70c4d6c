"""`--wait SECONDS` on the writer lock: a second writer waits for a live holder in another process instead of
failing at once, and gives up with one line when the time is up; threads of one process wait for each other."""

from __future__ import annotations

import subprocess
import sys
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest

from driftguard.store import RepoLockedError, StateRepo
from driftguard.store.lock import waiting

HOLD = """
import fcntl, os, sys
fd = os.open(sys.argv[1], os.O_RDWR | os.O_CREAT)
fcntl.flock(fd, fcntl.LOCK_EX)
os.ftruncate(fd, 0)
os.pwrite(fd, f"{os.getpid()}\\n".encode(), 0)
print("locked", flush=True)
sys.stdin.readline()
"""


@pytest.fixture
def repo(tmp_path: Path) -> Iterator[StateRepo]:
    with StateRepo.open(tmp_path / "state", create=True) as state:
        yield state


@pytest.fixture
def holder(repo: StateRepo) -> Iterator[subprocess.Popen[str]]:
    """Another process holding the lock until a line arrives on its stdin."""
    process = subprocess.Popen(
        [sys.executable, "-c", HOLD, str(repo.path / ".git" / "driftguard.lock")],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
    )
    assert process.stdout is not None and process.stdout.readline().strip() == "locked"
    try:
        yield process
    finally:
        process.kill()
        process.wait()
        for stream in (process.stdin, process.stdout):
            if stream is not None:
                stream.close()


def test_without_wait_a_live_holder_fails_the_writer_at_once(repo: StateRepo, holder: subprocess.Popen[str]) -> None:
    wanted = f"locked by pid {holder.pid} \\(another driftguard is writing"
    with pytest.raises(RepoLockedError, match=wanted), repo.lock():
        pass


def test_with_wait_the_writer_takes_the_lock_once_the_holder_lets_go(
    repo: StateRepo, holder: subprocess.Popen[str]
) -> None:
    outcome: list[str] = []
    trying = threading.Event()

    def writer() -> None:
        trying.set()
        with waiting(600), repo.lock():
            outcome.append("locked")

    thread = threading.Thread(target=writer)
    thread.start()
    trying.wait()
    assert holder.stdin is not None
    holder.stdin.write("release\n")
    holder.stdin.flush()
    thread.join()
    assert outcome == ["locked"]


def test_a_wait_that_runs_out_names_the_holder_and_the_wait(repo: StateRepo, holder: subprocess.Popen[str]) -> None:
    with waiting(0.2), pytest.raises(RepoLockedError) as locked, repo.lock():
        pass
    assert str(locked.value) == (
        f"state repo {repo.path} is locked by pid {holder.pid} after waiting 0.2 seconds (--wait) "
        "(another driftguard is writing; run again when it has finished)"
    )


def test_threads_of_one_process_wait_for_each_other(repo: StateRepo) -> None:
    """The snapshots of one fleet run commit in turn: no --wait needed between them."""
    other = StateRepo.open(repo.path)
    order: list[str] = []
    errors: list[BaseException] = []
    inside, leave = threading.Event(), threading.Event()

    def first() -> None:
        with repo.lock():
            order.append("first in")
            inside.set()
            leave.wait()
            order.append("first out")

    def second() -> None:
        try:
            with other.lock():
                order.append("second in")
        except BaseException as exc:
            errors.append(exc)

    threads = [threading.Thread(target=first), threading.Thread(target=second)]
    threads[0].start()
    inside.wait()
    threads[1].start()
    leave.set()
    for thread in threads:
        thread.join()
    other.close()
    assert errors == [] and order == ["first in", "first out", "second in"]


def test_a_negative_wait_is_refused() -> None:
    with pytest.raises(ValueError, match="negative"), waiting(-1):
        pass
