"""The state repo through real Git: commits, no-noise runs, verification notes, atomicity, locking, reading."""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import subprocess
import sys
from collections.abc import Callable, Iterator, Mapping, Sequence
from datetime import UTC, datetime
from pathlib import Path

import pytest

from driftguard.models import Snapshot
from driftguard.models.canonical import canonical_bytes
from driftguard.models.times import parse_time
from driftguard.store import (
    NOTES_REF,
    GitResult,
    LocalEditsError,
    RepoLockedError,
    Signature,
    StateRepo,
    StoreError,
    SubprocessGit,
    UnknownRevisionError,
    blob_id,
)
from tests.invariants import checked_diff
from tests.strategies import example_snapshot

VC = "vc01.example.com"
NOW = datetime(2026, 1, 1, 4, 0, tzinfo=UTC)


@pytest.fixture(autouse=True)
def _isolated_git(monkeypatch: pytest.MonkeyPatch) -> None:
    # Neither the machine's git config nor its identity may matter: the store passes its own identity.
    monkeypatch.setenv("GIT_CONFIG_GLOBAL", os.devnull)
    monkeypatch.setenv("GIT_CONFIG_NOSYSTEM", "1")
    for var in ("GIT_AUTHOR_NAME", "GIT_AUTHOR_EMAIL", "GIT_COMMITTER_NAME", "GIT_COMMITTER_EMAIL", "EMAIL"):
        monkeypatch.delenv(var, raising=False)


@pytest.fixture
def repo(tmp_path: Path) -> Iterator[StateRepo]:
    with StateRepo.open(tmp_path / "state", create=True) as state:
        yield state


def git(path: Path, *args: str) -> str:
    return subprocess.run(["git", "-C", str(path), *args], check=True, capture_output=True, text=True).stdout


def worktree_digest(path: Path) -> dict[str, str]:
    return {
        str(p.relative_to(path)): hashlib.sha256(p.read_bytes()).hexdigest()
        for p in sorted(path.rglob("*"))
        if p.is_file() and ".git" not in p.relative_to(path).parts
    }


def repo_state(path: Path) -> tuple[str, bytes, dict[str, str], str]:
    head = git(path, "rev-parse", "HEAD").strip() if (path / ".git" / "refs" / "heads" / "main").exists() else ""
    index = (path / ".git" / "index").read_bytes() if (path / ".git" / "index").exists() else b""
    return head, index, worktree_digest(path), git(path, "status", "--porcelain")


def later(snapshot: Snapshot, started_at: str, **vcenter: str) -> Snapshot:
    """The same objects, collected at another time (only volatile manifest fields differ, unless ``vcenter``)."""
    manifest = snapshot.manifest.model_copy(
        update={
            "started_at": parse_time(started_at),
            "finished_at": parse_time(started_at),
            "round_trips": snapshot.manifest.round_trips + 7,
            "vcenter": snapshot.manifest.vcenter.model_copy(update=vcenter),
        }
    )
    return snapshot.model_copy(update={"manifest": manifest})


def committed(sha: str | None) -> str:
    assert sha is not None, "expected a commit"
    return sha


def with_vm(snapshot: Snapshot, vm_id: str, **update: object) -> Snapshot:
    vm = snapshot.vms[vm_id].model_copy(update=update)
    return snapshot.model_copy(update={"vms": {**snapshot.vms, vm_id: vm}}).with_counts()


# -- opening ---------------------------------------------------------------------------------------------------


def test_open_errors_are_one_line_messages(tmp_path: Path) -> None:
    with pytest.raises(StoreError, match="does not exist") as missing:
        StateRepo.open(tmp_path / "nope")
    (tmp_path / "plain").mkdir()
    with pytest.raises(StoreError, match="is not a git repository") as plain:
        StateRepo.open(tmp_path / "plain")
    for exc in (missing.value, plain.value):
        assert "\n" not in str(exc)


def test_open_reports_a_corrupt_repo(tmp_path: Path) -> None:
    with StateRepo.open(tmp_path / "state", create=True) as state:
        state.write_snapshot(example_snapshot(), "first", now=NOW)
    main = tmp_path / "state" / ".git" / "refs" / "heads" / "main"
    main.write_text("0123456789012345678901234567890123456789\n")
    with pytest.raises(StoreError, match="corrupt") as corrupt:
        StateRepo.open(tmp_path / "state")
    assert "\n" not in str(corrupt.value)


