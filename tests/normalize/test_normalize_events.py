"""Raw events and tasks → models: golden files plus the parsers behind ``Event.changed_paths``.

Golden files: ``tests/fixtures/events/<event|task|history>/<case>.json`` = ``{"raw", "expected"}``. ``raw`` is what
``driftguard.collect`` produces (``docs/raw-format.md``); cases named ``vcsim-*`` were captured from the simulator,
the others are pyVmomi objects shaped like a vCenter 6.5+ sends them, both by ``tests/fixtures/events/generate.py``
(history cases are hand-made around them). The ``vcsim-cluster-reconfigured`` case depends on the exact format of
text we wrote: its ``configChanges`` comes from our simulator extension (``tests/vcsim/changes.go``), not from a
vCenter; real payloads are read in ``tests/attribute/test_attribute_real.py``. To regenerate ``expected`` after an
intended change: ``UPDATE_GOLDEN=1 pytest tests/normalize/test_normalize_events.py``, then review
``git diff tests/fixtures/events``.
"""

from __future__ import annotations

import json
import os
from collections.abc import Callable, Mapping
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from pydantic import BaseModel

from driftguard.normalize.events import (
    config_change_paths,
    normalize_event,
    normalize_history,
    normalize_task,
    spec_paths,
)
from tests import paths

FIXTURES = paths.FIXTURES / "events"
NORMALIZERS: dict[str, Callable[[Mapping[str, Any]], BaseModel]] = {
    "event": normalize_event,
    "task": normalize_task,
    "history": normalize_history,
}
CASES = sorted(FIXTURES.glob("*/*.json"))


@pytest.mark.parametrize("path", CASES, ids=[f"{p.parent.name}/{p.stem}" for p in CASES])
def test_golden(path: Path) -> None:
    case = json.loads(path.read_text(encoding="utf-8"))
    actual = NORMALIZERS[path.parent.name](case["raw"]).model_dump(mode="json")
    if os.environ.get("UPDATE_GOLDEN"):
        case["expected"] = actual
        path.write_text(json.dumps(case, indent=2, sort_keys=True, ensure_ascii=False) + "\n", encoding="utf-8")
    assert actual == case["expected"]


def test_every_kind_has_golden_cases() -> None:
    assert {p.parent.name for p in CASES} == set(NORMALIZERS)


def _golden(kind: str, name: str) -> Any:
    return json.loads((FIXTURES / kind / f"{name}.json").read_text(encoding="utf-8"))["raw"]


# --- what the golden files pin, said in words -------------------------------------------------------------------


def test_vm_reconfigured_reads_spec_and_config_changes() -> None:
    event = normalize_event(_golden("event", "vm-reconfigured-65"))
    assert (event.type, event.key, event.chain_id) == ("VmReconfiguredEvent", 4711, 4709)
    assert event.user == "VSPHERE.LOCAL\\alice"
    assert (event.datacenter, event.cluster, event.host, event.vm) == ("datacenter-2", "domain-c7", "host-21", "vm-42")
    assert event.created == datetime(2026, 11, 28, 14, 30, 0, 123456, tzinfo=UTC)
    assert event.config_changes is not None and event.config_changes.deleted is None
    # configChanges is vCenter's own diff of config: it is the authority, and the spec's config fields that it does
    # not list (a reservation re-stated at its old value, the extraConfig echo, the edited device as a whole, the
    # serial port's temporary key) are not changes
    assert event.changed_paths == [
        "config.cpuAllocation.shares.level",
        "config.hardware.device[3002].backing.fileName",
        "config.hardware.device[9000]",  # the real key, from configChanges.added
        "config.hardware.memoryMB",
        "config.hardware.numCPU",
    ]
    assert event.unmapped_changes == []


def test_vm_spec_without_config_changes_names_what_it_sets_but_not_its_echo() -> None:
    raw = {**_golden("event", "vm-reconfigured-65"), "configChanges": None}
    raw["configSpec"] = {**raw["configSpec"], "files": {"vmPathName": "[ds1] web01/web01.vmx", "logDirectory": "x"}}
    event = normalize_event(raw)
    assert {
        "config.cpuAllocation.reservation",
        'config.extraConfig["isolation.tools.copy.disable"]',
        "config.hardware.device[3002]",
        "config.hardware.device",  # the serial port being added still has its temporary key in the spec
        "config.files.logDirectory",
    } <= set(event.changed_paths)
    assert not any("changeVersion" in p or "createDate" in p or "vmPathName" in p for p in event.changed_paths)
    assert event.changed_paths == sorted(set(event.changed_paths))


