"""Fault family "entities" (issue 8, point 12): history that names objects of unexpected managed types.

Destroying a VM leaves a disk-deletion task in the history whose ``entity`` is the ``VirtualDiskManager``, not a
``ManagedEntity``. pyVmomi refused that answer with ``TypeError: For "entity" expected type vim.ManagedEntity, but
got vim.VirtualDiskManager``, so every later snapshot that read the history died with a traceback. Reproduced here
against the real simulator through pyVmomi: create a VM and destroy it (and destroy one of the preloaded VMs, so
there is drift to attribute), then snapshot, change something, snapshot again. The task is kept, its entity
recorded with the type the server sent.
"""

from __future__ import annotations

import os
import subprocess
import sys
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from pyVmomi import vim

from driftguard.collect import collect_history, connect
from tests.faults._collect_support import PASSWORD, REPO_ROOT, USER, assert_secret_free, snapshot
from tests.faults.health import assert_healthy, assert_no_traceback, head
from tests.vcsim import scenario
from tests.vcsim.harness import Vcsim

pytestmark = pytest.mark.vcsim

ADMIN = "VSPHERE.LOCAL\\alice"


def create_and_destroy_vm(url: str, name: str) -> None:
    with scenario.session(url, ADMIN) as si:
        cluster = scenario._by_name(si, vim.ClusterComputeResource, "DC0_C0")
        datacenter = scenario._by_name(si, vim.Datacenter, "DC0")
        spec = vim.vm.ConfigSpec(
            name=name,
            guestId="otherGuest64",
            numCPUs=1,
            memoryMB=128,
            files=vim.vm.FileInfo(vmPathName="[LocalDS_0]"),
        )
        vm = scenario._wait(datacenter.vmFolder.CreateVM_Task(config=spec, pool=cluster.resourcePool))
        scenario._wait(vm.Destroy_Task())


def destroy_vm(url: str, name: str) -> None:
    with scenario.session(url, ADMIN) as si:
        vm = scenario._by_name(si, vim.VirtualMachine, name)
        if vm.runtime.powerState == "poweredOn":
            scenario._wait(vm.PowerOffVM_Task())
        scenario._wait(vm.Destroy_Task())


def read_tasks(url: str) -> list[dict[str, Any]]:
    with connect(url, USER, PASSWORD) as session:
        history = collect_history(session, begin=datetime.now(UTC) - timedelta(days=1))
    return history["tasks"]


def test_history_with_foreign_entity_types_does_not_break_later_snapshots(vcsim: Vcsim, tmp_path: Path) -> None:
    repo = tmp_path / "state"
    first = snapshot(vcsim.url, repo)
    assert first.returncode == 0, first.stderr

    create_and_destroy_vm(vcsim.url, "dg-temporary")
    destroy_vm(vcsim.url, "DC0_C0_H0_VM0")

    # The history now holds a task on the VirtualDiskManager; it is kept, with the type the server named.
    tasks = read_tasks(vcsim.url)
    foreign = [t for t in tasks if t.get("entity", {}).get("type") == "VirtualDiskManager"]
    assert foreign, [t.get("entity") for t in tasks]
    assert all(t["entity"]["value"] for t in foreign)

    # Every later snapshot that reads the history succeeds: one after the destroy, one after another change.
    for change in (None, "cpus"):
        if change == "cpus":
            scenario.set_vm_cpus(vcsim.url, ADMIN, "DC0_C0_H1_VM0", 3)
        before = head(repo)
        later = snapshot(vcsim.url, repo)
        assert later.returncode == 0, later.stderr
        assert "committed" in later.stderr, later.stderr
        assert head(repo) != before
        assert_secret_free(later)
        assert_healthy(repo, before)
        assert_no_traceback(later.stdout, later.stderr)

    log = subprocess.run(
        ["git", "-C", str(repo), "log", "--format=%s"], capture_output=True, text=True, check=True
    ).stdout.splitlines()
    assert "1 attributed (alice)" in log[0], log  # the cpu change, attributed although the history has the task
    assert "alice" in log[1], log  # the destroyed VM


def test_diff_live_reads_the_same_history(vcsim: Vcsim, tmp_path: Path) -> None:
    """``diff --live`` (another path that reads the history) is unaffected too."""
    repo = tmp_path / "state"
    assert snapshot(vcsim.url, repo).returncode == 0
    create_and_destroy_vm(vcsim.url, "dg-temporary-2")
    destroy_vm(vcsim.url, "DC0_C0_H0_VM1")
    env = {**os.environ, "PYTHONPATH": str(REPO_ROOT), "DRIFTGUARD_PASSWORD": PASSWORD, "NO_COLOR": "1"}
    before = head(repo)
    result = subprocess.run(
        [
            sys.executable,
            "-m",
            "driftguard",
            "diff",
            "--live",
            "--vcenter",
            vcsim.url,
            "--user",
            USER,
            "--repo",
            str(repo),
            "--format",
            "json",
        ],
        env=env,
        capture_output=True,
        text=True,
        timeout=180,
        check=False,
    )
    assert result.returncode in (0, 1), result.stderr
    assert '"change": "removed"' in result.stdout, result.stdout
    assert_healthy(repo, before, allow_new_snapshot=False)
    assert_no_traceback(result.stdout, result.stderr)