def test_create_makes_a_main_branch_repo(tmp_path: Path) -> None:
    with StateRepo.open(tmp_path / "new" / "state", create=True) as state:
        assert state.head() is None
        assert state.vcenters() == []
        assert state.history(VC) == []
    assert git(tmp_path / "new" / "state", "symbolic-ref", "HEAD").strip() == "refs/heads/main"


# -- writing ---------------------------------------------------------------------------------------------------


def test_first_write_commits_canonical_files(repo: StateRepo) -> None:
    snapshot = example_snapshot()
    commit = repo.write_snapshot(snapshot, "vc01: first snapshot\n\nbody text", now=NOW)
    assert commit is not None and repo.head() == commit
    files = git(repo.path, "ls-tree", "-r", "--name-only", commit).split("\n")
    assert f"{VC}/manifest.json" in files
    assert f"{VC}/vms/Prod/web01~vm-31.json" in files and f"{VC}/vms/Prod/web01~vm-32.json" in files
    assert (repo.path / VC / "vms/Prod/web01~vm-31.json").read_bytes() == canonical_bytes(snapshot.vms["vm-31"])
    assert git(repo.path, "status", "--porcelain") == ""
    assert git(repo.path, "log", "-1", "--format=%an <%ae>|%cn <%ce>|%ct", commit).strip() == (
        f"driftguard <driftguard@localhost>|driftguard <driftguard@localhost>|{int(NOW.timestamp())}"
    )
    message = git(repo.path, "log", "-1", "--format=%B", commit)
    assert message.startswith("vc01: first snapshot\n\nbody text\n\nDriftguard-Vcenter: vc01.example.com\n")
    assert repo.load() == snapshot


def test_history_parses_the_trailers(repo: StateRepo) -> None:
    snapshot = example_snapshot()
    first = repo.write_snapshot(snapshot, "first", summary={"items": 0}, now=NOW)
    second_snapshot = with_vm(snapshot, "vm-31", name="web01-renamed")
    second = repo.write_snapshot(
        second_snapshot, "second", trailers={"Driftguard-Run": "nightly"}, summary={"items": 1}, now=NOW
    )
    refs = repo.history(VC)
    assert [r.commit for r in refs] == [second, first]
    newest = refs[0]
    assert newest.subject == "second" and newest.vcenter == VC
    assert newest.started_at == snapshot.manifest.started_at and newest.collected_at == snapshot.manifest.finished_at
    assert newest.summary == {"items": 1}
    assert newest.objects == {"total": 8, "added": 0, "removed": 0, "changed": 1, "moved": 1}
    assert newest.trailers["Driftguard-Run"] == "nightly"
    assert newest.committed_at == NOW
    assert [r.commit for r in repo.history(VC, limit=1)] == [second]
    assert [r.commit for r in repo.history(None)] == [second, first]
    assert refs[1].objects == {"total": 8, "added": 8, "removed": 0, "changed": 0, "moved": 0}


def test_caller_cannot_forge_store_trailers(repo: StateRepo) -> None:
    for trailers in ({"Driftguard-Vcenter": "x"}, {"Signed-off-by": "x"}, {"Driftguard-Bad Key": "x"}):
        with pytest.raises(ValueError, match="trailer"):
            repo.write_snapshot(example_snapshot(), "x", trailers=trailers)
    assert repo.head() is None


def test_unchanged_objects_make_no_commit_and_record_verification(repo: StateRepo) -> None:
    snapshot = example_snapshot()
    first = repo.write_snapshot(snapshot, "first", now=NOW)
    assert first is not None
    assert repo.last_verified(first, VC) == datetime(2026, 1, 1, 3, 0, tzinfo=UTC)
    assert repo.write_snapshot(snapshot, "same again", now=NOW) is None
    assert repo.write_snapshot(later(snapshot, "2026-01-02T03:00:00+00:00"), "next night", now=NOW) is None
    assert repo.head() == first
    assert git(repo.path, "rev-list", "--count", "HEAD").strip() == "1"
    assert repo.last_verified("HEAD", VC) == datetime(2026, 1, 2, 3, 0, tzinfo=UTC)
    note = json.loads(git(repo.path, "notes", f"--ref={NOTES_REF}", "show", first))
    assert note == {VC: {"started_at": "2026-01-02T03:00:00+00:00", "finished_at": "2026-01-02T03:00:00+00:00"}}
    # An older run finishing late never moves the verification time back.
    assert repo.write_snapshot(later(snapshot, "2026-01-01T12:00:00+00:00"), "late", now=NOW) is None
    assert repo.last_verified("HEAD", VC) == datetime(2026, 1, 2, 3, 0, tzinfo=UTC)
    assert git(repo.path, "status", "--porcelain") == ""