def test_cluster_reconfigured_config_changes_text() -> None:
    event = normalize_event(_golden("event", "cluster-reconfigured-config-changes"))
    assert event.cluster == "domain-c7" and event.vm is None
    assert event.changed_paths == [
        "configurationEx.dasConfig.admissionControlEnabled",
        'configurationEx.dasConfig.option["das.isolationaddress0"].value',
        'configurationEx.dasConfig.option["das.isolationaddress1"]',
        'configurationEx.dasVmConfig["vm-42"]',
        "configurationEx.drsConfig.vmotionRate",
        "configurationEx.rule[3]",
    ]


@pytest.mark.parametrize(
    ("name", "type_", "host"),
    [
        ("eventex-ssh-enabled", "esx.audit.ssh.enabled", "host-21"),
        ("extended-event-lockdown", "esx.audit.lockdownmode.disabled", "host-21"),
    ],
)
def test_extended_events_take_their_type_id_and_object(name: str, type_: str, host: str) -> None:
    event = normalize_event(_golden("event", name))
    assert (event.type, event.host) == (type_, host)
    assert event.message


def test_vcsim_events_keep_the_session_user() -> None:
    event = normalize_event(_golden("event", "vcsim-reconfigure-cpu-memory"))
    assert event.user == "VSPHERE.LOCAL\\alice"
    assert event.changed_paths == ["config.hardware.memoryMB", "config.hardware.numCPU"]
    mask = normalize_event(_golden("event", "vcsim-reconfigure-cpu-feature-mask"))
    assert (mask.user, mask.changed_paths) == ("VSPHERE.LOCAL\\bob", ["config.cpuFeatureMask"])


def test_launcher_cluster_reconfigure_is_one_chain() -> None:
    # the test launcher posts vCenter 6.5+ configChanges text, with morefs as 'vim.VirtualMachine:vm-94' keys
    event = normalize_event(_golden("event", "vcsim-cluster-reconfigured"))
    switch = normalize_event(_golden("event", "vcsim-das-admission-control-disabled"))
    task = normalize_task(_golden("task", "vcsim-task-reconfigure-cluster"))
    assert event.changed_paths == [
        "configurationEx.dasConfig.admissionControlEnabled",
        'configurationEx.dasConfig.option["das.isolationaddress0"].value',
        'configurationEx.dasVmConfig["vm-94"]',
        "configurationEx.rule[1]",
    ]
    assert event.chain_id == switch.chain_id == task.chain_id
    assert event.user == switch.user == task.user == "VSPHERE.LOCAL\\bob"


def test_tasks() -> None:
    task = normalize_task(_golden("task", "task-reconfigure-chained"))
    assert (task.key, task.description_id, task.entity, task.user, task.chain_id) == (
        "task-4709",
        "VirtualMachine.reconfigure",
        "vm-42",
        "VSPHERE.LOCAL\\alice",
        4709,
    )
    failed = normalize_task(_golden("task", "task-failed-system"))
    assert (failed.state, failed.user) == ("error", None)
    assert failed.error == "The object or item referred to could not be found."
    vcsim = normalize_task(_golden("task", "vcsim-task-reconfig"))
    assert vcsim.chain_id is None  # the simulator leaves eventChainId at 0: not linked to any event
    assert vcsim.description_id == "VirtualMachine.reconfigVm"


def test_history_drops_duplicates_and_keeps_completeness() -> None:
    history = normalize_history(_golden("history", "collected-window"))
    assert [e.key for e in history.events] == [4711, 6001]
    assert history.complete and history.tasks_complete
    recent = normalize_history(_golden("history", "recent-tasks-only"))
    assert recent.complete and not recent.tasks_complete
    assert recent.notes


