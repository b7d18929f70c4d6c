"""Issue 8.5: a full disk anywhere in the store is an operational error: :class:`DiskFullError`, whose message starts
``no space left on <repo>``, exit 3 from the CLI with one line; nothing half-written, no ``fast_import_crash_*``, no
stale lock; once space is freed the same write succeeds.

The state repo lives on a tiny tmpfs, filled with a file of varying size before each run so that the disk runs
full at a different step each time (objects, lock, journal, staged files, index, refs, notes). Mounting needs
root; the tests are skipped, saying so, only when not root.
"""

from __future__ import annotations

import os
import shutil
import subprocess
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from driftguard.models import Snapshot
from driftguard.models.times import parse_time
from driftguard.store import DiskFullError, StateRepo
from tests.faults._store_support import assert_complete_head, error_line, make_base, run_snapshot
from tests.faults.health import assert_healthy, assert_no_traceback, head
from tests.strategies import example_snapshot

PAGE = 4096
LEVELS = [PAGE * k for k in range(64)] + [PAGE * k for k in range(64, 160, 8)]
"""Free bytes left before the run: every page up to 256 KiB, then coarser."""

pytestmark = pytest.mark.skipif(os.geteuid() != 0, reason="mounting a tiny tmpfs for disk-full faults needs root")


@pytest.fixture
def tiny_disk(tmp_path: Path) -> Iterator[Path]:
    mount = tmp_path / "tiny"
    mount.mkdir()
    subprocess.run(["mount", "-t", "tmpfs", "-o", "size=4m", "tmpfs", str(mount)], check=True)
    try:
        yield mount
    finally:
        subprocess.run(["umount", "-l", str(mount)], check=True)


def _free(path: Path) -> int:
    stat = os.statvfs(path)
    return stat.f_bavail * stat.f_frsize


def _fill(disk: Path, leave: int) -> Path:
    filler = disk / "filler"
    size = max(0, _free(disk) - leave)
    with filler.open("wb") as handle:
        handle.truncate(0)
        handle.write(b"\0" * size)  # written, not sparse: tmpfs counts written pages
    return filler


def _with_power(snapshot: Snapshot, *vm_ids: str) -> Snapshot:
    vms = dict(snapshot.vms)
    for vm_id in vm_ids:
        vms[vm_id] = vms[vm_id].model_copy(update={"power_state": "poweredOff", "name": f"{vm_id}-moved"})
    return snapshot.model_copy(update={"vms": vms}).with_counts()


def _later(snapshot: Snapshot) -> Snapshot:
    manifest = snapshot.manifest.model_copy(update={"started_at": parse_time("2026-03-01T00:00:00+00:00")})
    return snapshot.model_copy(update={"manifest": manifest})


WRITES: dict[str, Callable[[StateRepo], object]] = {
    "first snapshot": lambda repo: repo.write_snapshot(example_snapshot(), "first"),
    "changed snapshot": lambda repo: repo.write_snapshot(_with_power(example_snapshot(), "vm-31", "vm-32"), "two"),
    "verification note": lambda repo: repo.write_snapshot(_later(example_snapshot()), "same"),
    "evidence files": lambda repo: repo.write_files("evidence", {"evidence/vc/h.json": b"{}\n" * 3000}, "evidence"),
}


@pytest.mark.parametrize("write", sorted(WRITES))
def test_a_full_disk_at_any_step_is_one_clean_error(tmp_path: Path, tiny_disk: Path, write: str) -> None:
    base = tmp_path / "base"
    with StateRepo.open(base, create=True) as repo:
        if write != "first snapshot":
            repo.write_snapshot(example_snapshot(), "first")
    figures = {"levels": 0, "disk_full": 0, "succeeded": 0}
    for leave in LEVELS:
        repo_path = tiny_disk / "state"
        shutil.rmtree(repo_path, ignore_errors=True)
        (tiny_disk / "filler").unlink(missing_ok=True)
        shutil.copytree(base, repo_path, symlinks=True)
        before = head(repo_path)
        filler = _fill(tiny_disk, leave)
        figures["levels"] += 1
        try:
            with StateRepo.open(repo_path) as repo:
                WRITES[write](repo)
            figures["succeeded"] += 1
        except DiskFullError as exc:
            figures["disk_full"] += 1
            assert str(exc).startswith(f"no space left on {repo_path}"), str(exc)
            assert "\n" not in str(exc)
        filler.unlink()  # git status itself needs a little space
        assert_healthy(repo_path, before)
        if head(repo_path) != before:
            assert_complete_head(repo_path)
        with StateRepo.open(repo_path) as repo:  # space again: the same write succeeds, nothing to repair
            WRITES[write](repo)
            assert repo.notices == []
        assert_healthy(repo_path, before)
    print(f"\nFIGURES enospc {write}: {figures}")
    assert figures["disk_full"] > 0 and figures["succeeded"] > 0, figures


@pytest.mark.vcsim
def test_a_snapshot_onto_a_full_disk_exits_3_with_one_line(vcsim: Any, tmp_path: Path, tiny_disk: Path) -> None:
    base, base_head = make_base(vcsim.url, tmp_path)
    outcomes: dict[int, int] = {}
    for leave in [PAGE * k for k in (0, 1, 2, 4, 8, 16, 32, 48, 64, 96, 128)]:
        repo_path = tiny_disk / "state"
        shutil.rmtree(repo_path, ignore_errors=True)
        (tiny_disk / "filler").unlink(missing_ok=True)
        shutil.copytree(base, repo_path, symlinks=True)
        filler = _fill(tiny_disk, leave)
        run = run_snapshot(vcsim.url, repo_path)
        outcomes[run.returncode] = outcomes.get(run.returncode, 0) + 1
        assert_no_traceback(run.stdout, run.stderr)
        assert run.returncode in (0, 3), run.stdout + run.stderr
        if run.returncode == 3:
            assert f"no space left on {repo_path}" in error_line(run.stderr)
        filler.unlink()
        assert_healthy(repo_path, base_head)
        again = run_snapshot(vcsim.url, repo_path)
        assert again.returncode == 0, again.stdout + again.stderr
        assert_healthy(repo_path, base_head)
        assert_complete_head(repo_path)
    print(f"\nFIGURES enospc cli: exit codes {outcomes}")
    assert outcomes.get(3, 0) > 0, outcomes