def test_a_real_manifest_change_is_committed(repo: StateRepo) -> None:
    snapshot = example_snapshot()
    repo.write_snapshot(snapshot, "first", now=NOW)
    upgraded = later(snapshot, "2026-01-02T03:00:00+00:00", version="8.0.3")
    commit = repo.write_snapshot(upgraded, "vCenter upgraded", now=NOW)
    assert commit is not None
    assert repo.load().manifest.vcenter.version == "8.0.3"
    assert repo.history(VC)[0].objects == {"total": 8, "added": 0, "removed": 0, "changed": 0, "moved": 0}


def test_extra_files_are_stored_but_never_cause_a_commit(repo: StateRepo) -> None:
    snapshot = example_snapshot()
    first = repo.write_snapshot(snapshot, "first", extra_files={"history.json": b"{}\n"}, now=NOW)
    assert first is not None and repo.read_file(first, f"{VC}/history.json") == b"{}\n"
    assert repo.write_snapshot(snapshot, "again", extra_files={"history.json": b"[1]\n"}, now=NOW) is None
    second = repo.write_snapshot(with_vm(snapshot, "vm-33", power_state="poweredOff"), "off", now=NOW)
    assert second is not None
    assert repo.read_file(second, f"{VC}/history.json") is None  # per commit: replaced like every file
    assert repo.load(first) == snapshot
    for bad in ("manifest.json", "vms", "a/b", "..", ""):
        with pytest.raises(ValueError, match="extra file"):
            repo.write_snapshot(snapshot, "x", extra_files={bad: b""})


def test_incomplete_snapshot_is_refused(repo: StateRepo) -> None:
    snapshot = example_snapshot()
    repo.write_snapshot(snapshot, "first", now=NOW)
    before = repo_state(repo.path)
    manifest = snapshot.manifest.model_copy(update={"complete": False, "incomplete_reason": "timeout on host-22"})
    with pytest.raises(StoreError, match=r"incomplete snapshot of vc01\.example\.com: timeout on host-22"):
        repo.write_snapshot(snapshot.model_copy(update={"manifest": manifest}), "partial")
    assert repo_state(repo.path) == before


def test_rename_moves_the_file_and_keeps_identity(repo: StateRepo) -> None:
    snapshot = example_snapshot()
    repo.write_snapshot(snapshot, "first", now=NOW)
    renamed = with_vm(snapshot, "vm-31", name="web01/new")
    commit = repo.write_snapshot(renamed, "renamed", now=NOW)
    assert commit is not None
    files = git(repo.path, "ls-tree", "-r", "--name-only", commit)
    assert "web01~vm-31.json" not in files and "web01%2Fnew~vm-31.json" in files
    assert not (repo.path / VC / "vms/Prod/web01~vm-31.json").exists()
    assert (repo.path / VC / "vms/Prod/web01%2Fnew~vm-31.json").exists()
    items = checked_diff(repo.load(repo.previous_commit(commit, VC) or ""), repo.load(commit))
    assert [(i.change, i.path, i.old, i.new) for i in items] == [("renamed", "name", "web01", "web01/new")]


def test_moving_a_vm_out_of_the_cluster_removes_the_empty_directory(repo: StateRepo) -> None:
    snapshot = example_snapshot()
    repo.write_snapshot(snapshot, "first", now=NOW)
    alone = snapshot
    for vm_id in ("vm-31", "vm-32", "vm-33"):
        alone = with_vm(alone, vm_id, cluster=None)
    repo.write_snapshot(alone, "standalone", now=NOW)
    assert not (repo.path / VC / "vms" / "Prod").exists()
    assert len(list((repo.path / VC / "vms" / "_standalone").iterdir())) == 3
    assert git(repo.path, "status", "--porcelain") == ""


