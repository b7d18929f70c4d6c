"""Issue 8.4: SIGKILL, SIGTERM or SIGINT to a real ``python -m driftguard snapshot`` at many moments never leaves a
stale lock, a half-written work tree or a partial commit; the next run succeeds unaided (repairing what a kill left,
and saying so in one line) and the repo is then healthy.

Moments: a SIGKILL the store sends itself at each step of the publish (deterministic); and, for a real snapshot,
spread over the whole run (``k * step`` after the start), and inside the publish itself: a real
``reference-transaction`` hook in the state repo pauses the HEAD update, so a signal lands before the ref moved,
after it moved, and while the files are swapped.
"""

from __future__ import annotations

import fcntl
import os
import signal
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import pytest

from driftguard.store import StateRepo
from tests.faults._store_support import (
    ROOT,
    assert_complete_head,
    cli_env,
    copy_repo,
    make_base,
    run_snapshot,
    start_snapshot,
)
from tests.faults.health import assert_healthy, assert_no_traceback, git
from tests.strategies import example_snapshot

pytestmark = pytest.mark.vcsim

HOOK = """#!/bin/sh
# fault-test hook: pause the first update of the branch so that a signal lands inside driftguard's publish
input=$(cat)
marks="$STORE_FAULT_MARKS"
[ -n "$marks" ] && [ -f "$marks/armed" ] || exit 0
case "$input" in *refs/heads/main*) ;; *) exit 0 ;; esac
[ "$1" = aborted ] && exit 0
[ -f "$marks/seen-$1" ] && exit 0
touch "$marks/seen-$1"
sleep 0.4
"""
HOOK_PAUSE = 0.4
TIMED = [0.3 + 0.5 * k for k in range(6)]
"""Seconds after the start: collection, diff, commit building, publish (a run takes about 3 s here)."""
IN_PUBLISH = [("prepared", 0.1), ("committed", 0.1), ("committed", HOOK_PAUSE + 0.005)]
"""(hook state, seconds after it began): before the ref moved, after it moved, while the files are swapped."""
SIGNALS = {"SIGKILL": signal.SIGKILL, "SIGTERM": signal.SIGTERM, "SIGINT": signal.SIGINT}
HANDLED = {signal.SIGKILL: (), signal.SIGTERM: (143,), signal.SIGINT: (130,)}
"""Exit codes of a run that handled the signal (the CLI maps SIGINT to 130 and SIGTERM to 143)."""


def _wait_for(path: Path, run: subprocess.Popen[str]) -> None:
    deadline = time.monotonic() + 120
    while not path.exists():
        assert run.poll() is None, f"the run ended before {path.name}"
        assert time.monotonic() < deadline, f"no {path.name} within 120 s"
        time.sleep(0.001)


def _lock_is_free(repo: Path) -> bool:
    lock = repo / ".git" / "driftguard.lock"
    if not lock.exists():
        return True
    fd = os.open(lock, os.O_RDWR)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        return False
    finally:
        os.close(fd)
    return True


def _trial(url: str, repo: Path, sig: signal.Signals, moment: tuple[str, float]) -> dict[str, int]:
    """One kill: start, signal at ``moment``, then the next run; the figures of what the kill left."""
    marks = repo.parent / "marks"
    marks.mkdir()
    hooks = repo / ".git" / "hooks"
    (hooks / "reference-transaction").write_text(HOOK)
    (hooks / "reference-transaction").chmod(0o755)
    state, delay = moment
    if state != "timed":
        (marks / "armed").touch()
    run = start_snapshot(url, repo, STORE_FAULT_MARKS=str(marks))
    started = time.monotonic()
    if state == "timed":
        time.sleep(max(0.0, delay - (time.monotonic() - started)))
    else:
        _wait_for(marks / f"seen-{state}", run)
        time.sleep(delay)
    run.send_signal(sig)
    out, err = run.communicate(timeout=120)
    (marks / "armed").unlink(missing_ok=True)
    for pause in (marks / "seen-prepared", marks / "seen-committed"):
        pause.unlink(missing_ok=True)
    landed_anyway = run.returncode == 0
    # SIGKILL cannot be handled; SIGINT and SIGTERM are, once the run has started (the marks say it has)
    assert run.returncode in (0, *(HANDLED[sig] or (-sig,))), f"exit {run.returncode}: {out}{err}"
    assert_no_traceback(out, err)
    git_dir = repo / ".git"
    left = {
        "index_lock": int((git_dir / "index.lock").exists()),
        "journal": int((git_dir / "driftguard-publish.json").exists()),
        "dirty": int(bool(git(repo, "status", "--porcelain", "--untracked-files=all").strip())),
        # a git step the dead run started may still finish (it inherits the lock, and the next run waits for it)
        "orphan_git_step_held_lock": int(not _lock_is_free(repo)),
    }
    deadline = time.monotonic() + 60
    while not _lock_is_free(repo):
        assert time.monotonic() < deadline, "the writer lock is still held 60 s after its holder died"
        time.sleep(0.01)
    again = run_snapshot(url, repo)
    assert again.returncode == 0, f"next run after {sig.name} at {moment}: {again.stdout}{again.stderr}"
    assert_no_traceback(again.stdout, again.stderr)
    if left["journal"] or left["index_lock"]:
        notes = [line for line in again.stderr.splitlines() if "interrupted driftguard run" in line]
        assert len(notes) == 1, again.stderr
    return {**left, "landed_anyway": int(landed_anyway)}


