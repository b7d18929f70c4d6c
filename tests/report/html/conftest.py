"""A state repo built once per module from the simulator (changes by several admins, one no event explains, a VM
renamed to markup, findings), its HTML report, and one headless Chromium (Debian's, driven by Playwright)."""

from __future__ import annotations

import os
import shutil
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from pyVmomi import vim

from tests.cli_runner import invoke
from tests.e2e.test_e2e import ALICE, AUDITOR, BOB, CAROL, SECRET
from tests.paths import ROOT
from tests.vcsim import scenario
from tests.vcsim.harness import start

CHROMIUM = Path("/usr/bin/chromium")
EVIL = "<img src=x onerror=alert(1)>"


@dataclass(frozen=True)
class Estate:
    repo: Path
    site: Path
    vms: list[str]
    hosts: list[str]
    output: str


def _snapshot(url: str, repo: Path) -> None:
    result = invoke("snapshot", "--vcenter", url, "--user", AUDITOR, "--repo", repo, password=SECRET)
    assert result.exit_code == 0, result.output


def rename_vm(url: str, user: str, old: str, new: str) -> None:
    with scenario.session(url, user) as si:
        vm = scenario._by_name(si, vim.VirtualMachine, old)
        scenario._wait(vm.Rename_Task(newName=new))


def add_serial_port(url: str, user: str, vm_name: str) -> None:
    """A serial port backed by a host device: a vMotion blocker (DG-VMOTION-001), so the report has findings."""
    with scenario.session(url, user) as si:
        vm = scenario._by_name(si, vim.VirtualMachine, vm_name)
        port = vim.vm.device.VirtualSerialPort(
            key=-1,
            backing=vim.vm.device.VirtualSerialPort.DeviceBackingInfo(deviceName="/dev/ttyS0"),
            connectable=vim.vm.device.VirtualDevice.ConnectInfo(connected=True, startConnected=True),
            yieldOnPoll=True,
        )
        change = vim.vm.device.VirtualDeviceSpec(operation="add", device=port)
        scenario._wait(vm.ReconfigVM_Task(spec=vim.vm.ConfigSpec(deviceChange=[change])))


@pytest.fixture(scope="module")
def estate(vcsim_binary: Path, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Estate]:
    base = tmp_path_factory.mktemp("html")
    repo = base / "state"
    mp = pytest.MonkeyPatch()
    # the module fixture runs outside the function-scoped identity fixture: pin git's identity here as well
    for var, value in {
        "GIT_AUTHOR_NAME": "driftguard tests",
        "GIT_AUTHOR_EMAIL": "tests@driftguard.invalid",
        "GIT_COMMITTER_NAME": "driftguard tests",
        "GIT_COMMITTER_EMAIL": "tests@driftguard.invalid",
        "GIT_CONFIG_NOSYSTEM": "1",
    }.items():
        mp.setenv(var, value)
    sim = start(vcsim_binary)
    try:
        url = sim.url
        _snapshot(url, repo)
        with scenario.session(url, AUDITOR) as si:
            vms = scenario.names(si, vim.VirtualMachine)
            hosts = scenario.names(si, vim.HostSystem)
        scenario.set_vm_cpus(url, ALICE, vms[0], 4)
        scenario.set_vm_memory(url, BOB, vms[1], 2048)
        scenario.add_portgroup(url, "root", hosts[0], "Shadow-DMZ", 66)  # no event: unattributed
        _snapshot(url, repo)
        rename_vm(url, CAROL, vms[2], EVIL)
        add_serial_port(url, BOB, EVIL)
        scenario.set_vm_cpus(url, ALICE, vms[0], 2)
        _snapshot(url, repo)
    finally:
        sim.stop()
    site = base / "site"
    result = invoke("report", "--repo", repo, "--html", site)
    assert result.exit_code == 0, result.output
    mp.undo()
    yield Estate(repo=repo, site=site, vms=vms, hosts=hosts, output=result.stdout)


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    from playwright.sync_api import sync_playwright

    assert CHROMIUM.exists(), "Debian's chromium is missing: run `make deps` (scripts/apt-ensure.sh chromium)"
    with sync_playwright() as pw:
        chromium = pw.chromium.launch(executable_path=str(CHROMIUM), args=["--no-sandbox"])
        try:
            yield chromium
        finally:
            chromium.close()


def artifacts() -> Path:
    """Where screenshots go: $DRIFTGUARD_ARTIFACTS, else .artifacts/ in the repository (git-ignored)."""
    path = Path(os.environ.get("DRIFTGUARD_ARTIFACTS") or ROOT / ".artifacts") / "html-report"
    path.mkdir(parents=True, exist_ok=True)
    return path


def keep(png: Path) -> None:
    """A copy under docs/img when DRIFTGUARD_UPDATE_SCREENSHOTS=1 (how the README's pictures are refreshed)."""
    if os.environ.get("DRIFTGUARD_UPDATE_SCREENSHOTS") == "1":
        shutil.copyfile(png, ROOT / "docs" / "img" / png.name)