def test_several_vcenters_share_a_repo_and_baselines_are_untouched(repo: StateRepo) -> None:
    baseline = repo.path / "baselines" / "prod.yaml"
    baseline.parent.mkdir()
    baseline.write_text("rules: []\n")
    git(repo.path, "add", "baselines")
    git(repo.path, "-c", "user.name=t", "-c", "user.email=t@t", "commit", "-qm", "baseline")
    one, two = example_snapshot(), example_snapshot(vcenter="vc02")
    repo.write_snapshot(one, "one", now=NOW)
    repo.write_snapshot(two, "two", now=NOW)
    assert repo.vcenters() == ["vc01.example.com", "vc02"]
    with pytest.raises(StoreError, match="several vCenters"):
        repo.load()
    assert repo.load(vcenter="vc02") == two and repo.load(vcenter=VC) == one
    changed = with_vm(one, "vm-31", power_state="poweredOff")
    commit = committed(repo.write_snapshot(changed, "vc01 change", now=NOW))
    assert git(repo.path, "show", "--name-only", "--format=", commit).split() == [f"{VC}/vms/Prod/web01~vm-31.json"]
    assert baseline.read_text() == "rules: []\n"
    assert git(repo.path, "ls-tree", "-r", "--name-only", "HEAD", "baselines").strip() == "baselines/prod.yaml"
    assert repo.load(vcenter="vc02") == two


def test_user_changes_outside_the_vcenter_survive_a_write(repo: StateRepo) -> None:
    snapshot = example_snapshot()
    repo.write_snapshot(snapshot, "first", now=NOW)
    (repo.path / "notes.txt").write_text("draft\n")
    git(repo.path, "add", "notes.txt")
    repo.write_snapshot(with_vm(snapshot, "vm-31", power_state="poweredOff"), "change", now=NOW)
    assert git(repo.path, "status", "--porcelain") == "A  notes.txt\n"


def test_stale_and_conflicted_index_entries_under_the_vcenter_are_replaced(repo: StateRepo) -> None:
    snapshot = example_snapshot()
    repo.write_snapshot(snapshot, "first", now=NOW)
    path = f"{VC}/vms/Prod/web01~vm-31.json"
    blob = git(repo.path, "rev-parse", f"HEAD:{path}").strip()
    conflict = f"0 {'0' * 40}\t{path}\n100644 {blob} 1\t{path}\n100644 {blob} 2\t{path}\n"
    subprocess.run(["git", "-C", str(repo.path), "update-index", "--index-info"], input=conflict, text=True, check=True)
    (repo.path / VC / "stray.txt").write_text("x")
    git(repo.path, "add", f"{VC}/stray.txt")
    assert " 1\t" in git(repo.path, "ls-files", "-s", "--", path)
    commit = repo.write_snapshot(with_vm(snapshot, "vm-33", power_state="poweredOff"), "change", now=NOW)
    assert commit is not None
    assert git(repo.path, "ls-files", "-s", "--", path) == f"100644 {blob} 0\t{path}\n"
    assert git(repo.path, "status", "--porcelain") == f"?? {VC}/stray.txt\n"


def test_notes_go_to_the_state_commit_even_when_head_is_another_vcenter(repo: StateRepo) -> None:
    one, two = example_snapshot(), example_snapshot(vcenter="vc02")
    first = repo.write_snapshot(one, "one", now=NOW)
    second = repo.write_snapshot(two, "two", now=NOW)
    assert first is not None and second is not None
    assert repo.write_snapshot(later(one, "2026-01-03T03:00:00+00:00"), "again", now=NOW) is None
    assert repo.last_verified(second, VC) == datetime(2026, 1, 3, 3, 0, tzinfo=UTC)
    assert repo.last_verified(first, VC) == datetime(2026, 1, 3, 3, 0, tzinfo=UTC)
    assert repo.last_verified(second, "vc02") == datetime(2026, 1, 1, 3, 0, tzinfo=UTC)
    assert repo.last_verified(first, "vc02") is None
    assert repo.latest_commit(VC) == first and repo.latest_commit("vc02") == second


# -- atomicity (faults injected through a wrapping git runner, never by patching the store) -------------------


class Boom(RuntimeError):
    pass


Predicate = Callable[[list[str], Mapping[str, str]], bool]


class FlakyGit:
    """The real runner, except that the commands ``fails`` picks fail (or run ``before`` first)."""

    def __init__(
        self,
        fails: Predicate | None = None,
        *,
        raise_: BaseException | None = None,
        before: Callable[[], None] | None = None,
    ) -> None:
        self.real = SubprocessGit()
        self.fails = fails
        self.raise_ = raise_
        self.before = before
        self.seen: list[str] = []

    def __call__(
        self, args: Sequence[str], *, cwd: Path, stdin: bytes | None = None, env: Mapping[str, str] | None = None
    ) -> GitResult:
        command = [arg for arg in args if not arg.startswith("--literal")]
        if self.fails is not None and self.fails(command, env or {}):
            self.seen.append(command[0])
            if self.before is not None:
                self.before()
            elif self.raise_ is not None:
                raise self.raise_
            else:
                return GitResult(1, b"", f"fatal: injected {command[0]} failure".encode())
        return self.real(args, cwd=cwd, stdin=stdin, env=env)