def test_history_with_unreadable_entries_is_incomplete() -> None:
    history = normalize_history(_golden("history", "unreadable-entries"))
    assert history.events == [] and history.tasks == []
    assert not history.complete and not history.tasks_complete
    assert len(history.notes) == 4
    assert "event #0 unreadable" in history.notes[0]


def test_history_without_keys_claims_nothing() -> None:
    history = normalize_history({})
    assert (history.events, history.tasks, history.begin, history.end) == ([], [], None, None)
    assert not history.complete


# --- event details ----------------------------------------------------------------------------------------------


def test_event_requires_key_and_time() -> None:
    with pytest.raises(ValueError, match="without a key"):
        normalize_event({"_type": "VmPoweredOnEvent", "createdTime": "2026-11-28T03:00:00+00:00"})
    with pytest.raises(ValueError, match="without createdTime"):
        normalize_event({"_type": "VmPoweredOnEvent", "key": 1})
    with pytest.raises(ValueError, match="without a key"):
        normalize_task({"_type": "TaskInfo"})


def test_event_tolerates_sparse_input() -> None:
    event = normalize_event(
        {"_type": "vim.event.VmPoweredOnEvent", "key": "7", "createdTime": "2026-11-28T03:00:00Z", "userName": ""}
    )
    assert (event.type, event.key, event.user, event.chain_id) == ("VmPoweredOnEvent", 7, None, None)
    assert event.created.tzinfo is not None
    naive = normalize_event({"_type": "Event", "key": 1, "createdTime": "2026-11-28T03:00:00"})
    assert naive.created == datetime(2026, 11, 28, 3, tzinfo=UTC)


def test_argument_without_moref_gives_no_entity() -> None:
    event = normalize_event(
        {
            "_type": "VmPoweredOnEvent",
            "key": 1,
            "createdTime": "2026-11-28T03:00:00+00:00",
            "vm": {"_type": "VmEventArgument", "name": "web01"},
            "objectType": "VirtualMachine",
            "objectId": "vm-9",
        }
    )
    assert event.vm == "vm-9"  # the argument had only a name; EventEx-style fields fill the gap


# --- configSpec → paths -----------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("spec", "paths"),
    [
        ({"numCPUs": 4}, ["config.hardware.numCPU"]),
        ({"numCoresPerSocket": 2, "memoryMB": 4096}, ["config.hardware.memoryMB", "config.hardware.numCoresPerSocket"]),
        (
            {
                "cpuAllocation": {
                    "_type": "ResourceAllocationInfo",
                    "limit": -1,
                    "shares": {"_type": "SharesInfo", "level": "high"},
                }
            },
            ["config.cpuAllocation.limit", "config.cpuAllocation.shares.level"],
        ),
        ({"memoryAllocation": {"_type": "ResourceAllocationInfo"}}, ["config.memoryAllocation"]),
        ({"cpuFeatureMask": [{"_type": "VirtualMachineCpuIdInfoSpec", "operation": "add"}]}, ["config.cpuFeatureMask"]),
        (
            {"guestId": "rhel9_64Guest", "version": "vmx-19", "name": "web02"},
            ["config.guestId", "config.version", "name"],
        ),
        ({"changeVersion": "x", "vmProfile": [{"_type": "VirtualMachineDefaultProfileSpec"}]}, []),
        ({"nestedHVEnabled": True, "firmware": "efi"}, ["config.firmware", "config.nestedHVEnabled"]),
        (
            {"extraConfig": [{"_type": "OptionValue", "key": "guestinfo.x", "value": "1"}]},
            ['config.extraConfig["guestinfo.x"]'],
        ),
        (
            {
                "deviceChange": [
                    {
                        "_type": "VirtualDeviceConfigSpec",
                        "operation": "edit",
                        "device": {"_type": "VirtualCdrom", "key": 3002},
                    },
                    {
                        "_type": "VirtualDeviceConfigSpec",
                        "operation": "remove",
                        "device": {"_type": "VirtualFloppy", "key": 8000},
                    },
                ]
            },
            ["config.hardware.device[3002]", "config.hardware.device[8000]"],
        ),
        (
            {
                "deviceChange": [
                    {
                        "_type": "VirtualDeviceConfigSpec",
                        "operation": "add",
                        "device": {"_type": "VirtualDisk", "key": -100},
                    }
                ]
            },
            ["config.hardware.device"],
        ),
    ],
)
def test_spec_paths(spec: dict[str, Any], paths: list[str]) -> None:
    assert spec_paths({"_type": "VirtualMachineConfigSpec", **spec}) == paths


