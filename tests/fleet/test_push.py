"""`snapshot --push` on real git: fetch-rebase-retry into one bare remote shared by many writers, the verification
notes carried along, and the failures a person must act on (a conflict, an unreachable remote) as one line."""

from __future__ import annotations

import subprocess
import threading
from collections.abc import Callable
from pathlib import Path

import pytest

from driftguard import api
from driftguard.models import Snapshot
from driftguard.store import NOTES_REF, StateRepo, StoreError
from driftguard.store.push import PushConflictError, push
from tests.strategies import example_snapshot


def git(path: Path, *args: str) -> str:
    return subprocess.run(["git", "-C", str(path), *args], check=True, capture_output=True, text=True).stdout


@pytest.fixture
def remote(tmp_path: Path) -> Path:
    """A bare remote whose main branch holds one commit (the state repo's driftguard.yaml)."""
    bare = tmp_path / "remote.git"
    subprocess.run(["git", "init", "-q", "--bare", "-b", "main", str(bare)], check=True)
    seed = tmp_path / "seed"
    subprocess.run(["git", "clone", "-q", str(bare), str(seed)], check=True, capture_output=True)
    (seed / "driftguard.yaml").write_text("version: 1\n")
    git(seed, "add", "driftguard.yaml")
    git(seed, "commit", "-q", "-m", "driftguard.yaml")
    git(seed, "push", "-q", "origin", "HEAD:main")
    return bare


@pytest.fixture
def clone(remote: Path, tmp_path: Path) -> Callable[[str], Path]:
    def make(name: str) -> Path:
        path = tmp_path / name
        subprocess.run(["git", "clone", "-q", str(remote), str(path)], check=True, capture_output=True)
        return path

    return make


def snapshot_of(vcenter: str, started_at: str = "2026-01-01T03:00:00+00:00") -> Snapshot:
    return example_snapshot(vcenter, started_at)


def commit_into(path: Path, snapshot: Snapshot) -> str | None:
    with StateRepo.open(path) as repo:
        return repo.write_snapshot(snapshot, f"snapshot of {snapshot.manifest.vcenter.name}")


def test_the_loser_of_a_race_rebases_and_lands(remote: Path, clone: Callable[[str], Path]) -> None:
    first, second = clone("a"), clone("b")
    commit_into(first, snapshot_of("vc01.example.com"))
    commit_into(second, snapshot_of("vc02.example.com"))
    won = api.push(first)
    assert (won.attempts, won.rebased) == (1, False)
    lost = api.push(second)
    assert lost.attempts == 2 and lost.rebased
    assert git(remote, "rev-parse", "main").strip() == lost.head == git(second, "rev-parse", "HEAD").strip()
    subjects = git(remote, "log", "--format=%s", "main").splitlines()
    assert subjects == ["snapshot of vc02.example.com", "snapshot of vc01.example.com", "driftguard.yaml"]
    assert git(second, "status", "--porcelain") == ""
    assert subprocess.run(["git", "-C", str(remote), "fsck", "--strict"], capture_output=True).returncode == 0


def test_verification_notes_follow_the_rebase_and_merge_with_the_remotes(
    remote: Path, clone: Callable[[str], Path]
) -> None:
    first, second = clone("a"), clone("b")
    for path, name in ((first, "vc01.example.com"), (second, "vc02.example.com")):
        commit_into(path, snapshot_of(name))
        assert commit_into(path, snapshot_of(name, "2026-01-02T03:00:00+00:00")) is None  # unchanged: a note
    api.push(first)
    api.push(second)
    noted = git(remote, "notes", f"--ref={NOTES_REF}", "list").splitlines()
    assert len(noted) == 2  # one note on each vCenter's (rebased) state commit
    with StateRepo.open(second) as repo:
        for name in ("vc01.example.com", "vc02.example.com"):
            state = repo.latest_commit(name)
            assert state is not None
            assert name in git(second, "notes", f"--ref={NOTES_REF}", "show", state)


