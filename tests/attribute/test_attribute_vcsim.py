"""Attribution on real simulator history: alice and bob change VMs, collect reads the history, we explain it.

The simulator stamps each event with the session's user (reference gotcha G5), posts VmReconfiguredEvent with the
full configSpec but no configChanges, posts power events, and keeps tasks only in ``recentTask`` with the user
``vcsim`` and no event chain. So the events carry the attribution, and each task joins the event it posted.

Depends on the exact format of text we wrote: the ``ClusterReconfiguredEvent.configChanges`` here comes from our
simulator extension (``tests/vcsim/changes.go``, ``configurationEx.…`` spelling; tests/vcsim/README.md), not from a
vCenter. The same behaviour on real payloads and real spellings: ``tests/attribute/test_attribute_real.py``.
"""

from __future__ import annotations

import time
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from pyVim.task import WaitForTask
from pyVmomi import vim

from driftguard.attribute import attribute
from driftguard.collect import collect_history, connect
from driftguard.models import (
    VM,
    Change,
    Cluster,
    Device,
    DriftItem,
    DRSConfig,
    DrsRule,
    History,
    Manifest,
    Snapshot,
    VCenterInfo,
)
from driftguard.normalize.events import normalize_history
from tests.vcsim.harness import Vcsim
from tests.vcsim.scenario import PASSWORD, session

ALICE = "VSPHERE.LOCAL\\alice"
BOB = "VSPHERE.LOCAL\\bob"

pytestmark = pytest.mark.vcsim


def _vms(si: Any) -> list[Any]:
    content = si.RetrieveContent()
    view = content.viewManager.CreateContainerView(content.rootFolder, [vim.VirtualMachine], True)
    try:
        return sorted(view.view, key=lambda vm: vm.name)
    finally:
        view.Destroy()


def _item(object_id: str, path: str, old: Any, new: Any, *, kind: str = "vm", change: Change = "modified") -> DriftItem:
    return DriftItem(
        vcenter="sim", kind=kind, id=object_id, name=object_id, change=change, path=path, old=old, new=new,
        category="test", severity="low",
    )  # fmt: skip


def run_scenario(url: str) -> tuple[History, dict[str, Any], tuple[datetime, datetime]]:
    """Alice sizes VM 0 up and mounts an ISO on it; bob masks a CPU feature on VM 1 and powers it off, then
    changes an HA isolation address, turns admission control off, adds an HA override and a DRS rule."""
    begin = datetime.now(UTC) - timedelta(milliseconds=1)
    time.sleep(0.01)
    facts: dict[str, Any] = {}
    with session(url, ALICE) as si:
        vm = _vms(si)[0]
        facts["alice_vm"] = vm._moId
        WaitForTask(vm.ReconfigVM_Task(vim.vm.ConfigSpec(numCPUs=4, memoryMB=64)))
        cdrom = next(d for d in vm.config.hardware.device if isinstance(d, vim.vm.device.VirtualCdrom))
        cdrom.backing = vim.vm.device.VirtualCdrom.IsoBackingInfo(fileName="[LocalDS_0] evil.iso")
        change = vim.vm.device.VirtualDeviceSpec(operation="edit", device=cdrom)
        WaitForTask(vm.ReconfigVM_Task(vim.vm.ConfigSpec(deviceChange=[change])))
        facts["cdrom"] = (cdrom.deviceInfo.label, cdrom.key)
    with session(url, BOB) as si:
        vm = _vms(si)[1]
        facts["bob_vm"] = vm._moId
        mask = vim.vm.ConfigSpec.CpuIdInfoSpec(
            operation="add",
            info=vim.host.CpuIdInfo(level=-2147483647, vendor="intel", edx="----:----:---0:----:----:----:----:----"),
        )
        WaitForTask(vm.ReconfigVM_Task(vim.vm.ConfigSpec(cpuFeatureMask=[mask])))
        WaitForTask(vm.PowerOffVM_Task())
        cluster = vm.runtime.host.parent
        other = next(v for h in cluster.host for v in h.vm if v != vm)
        spec = vim.cluster.ConfigSpecEx(
            dasConfig=vim.cluster.DasConfigInfo(
                option=[vim.option.OptionValue(key="das.isolationaddress0", value="10.9.9.9")],
                admissionControlEnabled=False,
            ),
            dasVmConfigSpec=[
                vim.cluster.DasVmConfigSpec(
                    operation="add",
                    info=vim.cluster.DasVmConfigInfo(
                        key=vm, dasSettings=vim.cluster.DasVmSettings(restartPriority="disabled")
                    ),
                )
            ],
            rulesSpec=[
                vim.cluster.RuleSpec(
                    operation="add",
                    info=vim.cluster.AntiAffinityRuleSpec(name="keep-apart", enabled=True, vm=[vm, other]),
                )
            ],
        )
        WaitForTask(cluster.ReconfigureComputeResource_Task(spec, True))
        facts["cluster"] = cluster._moId
        facts["rule_key"] = next(r.key for r in cluster.configurationEx.rule if r.name == "keep-apart")
    time.sleep(0.01)
    end = datetime.now(UTC)
    with connect(url, "VSPHERE.LOCAL\\auditor", PASSWORD, insecure=True) as observer:
        raw = collect_history(observer, begin=begin, end=end)
    return normalize_history(raw), facts, (begin, end)