def staged_index(env: Mapping[str, str]) -> bool:
    return env.get("GIT_INDEX_FILE", "").endswith("driftguard-tmp-index")


def renamed_three(snapshot: Snapshot) -> Snapshot:
    changed = snapshot
    for vm_id in ("vm-31", "vm-32", "vm-33"):
        memory = snapshot.vms[vm_id].memory.model_copy(update={"size_mb": 8192})
        changed = with_vm(changed, vm_id, name=f"{vm_id}-renamed", memory=memory)
    return changed


def test_failure_while_writing_the_worktree_leaves_everything_as_before(tmp_path: Path) -> None:
    snapshot = example_snapshot()
    with StateRepo.open(tmp_path / "state", create=True) as repo:
        repo.write_snapshot(snapshot, "first", now=NOW)
    path = tmp_path / "state"
    (path / VC / "clusters" / "DC1" / "Prod~domain-c7.json").write_text("locally edited\n")  # must survive
    # a real fault: a directory where the run must write a renamed file (forced past the local-edit check)
    (path / VC / "vms/Prod/vm-32-renamed~vm-32.json").mkdir(parents=True)
    (path / VC / "vms/Prod/vm-32-renamed~vm-32.json" / "keep").write_text("x")
    before = repo_state(path)
    with StateRepo.open(path) as repo, pytest.raises(StoreError, match="cannot write the work tree"):
        repo.write_snapshot(renamed_three(snapshot), "rename all", now=NOW, force=True)
    assert repo_state(path) == before
    assert not (path / ".git" / "index.lock").exists()
    assert not list(path.rglob(".driftguard-*"))
    shutil.rmtree(path / VC / "vms/Prod/vm-32-renamed~vm-32.json")
    git(path, "checkout", "--", ".")
    with StateRepo.open(path) as repo:
        assert repo.write_snapshot(renamed_three(snapshot), "rename all", now=NOW) is not None
        assert repo.load() == renamed_three(snapshot)
    assert git(path, "status", "--porcelain") == ""


@pytest.mark.parametrize("failing", ["update-ref", "update-index", "ls-files"])
def test_failure_of_a_git_step_after_the_commit_object_leaves_everything_as_before(
    tmp_path: Path, failing: str
) -> None:
    snapshot = example_snapshot()
    path = tmp_path / "state"
    with StateRepo.open(path, create=True) as repo:
        repo.write_snapshot(snapshot, "first", now=NOW)
    before = repo_state(path)
    # only the real index step (in the temporary copy of the index) or the ref update fails
    runner = FlakyGit(lambda args, env: args[0] == failing and (failing == "update-ref" or staged_index(env)))
    with StateRepo.open(path, runner=runner) as repo, pytest.raises(StoreError, match="injected"):
        repo.write_snapshot(with_vm(snapshot, "vm-31", name="moved", power_state="poweredOff"), "x", now=NOW)
    assert runner.seen == [failing]
    assert repo_state(path) == before


def test_an_interruption_after_the_files_were_swapped_rolls_back_completely(tmp_path: Path) -> None:
    snapshot = example_snapshot()
    path = tmp_path / "state"
    with StateRepo.open(path, create=True) as repo:
        repo.write_snapshot(snapshot, "first", now=NOW)
    before = repo_state(path)
    # Ctrl-C while git refreshes the new index: HEAD has moved and every file is already renamed into place
    runner = FlakyGit(lambda args, env: "--refresh" in args and staged_index(env), raise_=KeyboardInterrupt())
    with StateRepo.open(path, runner=runner) as repo, pytest.raises(KeyboardInterrupt):
        repo.write_snapshot(renamed_three(snapshot), "x", now=NOW)
    assert runner.seen == ["update-index"]
    assert repo_state(path) == before
    assert not list((path / ".git").glob("driftguard-*")) or [p.name for p in (path / ".git").glob("driftguard-*")] == [
        "driftguard.lock"
    ]


