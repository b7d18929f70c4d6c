"""Issue 12: a VM whose answer and surroundings are last run's is not decoded again (driftguard.api.reuse).

Against the simulator: what a snapshot with reuse commits must be exactly what a full read commits (the control
is a clone of the same state repo, which has no cache, snapshotting the same simulator at the same moment), and
anything doubtful about the cache means a full read."""

from __future__ import annotations

import json
import subprocess
from pathlib import Path
from typing import Any

import pytest
from pydantic import SecretStr

from driftguard import api
from driftguard.api.snapshots import SnapshotResult
from driftguard.store import vcenter_dir
from tests.vcsim import scenario

pytestmark = pytest.mark.vcsim


def _snapshot(url: str, repo: Path) -> SnapshotResult:
    return api.snapshot(api.Connection(url=url, user="auditor", password=SecretStr("x")), repo)


def _git(repo: Path, *args: str) -> str:
    return subprocess.run(["git", "-C", str(repo), *args], capture_output=True, text=True, check=True).stdout.strip()


def _cache(repo: Path, result: SnapshotResult) -> Path:
    return repo / ".git" / "driftguard-cache" / f"{vcenter_dir(result.snapshot.manifest.vcenter.name)}.json"


def _against_a_full_read(url: str, repo: Path, tmp_path: Path, name: str) -> tuple[SnapshotResult, SnapshotResult]:
    """The next snapshot into ``repo`` (with its cache) and into a fresh clone of it (none), side by side."""
    control = tmp_path / name
    subprocess.run(["git", "clone", "-q", str(repo), str(control)], check=True)
    assert not (control / ".git" / "driftguard-cache").exists()
    reused, full = _snapshot(url, repo), _snapshot(url, control)
    assert full.reused == 0
    directory = vcenter_dir(reused.snapshot.manifest.vcenter.name)
    assert _git(repo, "rev-parse", f"HEAD:{directory}/vms") == _git(control, "rev-parse", f"HEAD:{directory}/vms")
    assert _git(repo, "status", "--porcelain") == ""
    assert (reused.commit is None) == (full.commit is None)
    # every object, a skipped VM read back from its stored blob included, is the decoded one (times differ)
    for kind in ("clusters", "hosts", "vms", "dvswitches", "datastores"):
        assert getattr(reused.snapshot, kind) == getattr(full.snapshot, kind), kind
    assert reused.snapshot.manifest.counts == full.snapshot.manifest.counts
    # the same drift (who is named may differ: a clone has no verification notes, so its window is longer)
    changes = [(i.kind, i.id, i.path, i.old, i.new) for i in reused.report.items] if reused.report else None
    assert changes == ([(i.kind, i.id, i.path, i.old, i.new) for i in full.report.items] if full.report else None)
    return reused, full


def test_unchanged_vms_are_skipped_and_the_result_is_a_full_reads(vcsim: Any, tmp_path: Path) -> None:
    repo = tmp_path / "state"
    first = _snapshot(vcsim.url, repo)
    vms = len(first.snapshot.vms)
    assert first.reused == 0 and vms >= 4
    cache = json.loads(_cache(repo, first).read_text())
    assert cache["commit"] == first.commit and len(cache["vms"]) == vms

    second, _ = _against_a_full_read(vcsim.url, repo, tmp_path, "control-2")
    assert second.reused == vms and second.commit is None

    changed = sorted(vm.name for vm in first.snapshot.vms.values())[0]
    scenario.set_vm_memory(vcsim.url, "alice", changed, 3072)
    third, _ = _against_a_full_read(vcsim.url, repo, tmp_path, "control-3")
    assert third.reused == vms - 1 and third.commit is not None
    assert third.report is not None and {item.name for item in third.report.items} == {changed}

    # a change around the VMs (a new portgroup on a host): nothing is skipped, the files are still a full read's
    host = sorted(h.name for h in first.snapshot.hosts.values())[0]
    scenario.add_portgroup(vcsim.url, "bob", host, "reuse-test-pg", 42)
    fourth, _ = _against_a_full_read(vcsim.url, repo, tmp_path, "control-4")
    assert fourth.reused == 0 and fourth.commit is not None


@pytest.mark.parametrize("damage", ["garbage", "other-code", "other-commit", "wrong-blob", "switched-off"])
def test_a_doubtful_cache_means_a_full_read(
    vcsim: Any, tmp_path: Path, damage: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    repo = tmp_path / "state"
    first = _snapshot(vcsim.url, repo)
    path = _cache(repo, first)
    cache = json.loads(path.read_text())
    if damage == "garbage":
        path.write_bytes(b"\x00{not json")
    elif damage == "other-code":
        path.write_text(json.dumps({**cache, "code": "0" * 64}))
    elif damage == "other-commit":
        path.write_text(json.dumps({**cache, "commit": "0" * 40}))
    elif damage == "wrong-blob":  # the cache names a blob the commit does not hold for that VM
        cache["vms"] = {moref: [entry[0], "0" * 40, *entry[2:]] for moref, entry in cache["vms"].items()}
        path.write_text(json.dumps(cache))
    else:
        monkeypatch.setenv("DRIFTGUARD_REUSE", "0")
    again = _snapshot(vcsim.url, repo)
    assert again.reused == 0 and again.commit is None
    assert again.snapshot.vms == first.snapshot.vms


def test_the_snapshot_command_says_how_many_vms_it_did_not_decode(vcsim: Any, tmp_path: Path) -> None:
    from tests.cli_runner import invoke
    from tests.e2e.test_e2e import AUDITOR, SECRET

    repo = tmp_path / "state"
    args = ("snapshot", "--vcenter", vcsim.url, "--user", AUDITOR, "--repo", repo)
    first = invoke(*args, password=SECRET)
    assert first.exit_code == 0, first.output
    assert "not decoded" not in first.stderr
    second = invoke(*args, password=SECRET)
    assert second.exit_code == 0, second.output
    line = next(line for line in second.stderr.splitlines() if "not decoded" in line)
    vms = json.loads(_cache_of(repo).read_text())["vms"]
    assert line == f"{len(vms)} VMs answered as at the last snapshot: not decoded again"


def _cache_of(repo: Path) -> Path:
    (found,) = (repo / ".git" / "driftguard-cache").glob("*.json")
    return found