def check(history: History, facts: dict[str, Any], window: tuple[datetime, datetime]) -> None:
    alice_vm, bob_vm = facts["alice_vm"], facts["bob_vm"]
    label, cdrom_key = facts["cdrom"]
    assert history.complete, history.notes
    assert not history.tasks_complete  # the simulator has no task history collector, only recentTask

    reconfigs = [e for e in history.events if e.type == "VmReconfiguredEvent"]
    assert [(e.vm, e.user, e.changed_paths) for e in reconfigs] == [
        (alice_vm, ALICE, ["config.hardware.memoryMB", "config.hardware.numCPU"]),
        (alice_vm, ALICE, [f"config.hardware.device[{cdrom_key}]"]),
        (bob_vm, BOB, ["config.cpuFeatureMask"]),
    ]
    assert all(e.host and e.cluster and e.datacenter for e in reconfigs)
    [powered_off] = [e for e in history.events if e.type == "VmPoweredOffEvent"]
    assert (powered_off.vm, powered_off.user) == (bob_vm, BOB)
    tasks = [t for t in history.tasks if t.description_id == "VirtualMachine.reconfigVm"]
    assert {t.entity for t in tasks} == {alice_vm, bob_vm}
    assert all(t.chain_id is None and t.user == "vcsim" for t in tasks)

    vms = {
        alice_vm: VM(id=alice_vm, name="a", devices={label: Device(key=cdrom_key, type="VirtualCdrom")}),
        bob_vm: VM(id=bob_vm, name="b"),
    }
    manifest = Manifest(tool_version="test", vcenter=VCenterInfo(name="sim", url="sim"), started_at="", finished_at="")
    cluster_id = facts["cluster"]
    rules = {"keep-apart": DrsRule(type="anti_affinity", key=facts["rule_key"])}
    clusters = {cluster_id: Cluster(id=cluster_id, name="c", drs=DRSConfig(rules=rules))}
    snap = Snapshot(manifest=manifest, vms=vms, clusters=clusters)
    items = [
        _item(alice_vm, "cpu.count", 1, 4),
        _item(alice_vm, f'devices["{label}"].backing.file_name', None, "[LocalDS_0] evil.iso"),
        _item(bob_vm, 'cpu.feature_mask["-2147483647/intel"]', None, {}),
        _item(bob_vm, "power_state", "poweredOn", "poweredOff"),
        _item(bob_vm, "memory.size_mb", 32, 64),  # changed behind vCenter's back: nothing explains it
        _item(cluster_id, 'ha.options["das.isolationaddress0"]', "10.0.0.1", "10.9.9.9", kind="cluster"),
        _item(cluster_id, "ha.admission_control_enabled", True, False, kind="cluster"),
        _item(cluster_id, f'ha.vm_overrides["{bob_vm}"]', None, {}, kind="cluster", change="added"),
        _item(cluster_id, 'drs.rules["keep-apart"]', None, {}, kind="cluster", change="added"),
        _item(cluster_id, "drs.vmotion_rate", 3, 1, kind="cluster"),  # not in bob's spec: nothing explains it
    ]
    result = {i.path: i.attribution for i in attribute(items, history, old=snap, new=snap, window=window)}

    for path, user, event_type in [
        ("cpu.count", ALICE, "VmReconfiguredEvent"),
        (f'devices["{label}"].backing.file_name', ALICE, "VmReconfiguredEvent"),
        ('cpu.feature_mask["-2147483647/intel"]', BOB, "VmReconfiguredEvent"),
        ("power_state", BOB, "VmPoweredOffEvent"),
        ('ha.options["das.isolationaddress0"]', BOB, "ClusterReconfiguredEvent"),
        ("ha.admission_control_enabled", BOB, "DasAdmissionControlDisabledEvent"),  # same chain, more specific
        (f'ha.vm_overrides["{bob_vm}"]', BOB, "ClusterReconfiguredEvent"),
        ('drs.rules["keep-apart"]', BOB, "ClusterReconfiguredEvent"),
    ]:
        attribution = result[path]
        assert attribution is not None
        assert (attribution.status, attribution.confidence, attribution.user) == ("attributed", "exact", user), path
        assert attribution.event_type == event_type, path
        # one operation, one candidate: the cluster's events and its task share a chain
        assert len(attribution.candidates) == 1, (path, attribution.candidates)
    cpu = result["cpu.count"]
    assert cpu is not None
    # one candidate: alice's ISO edit names another device only, and each simulator task (no chain id) joins the
    # event it posted while it ran
    assert [(c.source, c.user) for c in cpu.candidates] == [("event", ALICE)]
    for path in ("memory.size_mb", "drs.vmotion_rate"):
        unexplained = result[path]
        assert unexplained is not None and unexplained.status == "unattributed", path
        assert unexplained.reason and "name other properties" in unexplained.reason


def test_attribution_on_simulator_history(vcsim: Vcsim) -> None:
    check(*run_scenario(vcsim.url))