def test_head_moved_by_a_plumbing_writer_fails_the_compare_and_swap(tmp_path: Path) -> None:
    snapshot = example_snapshot()
    path = tmp_path / "state"
    with StateRepo.open(path, create=True) as repo:
        repo.write_snapshot(snapshot, "first", now=NOW)

    def race() -> None:
        # another process commits without taking the index lock, just before our compare-and-swap
        commit = git(
            path, "-c", "user.name=t", "-c", "user.email=t@t", "commit-tree", "HEAD^{tree}", "-p", "HEAD", "-m", "race"
        )
        git(path, "update-ref", "HEAD", commit.strip())

    runner = FlakyGit(lambda args, env: args[0] == "update-ref" and "HEAD" in args, before=race)
    runner.fails = lambda args, env: args[0] == "update-ref" and not runner.seen
    with StateRepo.open(path, runner=runner) as repo, pytest.raises(StoreError, match="update-ref"):
        repo.write_snapshot(with_vm(snapshot, "vm-31", power_state="poweredOff"), "x", now=NOW)
    assert git(path, "log", "-1", "--format=%s").strip() == "race"
    assert git(path, "status", "--porcelain") == ""


def test_a_commit_in_progress_is_waited_for_and_the_snapshot_lands_on_top(repo: StateRepo) -> None:
    snapshot = example_snapshot()
    repo.write_snapshot(snapshot, "first", now=NOW)
    (repo.path / "baselines").mkdir()
    (repo.path / "baselines" / "a.yaml").write_text("a: 0\n")
    git(repo.path, "add", "baselines/a.yaml")
    git(repo.path, "-c", "user.name=p", "-c", "user.email=p@p", "commit", "-q", "-m", "baseline")
    (repo.path / "baselines" / "a.yaml").write_text("a: 1\n")
    # a person's `git commit -a` holds .git/index.lock while their editor is open
    env = {**os.environ, "GIT_EDITOR": "sleep 1; :", "GIT_AUTHOR_NAME": "p", "GIT_AUTHOR_EMAIL": "p@p"}
    env.update(GIT_COMMITTER_NAME="p", GIT_COMMITTER_EMAIL="p@p")
    person = subprocess.Popen(["git", "-C", str(repo.path), "commit", "-q", "-a", "-e", "-m", "person"], env=env)
    try:
        while not (repo.path / ".git" / "index.lock").exists():
            assert person.poll() is None, "the person's commit ended before it was seen"
        commit = repo.write_snapshot(with_vm(snapshot, "vm-31", power_state="poweredOff"), "x", now=NOW)
    finally:
        assert person.wait() == 0
    assert commit is not None
    assert git(repo.path, "log", "--format=%s", "-2").split() == ["x", "person"]
    assert git(repo.path, "show", "HEAD:baselines/a.yaml") == "a: 1\n"
    assert git(repo.path, "status", "--porcelain") == ""


def test_local_edits_to_files_the_run_replaces_are_refused_unless_forced(repo: StateRepo) -> None:
    snapshot = example_snapshot()
    repo.write_snapshot(snapshot, "first", now=NOW)
    web01 = f"{VC}/vms/Prod/web01~vm-31.json"
    (repo.path / web01).write_text("my local edit\n")
    before = repo_state(repo.path)
    changed = with_vm(snapshot, "vm-31", power_state="poweredOff")
    with pytest.raises(LocalEditsError) as refused:
        repo.write_snapshot(changed, "x", now=NOW)
    assert str(refused.value) == (
        f"state repo {repo.path} has uncommitted local edits to 1 file(s) this run would replace: {web01} "
        "(commit or stash them, or force the write to overwrite them)"
    )
    assert repo_state(repo.path) == before
    git(repo.path, "checkout", "--", web01)
    # a staged edit would be dropped from the index when the run resets the vCenter's entries
    db01 = f"{VC}/vms/Prod/db01~vm-33.json"
    (repo.path / db01).write_text("staged edit\n")
    git(repo.path, "add", db01)
    git(repo.path, "checkout", "HEAD", "--", db01)
    (repo.path / db01).write_text("staged edit\n")
    git(repo.path, "add", db01)
    with pytest.raises(LocalEditsError, match="db01~vm-33"):
        repo.write_snapshot(changed, "x", now=NOW)
    git(repo.path, "reset", "-q", "--", db01)
    git(repo.path, "checkout", "--", db01)
    # an edit to a file the run does not replace is the user's business, and stays
    cluster = repo.path / VC / "clusters" / "DC1" / "Prod~domain-c7.json"
    cluster.write_text("my cluster notes\n")
    assert repo.write_snapshot(changed, "x", now=NOW) is not None
    assert cluster.read_text() == "my cluster notes\n"
    git(repo.path, "checkout", "--", str(cluster.relative_to(repo.path)))
    # forced: the edit is overwritten
    (repo.path / web01).write_text("my local edit\n")
    assert repo.write_snapshot(with_vm(changed, "vm-31", power_state="poweredOn"), "y", now=NOW, force=True)
    assert git(repo.path, "status", "--porcelain") == ""


