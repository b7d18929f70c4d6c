"""Git-native diff: which objects changed comes from git, and only those are read and compared.

``stored_drift`` takes the changed paths from ``git diff-tree`` of the two commits; the snapshot flow compares the
git blob ids of the fresh serialisation with the stored tree (``Side.partial``). Both must give exactly the drift
of the whole-snapshot comparison (property tests through real git), and must not read the blobs of unchanged
objects (a runner that records what ``git cat-file --batch`` is asked for).
"""

from __future__ import annotations

import json
import tempfile
from collections.abc import Mapping, Sequence
from datetime import UTC, datetime
from pathlib import Path

from hypothesis import given, settings

from driftguard.api.baselines import in_force_at
from driftguard.api.drift import DriftOptions, Side, drift_between, latest, stored_drift, stored_history
from driftguard.models import VM, History, Snapshot
from driftguard.store import GitResult, StateRepo, SubprocessGit
from tests import paths
from tests.strategies import snapshot_pairs

LATER = datetime(2026, 1, 2, 3, 0, tzinfo=UTC)
GOLDEN = paths.FIXTURES / "normalize" / "snapshot" / "vcsim-default.json"


class RecordingGit:
    """The real git runner, noting every blob asked of ``git cat-file --batch``."""

    def __init__(self) -> None:
        self.git = SubprocessGit()
        self.read: list[str] = []

    def __call__(
        self, args: Sequence[str], *, cwd: Path, stdin: bytes | None = None, env: Mapping[str, str] | None = None
    ) -> GitResult:
        if "cat-file" in args and "--batch" in args and stdin:
            self.read += stdin.decode().split()
        return self.git(args, cwd=cwd, stdin=stdin, env=env)


def _same_vcenter(old: Snapshot, new: Snapshot) -> Snapshot:
    manifest = old.manifest.model_copy(
        update={"counts": new.manifest.counts, "unknowns": new.manifest.unknowns, "started_at": LATER}
    )
    return new.model_copy(update={"manifest": manifest})


def _whole_drift(repo: StateRepo, name: str, old_commit: str, new_commit: str) -> list[object]:
    """What ``stored_drift`` computed before: both whole snapshots through the same pipeline."""
    old = Side(old_commit, repo.load(old_commit, name))
    options = DriftOptions(in_force=in_force_at(repo, new_commit), always_history=True)
    source = lambda _: stored_history(repo, name, old_commit, new_commit)  # noqa: E731
    return list(drift_between(repo, old, repo.load(new_commit, name), source, options).items)


@settings(max_examples=15, deadline=None)
@given(snapshot_pairs())
def test_stored_drift_equals_the_whole_snapshot_drift(pair: tuple[Snapshot, Snapshot]) -> None:
    old, new = pair[0], _same_vcenter(*pair)
    name = old.manifest.vcenter.name
    with tempfile.TemporaryDirectory() as tmp:
        repo = StateRepo.open(Path(tmp) / "state", create=True)
        first = repo.write_snapshot(old, "old")
        assert first is not None
        second = repo.write_snapshot(new, "new") or first
        drift = stored_drift(repo, name, first, second, ())
        assert drift.items == _whole_drift(repo, name, first, second)
        assert drift.target == repo.load(second, name)


@settings(max_examples=15, deadline=None)
@given(snapshot_pairs())
def test_partial_previous_side_equals_the_whole_one(pair: tuple[Snapshot, Snapshot]) -> None:
    old, new = pair[0], _same_vcenter(*pair)
    name = old.manifest.vcenter.name
    no_history = lambda span: History(begin=span[0], end=span[1])  # noqa: E731
    with tempfile.TemporaryDirectory() as tmp:
        repo = StateRepo.open(Path(tmp) / "state", create=True)
        repo.write_snapshot(old, "old")
        partial, whole = latest(repo, name, partial=True), latest(repo, name)
        assert partial is not None and whole is not None and partial.partial
        fast = drift_between(repo, partial, new, no_history, DriftOptions())
        slow = drift_between(repo, whole, new, no_history, DriftOptions())
        assert fast.items == slow.items
        assert fast.new == slow.new  # what the snapshot flow commits: whole, aligned alike
        assert fast.target == new


def _estate(vms: int) -> Snapshot:
    """The simulator's golden snapshot with ``vms`` more copies of its first VM."""
    snapshot = Snapshot.model_validate(json.loads(GOLDEN.read_text(encoding="utf-8"))["expected"])
    template = next(iter(snapshot.vms.values()))
    extra = {f"vm-9{i:03}": template.model_copy(update={"id": f"vm-9{i:03}", "name": f"app{i:03}"}) for i in range(vms)}
    return snapshot.model_copy(update={"vms": {**snapshot.vms, **extra}}).with_counts()


def _changed(snapshot: Snapshot, vm_id: str) -> Snapshot:
    vm: VM = snapshot.vms[vm_id]
    memory = vm.memory.model_copy(update={"size_mb": (vm.memory.size_mb or 0) + 1024})
    manifest = snapshot.manifest.model_copy(update={"started_at": LATER})
    return snapshot.model_copy(
        update={"vms": {**snapshot.vms, vm_id: vm.model_copy(update={"memory": memory})}}
    ).model_copy(update={"manifest": manifest})


def _allowed(repo: StateRepo, commits: Sequence[str], name: str, vm_id: str) -> set[str]:
    """Blobs a diff of one changed VM may read: that VM's, the clusters', the manifests and extra files."""
    allowed: set[str] = set()
    for commit in commits:
        for (kind, oid), blob in repo.object_hashes(commit, name).items():
            if kind == "cluster" or oid == vm_id:
                allowed.add(blob)
        tops = [line.split()[2] for line in repo.git.run("ls-tree", commit, "--", "127.0.0.1/")[1].splitlines()]
        allowed.update(tops)
    return allowed


def test_stored_drift_reads_only_the_changed_objects(tmp_path: Path) -> None:
    runner = RecordingGit()
    repo = StateRepo.open(tmp_path / "state", create=True, runner=runner)
    old = _estate(60)
    first = repo.write_snapshot(old, "old")
    second = repo.write_snapshot(_changed(old, "vm-9007"), "new")
    assert first and second
    runner.read.clear()
    drift = stored_drift(repo, "127.0.0.1", first, second, ())
    assert [(item.id, item.path) for item in drift.items] == [("vm-9007", "memory.size_mb")]
    assert runner.read and set(runner.read) <= _allowed(repo, [first, second], "127.0.0.1", "vm-9007")
    runner.read.clear()
    assert len(drift.target.vms) == 62  # the whole newer snapshot, read when asked for
    assert len(set(runner.read)) > 60


def test_a_snapshot_run_reads_only_the_objects_whose_bytes_differ(tmp_path: Path) -> None:
    runner = RecordingGit()
    repo = StateRepo.open(tmp_path / "state", create=True, runner=runner)
    old = _estate(60)
    first = repo.write_snapshot(old, "old")
    assert first
    no_history = lambda span: History(begin=span[0], end=span[1])  # noqa: E731
    for new, vm_id, expected in ((old, "none", []), (_changed(old, "vm-9011"), "vm-9011", ["vm-9011"])):
        runner.read.clear()
        previous = latest(repo, "127.0.0.1", partial=True)
        assert previous is not None
        drift = drift_between(repo, previous, new, no_history, DriftOptions())
        assert [item.id for item in drift.items] == expected
        assert set(runner.read) <= _allowed(repo, [first], "127.0.0.1", vm_id)
        assert len(set(runner.read)) <= 1 + len(old.clusters) + (vm_id != "none")