@pytest.mark.parametrize("name", sorted(SIGNALS))
def test_a_signal_at_any_moment_leaves_nothing_to_repair_by_hand(vcsim: Any, tmp_path: Path, name: str) -> None:
    sig = SIGNALS[name]
    base, base_head = make_base(vcsim.url, tmp_path)
    moments = [("timed", delay) for delay in TIMED] + IN_PUBLISH
    totals: dict[str, int] = {"tried": 0}
    for number, moment in enumerate(moments):
        repo = copy_repo(base, tmp_path / f"kill{number}" / "state")
        figures = _trial(vcsim.url, repo, sig, moment)
        totals["tried"] += 1
        for key, value in figures.items():
            totals[key] = totals.get(key, 0) + value
        assert_healthy(repo, base_head)
        assert_complete_head(repo)
    print(f"\nFIGURES kill {name}: {totals}")


KILL_AT = """
import os, signal, sys
from datetime import UTC, datetime
from driftguard.store import StateRepo, SubprocessGit
from tests.strategies import example_snapshot

real = SubprocessGit()
when = sys.argv[2]

def runner(args, *, cwd, stdin=None, env=None):
    command = [arg for arg in args if not arg.startswith("--literal")]
    if command[0] == "update-ref" and when == "before-ref":
        os.kill(os.getpid(), signal.SIGKILL)
    result = real(args, cwd=cwd, stdin=stdin, env=env)
    if command[0] == "update-ref" and when == "after-ref":
        os.kill(os.getpid(), signal.SIGKILL)
    if "--refresh" in command and when == "mid-swap":
        os.kill(os.getpid(), signal.SIGKILL)
    return result

snapshot = example_snapshot()
vms = {k: v.model_copy(update={"power_state": "poweredOff", "name": v.name + "-x"}) for k, v in snapshot.vms.items()}
with StateRepo.open(sys.argv[1], runner=runner) as repo:
    repo.write_snapshot(snapshot.model_copy(update={"vms": vms}).with_counts(), "killed", now=datetime.now(UTC))
"""


@pytest.mark.parametrize("when", ["mid-swap", "before-ref", "after-ref"])
def test_sigkill_at_each_step_of_the_publish_is_repaired_by_the_next_write(tmp_path: Path, when: str) -> None:
    path = tmp_path / "state"
    with StateRepo.open(path, create=True) as repo:
        repo.write_snapshot(example_snapshot(), "first")
    before = git(path, "rev-parse", "HEAD").strip()
    killed = subprocess.run(
        [sys.executable, "-c", KILL_AT, str(path), when], env=cli_env(), cwd=ROOT, capture_output=True, text=True
    )
    assert killed.returncode == -signal.SIGKILL, killed.stderr
    assert (path / ".git" / "index.lock").exists() and (path / ".git" / "driftguard-publish.json").exists()
    with StateRepo.open(path) as repo:
        assert repo.write_snapshot(example_snapshot(), "again") in (None, repo.head())
        assert len(repo.notices) == 1 and repo.notices[0].startswith("finished an interrupted driftguard run: ")
        assert repo.load() == example_snapshot()
    assert_healthy(path, before)