def test_an_untracked_file_in_the_way_is_a_local_edit(repo: StateRepo) -> None:
    snapshot = example_snapshot()
    repo.write_snapshot(snapshot, "first", now=NOW)
    renamed = with_vm(snapshot, "vm-31", name="web99")
    (repo.path / VC / "vms/Prod/web99~vm-31.json").write_text("mine\n")
    with pytest.raises(LocalEditsError, match="web99~vm-31"):
        repo.write_snapshot(renamed, "x", now=NOW)
    assert (repo.path / VC / "vms/Prod/web99~vm-31.json").read_text() == "mine\n"


# -- locking ---------------------------------------------------------------------------------------------------


def test_a_second_writer_is_locked_out(repo: StateRepo) -> None:
    snapshot = example_snapshot()
    other = StateRepo.open(repo.path)
    try:
        with repo.lock():
            with pytest.raises(RepoLockedError) as locked:
                other.write_snapshot(snapshot, "second writer")
            assert str(locked.value) == (
                f"state repo {repo.path} is locked by pid {os.getpid()} "
                "(another driftguard is writing; run again when it has finished)"
            )
            assert repo.write_snapshot(snapshot, "holder may write", now=NOW) is not None  # re-entrant
        assert other.write_snapshot(later(snapshot, "2026-01-05T00:00:00+00:00"), "now free", now=NOW) is None
    finally:
        other.close()


def test_a_lock_file_left_by_a_dead_holder_does_not_block(repo: StateRepo) -> None:
    (repo.path / ".git" / "driftguard.lock").write_text("424242\nsomehost\n")
    assert repo.write_snapshot(example_snapshot(), "x", now=NOW) is not None


