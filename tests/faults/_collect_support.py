"""Shared pieces of the collect fault families: a simulator behind a fault proxy, a state repo that already holds a
snapshot taken through that proxy (so every later run diffs, and so reads the event and task history too), and a
real ``python -m driftguard snapshot`` process against it."""

from __future__ import annotations

import contextlib
import os
import shutil
import subprocess
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from tests.faults._proxy import FaultProxy
from tests.faults.health import head
from tests.paths import ROOT
from tests.vcsim import scenario
from tests.vcsim.harness import Vcsim, start

REPO_ROOT = ROOT
PASSWORD = "pw-/#@:-never-printed"  # a test secret, with every character a URL parser trips on
USER = "VSPHERE.LOCAL\\driftguard-audit"
SAFETY_NET = 180.0
"""Subprocess timeout: only so that a hang fails the test instead of the suite; no assert is about time."""


@dataclass
class Run:
    returncode: int
    stdout: str
    stderr: str

    @property
    def error_line(self) -> str:
        lines = [line for line in self.stderr.splitlines() if line.startswith("driftguard: error:")]
        assert len(lines) == 1, self.stderr
        return lines[0]


def env() -> dict[str, str]:
    return {
        **os.environ,
        "PYTHONPATH": str(REPO_ROOT),
        "DRIFTGUARD_PASSWORD": PASSWORD,
        # One connection at a time: the faults are injected by request number, so the order must not vary.
        "DRIFTGUARD_PARALLEL": "1",
        "COLUMNS": "200",
        "NO_COLOR": "1",
        "TERM": "dumb",
    }


def run(args: list[str]) -> Run:
    result = subprocess.run(
        [sys.executable, *args], env=env(), capture_output=True, text=True, timeout=SAFETY_NET, check=False
    )
    return Run(result.returncode, result.stdout, result.stderr)


def snapshot(url: str, repo: Path, *extra: str) -> Run:
    """``python -m driftguard snapshot`` as a nightly job runs it."""
    return run(
        ["-m", "driftguard", "snapshot", "--vcenter", url, "--user", USER, "--repo", str(repo), "--insecure", *extra]
    )


def assert_secret_free(result: Run) -> None:
    for text in (result.stdout, result.stderr):
        assert PASSWORD not in text
        assert "vmware_soap_session" not in text


@dataclass
class Stage:
    sim: Vcsim
    proxy: FaultProxy
    baseline: Path
    """A state repo with one snapshot taken through the proxy; copy it before attacking it."""

    def repo(self, tmp_path: Path) -> tuple[Path, str | None]:
        """A fresh copy of the baseline repo for one test, and its HEAD."""
        target = tmp_path / "state"
        shutil.copytree(self.baseline, target, symlinks=True)
        return target, head(target)


@contextlib.contextmanager
def staged(vcsim_binary: Path, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Stage]:
    """Start the simulator and the proxy, take the baseline snapshot, then change a VM (the drift)."""
    sim = start(vcsim_binary)
    try:
        with FaultProxy(sim.url) as proxy:
            baseline = tmp_path_factory.mktemp("collect-faults") / "state"
            first = snapshot(proxy.url, baseline)
            assert first.returncode == 0, first.stderr
            # Drift after the baseline: every run from now on diffs, attributes and so reads the history too.
            scenario.set_vm_cpus(sim.url, "VSPHERE.LOCAL\\alice", "DC0_C0_H0_VM0", 4)
            proxy.reset()
            yield Stage(sim, proxy, baseline)
    finally:
        sim.stop()
