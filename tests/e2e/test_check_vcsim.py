"""Acceptance of the policy catalogue against the vCenter simulator, through the real command line: state is
changed through the vSphere API (ReconfigVM_Task, CreateSnapshot_Task, RelocateVM_Task,
ReconfigureComputeResource_Task with VM-host rules) and each change shows up in — and disappears from — the
findings of `driftguard check`."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import jsonschema
import pytest
from pyVmomi import vim

from tests.cli_runner import invoke
from tests.e2e.test_e2e import AUDITOR, snapshot
from tests.paths import DATA
from tests.vcsim import scenario

pytestmark = pytest.mark.vcsim

ALICE = "VSPHERE.LOCAL\\alice"
SARIF_SCHEMA = json.loads((DATA / "sarif-schema-2.1.0.json").read_text())


def check(repo: Path, *args: str) -> dict[str, Any]:
    result = invoke("check", "--repo", repo, "--format", "json", *args)
    assert result.exit_code == 0, result.output
    report: dict[str, Any] = json.loads(result.stdout)
    return report


def by_name(report: dict[str, Any], rule: str) -> dict[str, dict[str, Any]]:
    found: dict[str, dict[str, Any]] = {}
    for f in report["findings"]:
        if f["rule_id"] == rule:
            assert f["name"] not in found, f"two {rule} findings on {f['name']}"
            found[f["name"]] = f
    return found


def _find(si: Any, vimtype: Any, name: str) -> Any:
    return scenario._by_name(si, vimtype, name)


def add_serial_port(url: str, vm_name: str, device: str) -> None:
    with scenario.session(url, ALICE) as si:
        vm = _find(si, vim.VirtualMachine, vm_name)
        port = vim.vm.device.VirtualSerialPort(
            key=-1,
            backing=vim.vm.device.VirtualSerialPort.DeviceBackingInfo(deviceName=device),
            connectable=vim.vm.device.VirtualDevice.ConnectInfo(connected=True, startConnected=True),
            yieldOnPoll=True,
        )
        change = vim.vm.device.VirtualDeviceSpec(operation="add", device=port)
        scenario._wait(vm.ReconfigVM_Task(spec=vim.vm.ConfigSpec(deviceChange=[change])))


def remove_serial_ports(url: str, vm_name: str) -> None:
    with scenario.session(url, ALICE) as si:
        vm = _find(si, vim.VirtualMachine, vm_name)
        ports = [d for d in vm.config.hardware.device if isinstance(d, vim.vm.device.VirtualSerialPort)]
        changes = [vim.vm.device.VirtualDeviceSpec(operation="remove", device=d) for d in ports]
        scenario._wait(vm.ReconfigVM_Task(spec=vim.vm.ConfigSpec(deviceChange=changes)))


def create_snapshot(url: str, vm_name: str, name: str) -> None:
    with scenario.session(url, ALICE) as si:
        vm = _find(si, vim.VirtualMachine, vm_name)
        scenario._wait(vm.CreateSnapshot_Task(name=name, description="before patching", memory=False, quiesce=False))


def remove_snapshots(url: str, vm_name: str) -> None:
    with scenario.session(url, ALICE) as si:
        vm = _find(si, vim.VirtualMachine, vm_name)
        scenario._wait(vm.RemoveAllSnapshots_Task())


def relocate(url: str, vm_name: str, host_name: str) -> None:
    with scenario.session(url, ALICE) as si:
        vm = _find(si, vim.VirtualMachine, vm_name)
        host = _find(si, vim.HostSystem, host_name)
        scenario._wait(vm.RelocateVM_Task(spec=vim.vm.RelocateSpec(host=host)))


def keep_zones_apart(
    url: str, cluster_name: str, dmz_vms: list[str], prod_vms: list[str], dmz_hosts: list[str]
) -> None:
    """Mandatory VM-host rules: DMZ VMs must run on the DMZ hosts, production VMs must not."""
    with scenario.session(url, ALICE) as si:
        cluster = _find(si, vim.ClusterComputeResource, cluster_name)
        groups = [
            vim.cluster.GroupSpec(
                operation="add",
                info=vim.cluster.VmGroup(name="dmz-vms", vm=[_find(si, vim.VirtualMachine, n) for n in dmz_vms]),
            ),
            vim.cluster.GroupSpec(
                operation="add",
                info=vim.cluster.VmGroup(name="prod-vms", vm=[_find(si, vim.VirtualMachine, n) for n in prod_vms]),
            ),
            vim.cluster.GroupSpec(
                operation="add",
                info=vim.cluster.HostGroup(name="dmz-hosts", host=[_find(si, vim.HostSystem, n) for n in dmz_hosts]),
            ),
        ]
        rules = [
            vim.cluster.RuleSpec(
                operation="add",
                info=vim.cluster.VmHostRuleInfo(
                    name="dmz-stays-on-dmz-hosts",
                    enabled=True,
                    mandatory=True,
                    vmGroupName="dmz-vms",
                    affineHostGroupName="dmz-hosts",
                ),
            ),
            vim.cluster.RuleSpec(
                operation="add",
                info=vim.cluster.VmHostRuleInfo(
                    name="production-never-on-dmz-hosts",
                    enabled=True,
                    mandatory=True,
                    vmGroupName="prod-vms",
                    antiAffineHostGroupName="dmz-hosts",
                ),
            ),
        ]
        spec = vim.cluster.ConfigSpecEx(groupSpec=groups, rulesSpec=rules)
        scenario._wait(cluster.ReconfigureComputeResource_Task(spec=spec, modify=True))


def test_blockers_and_zone_commingling_appear_and_clear(vcsim: Any, tmp_path: Path) -> None:
    repo = tmp_path / "state"
    assert snapshot(vcsim.url, repo).exit_code == 0
    with scenario.session(vcsim.url, AUDITOR) as si:
        vms = scenario.names(si, vim.VirtualMachine)
    serial_vm, snap_vm, dmz_vm, prod_vm = "DC0_C0_H0_VM1", "DC0_C0_H1_VM0", "DC0_C0_H0_VM0", "DC0_C0_H2_VM0"
    (repo / "zones.yaml").write_text(f"zones:\n  dmz:\n    vms: [{dmz_vm}]\n  production:\n    vms: [{prod_vm}]\n")

    # The default inventory: every VM has a connected host CD-ROM, so every VM has a vMotion-blocker finding.
    baseline = check(repo)
    blockers = by_name(baseline, "DG-VMOTION-001")
    assert sorted(blockers) == vms
    assert all("CD-ROM" in f["message"] and "connected to host device" in f["message"] for f in blockers.values())
    assert not by_name(baseline, "DG-VMOTION-002") and not by_name(baseline, "DG-ZONE-001")

    add_serial_port(vcsim.url, serial_vm, "/dev/ttyS0")
    create_snapshot(vcsim.url, snap_vm, "before-patch")
    relocate(vcsim.url, prod_vm, "DC0_C0_H0")
    assert snapshot(vcsim.url, repo).exit_code == 0
    changed = check(repo)
    serial = by_name(changed, "DG-VMOTION-001")[serial_vm]
    assert (
        "serial port (serialport-" in serial["message"]
        and "/dev/ttyS0" in serial["message"]
        and "CD-ROM" in serial["message"]
    )
    assert list(by_name(changed, "DG-VMOTION-002")) == [snap_vm]
    assert "1 snapshot (before-patch)" in by_name(changed, "DG-VMOTION-002")[snap_vm]["message"]
    (zone,) = by_name(changed, "DG-ZONE-001").values()
    assert zone["name"] == "DC0_C0_H0" and zone["kind"] == "host"
    assert f"dmz ({dmz_vm}) and production ({prod_vm})" in zone["message"]
    assert zone["location"].startswith("127.0.0.1_") and (repo / zone["location"]).is_file()
    remove_serial_ports(vcsim.url, serial_vm)
    remove_snapshots(vcsim.url, snap_vm)
    relocate(vcsim.url, prod_vm, "DC0_C0_H2")
    assert snapshot(vcsim.url, repo).exit_code == 0
    cleared = check(repo)
    assert "serial port" not in by_name(cleared, "DG-VMOTION-001")[serial_vm]["message"]
    assert not by_name(cleared, "DG-VMOTION-002") and not by_name(cleared, "DG-ZONE-001")
    # The blocker findings keep their fingerprints across snapshots: code scanning tracks them.
    assert {f["fingerprint"] for f in by_name(cleared, "DG-VMOTION-001").values()} == {
        f["fingerprint"] for f in blockers.values()
    }


def test_failover_commingling_and_vm_host_rules(vcsim_factory: Any, tmp_path: Path) -> None:
    sim = vcsim_factory(clusters=1, hosts=2, vms=2, standalone_hosts=0)
    repo = tmp_path / "state"
    assert snapshot(sim.url, repo).exit_code == 0
    dmz_vms, prod_vms = ["DC0_C0_H0_VM0", "DC0_C0_H0_VM1"], ["DC0_C0_H1_VM0", "DC0_C0_H1_VM1"]
    (repo / "zones.yaml").write_text(
        "zones:\n  dmz:\n    vms: ['DC0_C0_H0_*']\n    hosts: [DC0_C0_H0]\n  production:\n    vms: ['DC0_C0_H1_*']\n"
    )
    report = check(repo, "--rules", "failover-commingling")
    found = by_name(report, "DG-ZONE-004")
    assert sorted(found) == sorted(dmz_vms + prod_vms)
    for name in dmz_vms:
        message = found[name]["message"]
        assert f"if DC0_C0_H0 fails, HA may restart {name} (dmz) on DC0_C0_H1 next to production VMs" in message
        assert "DC0_C0_H1_VM0" in message

    keep_zones_apart(sim.url, "DC0_C0", dmz_vms, prod_vms, ["DC0_C0_H0"])
    assert snapshot(sim.url, repo).exit_code == 0
    apart = check(repo, "--rules", "failover-commingling")
    assert by_name(apart, "DG-ZONE-004") == {}

    # --fail-on: the HA/network rules of the default preload raise high findings; the blocker rule alone does not.
    assert invoke("check", "--repo", repo, "--fail-on", "high").exit_code == 1
    assert invoke("check", "--repo", repo, "--rules", "DG-VMOTION-001", "--fail-on", "high").exit_code == 0
    sarif = invoke("check", "--repo", repo, "--format", "sarif")
    assert sarif.exit_code == 0
    jsonschema.Draft4Validator(SARIF_SCHEMA).validate(json.loads(sarif.stdout))


def test_live_check_sees_changes_not_yet_snapshotted(vcsim: Any, tmp_path: Path) -> None:
    repo = tmp_path / "state"
    assert snapshot(vcsim.url, repo).exit_code == 0
    create_snapshot(vcsim.url, "DC0_C0_H0_VM0", "live-one")
    result = invoke(
        "check",
        "--live",
        "--repo",
        repo,
        "--vcenter",
        vcsim.url,
        "--user",
        AUDITOR,
        "--format",
        "json",
        "--rules",
        "DG-VMOTION-002",
    )
    assert result.exit_code == 0, result.output
    report = json.loads(result.stdout)
    assert report["target"]["ref"] == "live"
    assert list(by_name(report, "DG-VMOTION-002")) == ["DC0_C0_H0_VM0"]