def test_a_lock_held_by_a_live_process_names_its_pid(repo: StateRepo) -> None:
    holder = subprocess.Popen(
        [sys.executable, "-c", HOLD_LOCK, str(repo.path / ".git" / "driftguard.lock")],
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        assert holder.stdout is not None and holder.stdout.readline().strip() == "locked"
        with pytest.raises(RepoLockedError, match=f"locked by pid {holder.pid} "):
            repo.write_snapshot(example_snapshot(), "x")
    finally:
        holder.kill()
        holder.wait()
        if holder.stdout is not None:
            holder.stdout.close()
    assert repo.write_snapshot(example_snapshot(), "x", now=NOW) is not None  # the OS dropped the dead holder's lock


HOLD_LOCK = """
import fcntl, os, sys, time
fd = os.open(sys.argv[1], os.O_RDWR | os.O_CREAT)
fcntl.flock(fd, fcntl.LOCK_EX)
os.ftruncate(fd, 0)
os.write(fd, f"{os.getpid()}\\n".encode())
print("locked", flush=True)
sys.stdin.read() if False else time.sleep(600)
"""


# -- reading ---------------------------------------------------------------------------------------------------


def test_load_reads_git_objects_not_the_worktree(repo: StateRepo) -> None:
    snapshot = example_snapshot()
    first = committed(repo.write_snapshot(snapshot, "first", now=NOW))
    second = committed(repo.write_snapshot(with_vm(snapshot, "vm-31", power_state="poweredOff"), "off", now=NOW))
    (repo.path / VC / "vms/Prod/web01~vm-31.json").write_text("garbage")
    assert repo.load(first) == snapshot
    assert repo.load("HEAD~1") == snapshot
    assert repo.load(second).vms["vm-31"].power_state == "poweredOff"
    assert repo.load("main").vms["vm-31"].power_state == "poweredOff"


def test_unknown_revisions(repo: StateRepo) -> None:
    repo.write_snapshot(example_snapshot(), "first", now=NOW)
    for rev in ("nope", "HEAD~5", "-x", "", "0" * 40):
        with pytest.raises(UnknownRevisionError, match="unknown revision") as unknown:
            repo.resolve(rev)
        assert "\n" not in str(unknown.value)
    with pytest.raises(UnknownRevisionError):
        repo.load("nope")
    assert repo.resolve("HEAD") == repo.head()


def test_object_hashes_are_blob_ids_of_canonical_bytes(repo: StateRepo) -> None:
    snapshot = example_snapshot()
    repo.write_snapshot(snapshot, "first", now=NOW)
    hashes = repo.object_hashes("HEAD", VC)
    assert hashes == {(obj.kind, obj.id): blob_id(canonical_bytes(obj)) for obj in snapshot.objects()}


def test_load_reports_a_corrupt_object_file(repo: StateRepo) -> None:
    repo.write_snapshot(example_snapshot(), "first", now=NOW)
    (repo.path / VC / "vms/Prod/web01~vm-31.json").write_text('{"id": "vm-31"}\n')
    git(repo.path, "-c", "user.name=t", "-c", "user.email=t@t", "commit", "-qam", "hand edit")
    with pytest.raises(StoreError, match=r"file vc01.example.com/vms/Prod/web01~vm-31.json .* is invalid") as bad:
        repo.load()
    assert "\n" not in str(bad.value)


def test_navigation_between_snapshot_commits(repo: StateRepo) -> None:
    snapshot = example_snapshot()
    first = committed(repo.write_snapshot(snapshot, "first", now=NOW))
    other = committed(repo.write_snapshot(example_snapshot(vcenter="vc02"), "other vcenter", now=NOW))
    second = committed(repo.write_snapshot(with_vm(snapshot, "vm-31", power_state="poweredOff"), "off", now=NOW))
    third = committed(repo.write_snapshot(with_vm(snapshot, "vm-31", power_state="suspended"), "suspended", now=NOW))
    assert repo.latest_commit(VC) == third
    assert repo.latest_commit(VC, other) == first
    assert repo.previous_commit(third, VC) == second
    assert repo.previous_commit(second, VC) == first
    assert repo.previous_commit(other, VC) is None  # vc01's state there is its first snapshot
    assert repo.commits_between(first, third, VC) == [second, third]
    assert repo.read_file(first, "nope/file") is None


def test_custom_author_and_bare_repos(tmp_path: Path) -> None:
    git(tmp_path, "init", "-q", "--bare", "-b", "main", "state.git")
    snapshot = example_snapshot()
    with StateRepo.open(tmp_path / "state.git") as bare:
        assert bare.bare
        commit = bare.write_snapshot(snapshot, "first", author=Signature("Alice", "alice@example.com"), now=NOW)
        assert commit is not None
        assert bare.load() == snapshot
        assert bare.write_snapshot(later(snapshot, "2026-02-01T00:00:00+00:00"), "again", now=NOW) is None
        assert bare.last_verified(commit, VC) == datetime(2026, 2, 1, tzinfo=UTC)
    assert git(tmp_path / "state.git", "log", "-1", "--format=%an <%ae>").strip() == "Alice <alice@example.com>"


# -- write_files (evidence and other non-snapshot files) ---------------------------------------------------------


def test_write_files_adds_and_updates_only_the_named_files(repo: StateRepo) -> None:
    repo.write_snapshot(example_snapshot(), "first", now=NOW)
    first = repo.write_files("evidence", {"evidence/vc/a.json": b"1\n", "evidence/vc/b.json": b"2\n"}, "two", now=NOW)
    assert first is not None
    assert repo.write_files("evidence", {"evidence/vc/a.json": b"1\n"}, "same", now=NOW) is None
    second = repo.write_files("evidence", {"evidence/vc/a.json": b"3\n"}, "update a", now=NOW)
    assert second is not None
    assert repo.read_file("HEAD", "evidence/vc/a.json") == b"3\n"
    assert repo.read_file("HEAD", "evidence/vc/b.json") == b"2\n"  # untouched, still there
    assert repo.load() == example_snapshot()
    assert git(repo.path, "status", "--porcelain") == ""


def test_write_files_refuses_paths_outside_its_directory(repo: StateRepo) -> None:
    with pytest.raises(StoreError, match="outside"):
        repo.write_files("evidence", {"evidence/../vc01/manifest.json": b"{}"}, "x", now=NOW)
    with pytest.raises(StoreError, match="outside"):
        repo.write_files("evidence", {"baselines/x.yaml": b"a: 1\n"}, "x", now=NOW)


def test_write_files_failure_leaves_everything_as_before(tmp_path: Path) -> None:
    path = tmp_path / "state"
    with StateRepo.open(path, create=True) as repo:
        repo.write_snapshot(example_snapshot(), "first", now=NOW)
        repo.write_files("evidence", {"evidence/vc/a.json": b"1\n"}, "one", now=NOW)
    before = repo_state(path)
    runner = FlakyGit(lambda args, env: args[0] == "update-ref")
    with StateRepo.open(path, runner=runner) as repo, pytest.raises(StoreError, match="injected"):
        repo.write_files("evidence", {"evidence/vc/a.json": b"2\n", "evidence/vc/new.json": b"3\n"}, "x", now=NOW)
    assert repo_state(path) == before
