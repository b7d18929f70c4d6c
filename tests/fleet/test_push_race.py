"""The racing-push acceptance test: 8 snapshots of 4 vCenters, each vCenter from its own clone, as real
`python -m driftguard snapshot --push` processes started together into one bare remote. No commit is lost, the
remote is sound (git fsck), and the losers of each race rebase and land."""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

from driftguard import api
from driftguard.api import vcenter_name
from tests.paths import ROOT
from tests.vcsim import scenario
from tests.vcsim.harness import Vcsim

USER = "VSPHERE.LOCAL\\fleet-audit"


def git(path: Path, *args: str) -> str:
    return subprocess.run(["git", "-C", str(path), *args], check=True, capture_output=True, text=True).stdout


def env() -> dict[str, str]:
    base = {k: v for k, v in os.environ.items() if not k.startswith("DRIFTGUARD_")}
    return {**base, "PYTHONPATH": str(ROOT), "DRIFTGUARD_PASSWORD": "race", "NO_COLOR": "1", "TERM": "dumb"}


def race(clones: list[Path], sims: list[Vcsim]) -> list[subprocess.CompletedProcess[str]]:
    """One `snapshot --push` per clone, all started before any is waited for."""
    started = [
        subprocess.Popen(
            [
                sys.executable,
                "-m",
                "driftguard",
                "snapshot",
                "--vcenter",
                sim.url,
                "--user",
                USER,
                "--repo",
                str(path),
                "--push",
                "--wait",
                "60",
            ],
            env=env(),
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        for path, sim in zip(clones, sims, strict=True)
    ]
    done = []
    for process in started:
        out, err = process.communicate(timeout=300)
        done.append(subprocess.CompletedProcess(process.args, process.returncode, out, err))
    return done


def test_eight_snapshots_of_four_vcenters_race_into_one_remote(
    vcsim_factory: Callable[..., Vcsim], tmp_path: Path
) -> None:
    remote = tmp_path / "remote.git"
    subprocess.run(["git", "init", "-q", "--bare", "-b", "main", str(remote)], check=True)
    seed = tmp_path / "seed"
    subprocess.run(["git", "clone", "-q", str(remote), str(seed)], check=True, capture_output=True)
    (seed / "driftguard.yaml").write_text("version: 1\n")
    git(seed, "add", "driftguard.yaml")
    git(seed, "commit", "-q", "-m", "driftguard.yaml")
    git(seed, "push", "-q", "origin", "HEAD:main")
    sims = [vcsim_factory(clusters=1, hosts=1, standalone_hosts=0, vms=1) for _ in range(4)]
    clones = []
    for i in range(4):
        clones.append(tmp_path / f"clone{i}")
        subprocess.run(["git", "clone", "-q", str(remote), str(clones[-1])], check=True, capture_output=True)

    first = race(clones, sims)
    for sim in sims:
        scenario.set_vm_cpus(sim.url, "VSPHERE.LOCAL\\alice", "DC0_C0_H0_VM0", 4)
    second = race(clones, sims)

    runs = first + second
    assert [r.returncode for r in runs] == [0] * 8, "\n".join(r.stderr for r in runs)
    assert sum("rebased onto commits pushed meanwhile" in r.stderr for r in first) >= 3  # all cloned the seed
    subjects = git(remote, "log", "--format=%s", "main").splitlines()
    assert len(subjects) == 9 and subjects[-1] == "driftguard.yaml"
    for sim in sims:
        directory = vcenter_name(sim.url)
        assert len(git(remote, "log", "--format=%H", "main", "--", f"{directory}/").split()) == 2
    assert subprocess.run(["git", "-C", str(remote), "fsck", "--strict"], capture_output=True).returncode == 0
    check = tmp_path / "check"
    subprocess.run(["git", "clone", "-q", str(remote), str(check)], check=True, capture_output=True)
    for sim in sims:  # each vCenter's second snapshot diffs against its first: nothing lost, nothing mixed
        report = api.diff(check, vcenter=vcenter_name(sim.url))
        assert [(i.vcenter, i.path, i.new) for i in report.items if i.path == "cpu.count"] == [
            (vcenter_name(sim.url), "cpu.count", 4)
        ]