# --- configChanges text → paths ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "paths"),
    [
        pytest.param(
            "config.hardware.numCPU: 1 -> 4; \n\nconfig.hardware.memoryMB: 2048 -> 4096; \n\n",
            ["config.hardware.memoryMB", "config.hardware.numCPU"],
            id="vcenter-6.7-modified",
        ),
        pytest.param(
            'config.hardware.device(3002).backing.fileName: "" -> "[datastore1] iso/evil.iso"; \n\n'
            "config.hardware.device(3002).connectable.connected: false -> true; ",
            ["config.hardware.device[3002].backing.fileName", "config.hardware.device[3002].connectable.connected"],
            id="device-key-in-parentheses",
        ),
        pytest.param(
            "config.hardware.device(4001): (dynamicType = <unset>, key = 4001,"
            ' deviceInfo = (label = "Network adapter 2",\n summary = "VM Network"),'
            ' backing = (deviceName = "VM Network")); ',
            ["config.hardware.device[4001]"],
            id="added-device-spanning-lines",
        ),
        pytest.param(
            'configurationEx.dasConfig.option["das.isolationaddress0"].value: "10.0.0.1" -> "10.0.0.2";',
            ['configurationEx.dasConfig.option["das.isolationaddress0"].value'],
            id="cluster-option-bracket-key",
        ),
        pytest.param(
            'configurationEx.dasConfig.option("das.isolationaddress0").value: "10.0.0.1" -> "10.0.0.2"',
            ['configurationEx.dasConfig.option["das.isolationaddress0"].value'],
            id="cluster-option-parenthesis-key-no-terminator",
        ),
        pytest.param(
            'config.extraConfig("guestinfo.foo").value: "a;b:c" -> "c";\nModified: name: "a" -> "b";',
            ['config.extraConfig["guestinfo.foo"].value', "name"],
            id="separators-inside-quotes-and-header",
        ),
        pytest.param(
            "Reconfigured web01 on esx01 in DC0.  \n \nModified:  \n \nconfig.cpuAllocation.reservation: 0 -> 100; \n\n"
            "Added:  \n\n Deleted: \n\n",
            ["config.cpuAllocation.reservation"],
            id="whole-full-formatted-message",
        ),
        pytest.param(
            "configurationEx.dasVmConfig(vim.VirtualMachine:vm-42).dasSettings.restartPriority:"
            ' "medium" -> "high"; x("',
            ['configurationEx.dasVmConfig["vm-42"].dasSettings.restartPriority'],
            id="managed-object-key-unbalanced-tail",
        ),
        pytest.param(
            "config.hardware.device(4000)\nconfig.hardware.device(4001)\n",
            ["config.hardware.device[4000]", "config.hardware.device[4001]"],
            id="bare-deleted-paths",
        ),
        pytest.param(
            "configurationEx.dasVmConfig('vim.VirtualMachine:vm-94'): (key = 'vim.VirtualMachine:vm-94'); \n\n"
            "configurationEx.rule(1): (name = \"a;b\", vm = ('vim.VirtualMachine:vm-94')); ",
            ['configurationEx.dasVmConfig["vm-94"]', "configurationEx.rule[1]"],
            id="single-quoted-moref-keys",
        ),
        pytest.param("x.option('vim.not a moref:1'): 1", ['x.option["vim.not a moref:1"]'], id="not-a-moref"),
        pytest.param("", [], id="empty"),
        pytest.param("Added: \n\n Deleted: \n\n", [], id="headers-only"),
        pytest.param("nothing to see here; really", [], id="free-text"),
        pytest.param('config.extraConfig["unterminated: 1 -> 2;', [], id="unterminated-key"),
    ],
)
def test_config_change_paths(text: str, paths: list[str]) -> None:
    assert config_change_paths(text) == paths