def test_concurrent_pushes_from_threads_all_land(remote: Path, clone: Callable[[str], Path]) -> None:
    paths = [clone(f"c{i}") for i in range(4)]
    for i, path in enumerate(paths):
        commit_into(path, snapshot_of(f"vc0{i}.example.com"))
    errors: list[BaseException] = []

    def run(path: Path) -> None:
        try:
            api.push(path)
        except BaseException as exc:
            errors.append(exc)

    threads = [threading.Thread(target=run, args=(p,)) for p in paths]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []
    assert len(git(remote, "log", "--format=%H", "main").splitlines()) == 5


def test_two_clones_snapshotting_one_vcenter_conflict_and_keep_their_commit(
    remote: Path, clone: Callable[[str], Path]
) -> None:
    first, second = clone("a"), clone("b")
    commit_into(first, snapshot_of("vc01.example.com"))
    changed = snapshot_of("vc01.example.com")
    vm = next(iter(changed.vms))
    changed = changed.model_copy(
        update={"vms": {**changed.vms, vm: changed.vms[vm].model_copy(update={"name": "renamed"})}}
    ).with_counts()
    mine = commit_into(second, changed)
    api.push(first)
    with StateRepo.open(second) as repo, pytest.raises(PushConflictError) as conflict:
        push(repo)
    assert "did two runs snapshot the same vCenter?" in str(conflict.value)
    assert "\n" not in str(conflict.value)
    assert git(second, "rev-parse", "HEAD").strip() == mine  # kept, and no rebase left half-way
    assert not (second / ".git" / "rebase-merge").exists()
    assert git(second, "status", "--porcelain") == ""


def test_an_unreachable_remote_is_one_operational_line(tmp_path: Path, clone: Callable[[str], Path]) -> None:
    path = clone("a")
    commit_into(path, snapshot_of("vc01.example.com"))
    git(path, "remote", "set-url", "origin", str(tmp_path / "gone.git"))
    with pytest.raises(api.OperationalError) as failed:
        api.push(path)
    assert str(failed.value).startswith(f"cannot push state repo {path} to origin: ")
    assert "\n" not in str(failed.value)


def test_a_detached_head_cannot_be_pushed(clone: Callable[[str], Path]) -> None:
    path = clone("a")
    git(path, "checkout", "-q", "--detach")
    with StateRepo.open(path) as repo, pytest.raises(StoreError, match="detached HEAD"):
        push(repo)


def test_a_remote_that_keeps_moving_exhausts_the_bounded_attempts(remote: Path, clone: Callable[[str], Path]) -> None:
    path, other = clone("a"), clone("b")
    commit_into(path, snapshot_of("vc01.example.com"))
    with StateRepo.open(path) as repo:
        git(other, "commit", "-q", "--allow-empty", "-m", "someone else")
        git(other, "push", "-q", "origin", "HEAD:main")
        with pytest.raises(StoreError, match="after 1 attempts; the snapshot stays committed locally"):
            push(repo, attempts=1)
    assert "someone else" not in git(remote, "log", "--format=%s", "main").split("\n")[1:]


def test_a_rebase_that_git_cannot_make_is_aborted_cleanly(remote: Path, clone: Callable[[str], Path]) -> None:
    """Both sides edited driftguard.yaml (a person, by hand): git's own conflict, aborted, nothing pushed."""
    first, second = clone("a"), clone("b")
    for path, text in ((first, "version: 1\n# a\n"), (second, "version: 1\n# b\n")):
        (path / "driftguard.yaml").write_text(text)
        git(path, "commit", "-q", "-am", f"edit {path.name}")
    api.push(first)
    mine = git(second, "rev-parse", "HEAD").strip()
    with pytest.raises(api.OperationalError, match=r"cannot rebase state repo .* onto origin/main: .*nothing pushed"):
        api.push(second)
    assert git(second, "rev-parse", "HEAD").strip() == mine
    assert not (second / ".git" / "rebase-merge").exists() and git(second, "status", "--porcelain") == ""
