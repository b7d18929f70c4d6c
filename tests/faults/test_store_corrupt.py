"""Issue 8.11: a damaged object database is called corrupt: ``state repo <path> is corrupt (git fsck reports: ...)``
(:class:`CorruptRepoError`, exit 3, one line), detected when a git command fails the way corruption makes it fail,
confirmed by ``git fsck``; nothing is written meanwhile, and once the object is restored everything works again.
"""

from __future__ import annotations

import shutil
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from driftguard.store import CorruptRepoError, StateRepo, StoreError
from tests.faults._store_support import assert_complete_head, error_line, run_snapshot
from tests.faults.health import assert_healthy, assert_no_traceback, git, head
from tests.strategies import example_snapshot

VC = "vc01.example.com"
VM_FILE = f"{VC}/vms/Prod/web01~vm-31.json"


def _object_file(repo: Path, sha: str) -> Path:
    return repo / ".git" / "objects" / sha[:2] / sha[2:]


def _truncate(path: Path) -> None:
    data = path.read_bytes()
    path.chmod(0o644)
    path.write_bytes(data[: len(data) // 2])


def _empty(path: Path) -> None:
    path.chmod(0o644)
    path.write_bytes(b"")


def _garbage(path: Path) -> None:
    path.chmod(0o644)
    path.write_bytes(b"\x78\x9c" + bytes(range(200)))


def _delete(path: Path) -> None:
    path.unlink()


DAMAGE: dict[str, Callable[[Path], None]] = {
    "truncated": _truncate,
    "empty": _empty,
    "garbage": _garbage,
    "missing": _delete,
}
TARGETS = {"blob": f"HEAD:{VM_FILE}", "tree": f"HEAD:{VC}/vms"}


def _state(repo: Path) -> dict[str, bytes]:
    return {
        str(path.relative_to(repo)): path.read_bytes()
        for path in sorted(repo.rglob("*"))
        if path.is_file() and path.name != "driftguard.lock"
    }


@pytest.mark.parametrize("target", sorted(TARGETS))
@pytest.mark.parametrize("damage", sorted(DAMAGE))
def test_a_damaged_object_is_reported_as_a_corrupt_repo(tmp_path: Path, damage: str, target: str) -> None:
    path = tmp_path / "state"
    snapshot = example_snapshot()
    with StateRepo.open(path, create=True) as repo:
        repo.write_snapshot(snapshot, "first")
    before_head = head(path)
    sha = git(path, "rev-parse", TARGETS[target]).strip()
    damaged = _object_file(path, sha)
    backup = tmp_path / "backup"
    shutil.copy2(damaged, backup)
    DAMAGE[damage](damaged)
    before = _state(path)
    vm = snapshot.vms["vm-31"].model_copy(update={"power_state": "poweredOff"})
    changed = snapshot.model_copy(update={"vms": {**snapshot.vms, "vm-31": vm}}).with_counts()
    with StateRepo.open(path) as repo:
        attempts: list[Callable[[], object]] = [repo.load]
        if target == "tree":  # a write reads trees, not the blobs of unchanged objects
            attempts.append(lambda: repo.write_snapshot(changed, "second"))
        for attempt in attempts:
            with pytest.raises(CorruptRepoError) as corrupt:
                attempt()
            message = str(corrupt.value)
            assert message.startswith(f"state repo {path} is corrupt (git fsck reports: "), message
            assert "\n" not in message and message.endswith(")")
    assert _state(path) == before  # nothing written, no litter
    assert not (path / ".git" / "index.lock").exists()
    backup.replace(damaged)
    assert_healthy(path, before_head)
    with StateRepo.open(path) as repo:
        assert repo.load() == snapshot
        assert repo.write_snapshot(changed, "second") is not None
    assert_healthy(path, before_head)


def test_a_sound_repo_with_a_failing_command_is_not_called_corrupt(tmp_path: Path) -> None:
    path = tmp_path / "state"
    with StateRepo.open(path, create=True) as repo:
        repo.write_snapshot(example_snapshot(), "first")
        with pytest.raises(StoreError) as failed:
            repo.git.run("cat-file", "-p", "HEAD:no/such/file")  # "does not exist", not a damaged object
        assert not isinstance(failed.value, CorruptRepoError)
    assert_healthy(path, head(path))


@pytest.mark.vcsim
def test_a_snapshot_into_a_corrupt_repo_exits_3_with_one_line(vcsim: Any, tmp_path: Path) -> None:
    path = tmp_path / "state"
    first = run_snapshot(vcsim.url, path)
    assert first.returncode == 0, first.stdout + first.stderr
    before_head = head(path)
    vm_file = next(line for line in git(path, "ls-tree", "-r", "--name-only", "HEAD").split() if "/vms/" in line)
    # the tree of the VM's directory: every run reads the trees, but since issue 12 a run reads the blobs of
    # changed objects only, so a damaged blob of an unchanged VM is found by what reads it (load, diff, check)
    damaged = _object_file(path, git(path, "rev-parse", f"HEAD:{vm_file.rsplit('/', 1)[0]}").strip())
    backup = tmp_path / "backup"
    shutil.copy2(damaged, backup)
    _truncate(damaged)
    run = run_snapshot(vcsim.url, path)
    assert run.returncode == 3, run.stdout + run.stderr
    assert_no_traceback(run.stdout, run.stderr)
    assert f"state repo {path} is corrupt (git fsck reports: " in error_line(run.stderr)
    assert head(path) == before_head
    backup.replace(damaged)
    assert_healthy(path, before_head)
    again = run_snapshot(vcsim.url, path)
    assert again.returncode == 0, again.stdout + again.stderr
    assert_healthy(path, before_head)
    assert_complete_head(path)
