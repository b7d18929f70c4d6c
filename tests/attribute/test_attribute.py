"""Attribution statuses and confidences, one case per rule of ``driftguard/attribute/match.py``.

Every case is a drift item, the events and tasks of the window (T0, T1] = (02:00, next day 02:00], and what the
attribution must say. Snapshots hold one VM (vm-42 on host-21 in cluster domain-c7, its CD-ROM is device 3002),
its cluster, its host, and a distributed switch.
"""

from __future__ import annotations

import itertools
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from driftguard.attribute import attribute
from driftguard.models import (
    VM,
    Attribution,
    Backing,
    Change,
    Cluster,
    Device,
    DriftItem,
    DvPortgroup,
    DvSwitch,
    Event,
    History,
    Host,
    Manifest,
    Snapshot,
    SnapshotObject,
    Task,
    VCenterInfo,
)

T0 = datetime(2026, 11, 28, 2, 0, tzinfo=UTC)
T1 = T0 + timedelta(days=1)
WINDOW = (T0, T1)
ALICE = "VSPHERE.LOCAL\\alice"
BOB = "VSPHERE.LOCAL\\bob"


def at(hours: float) -> datetime:
    return T0 + timedelta(hours=hours)


def the_vm(**update: Any) -> VM:
    vm = VM(
        id="vm-42",
        name="web01",
        cluster="domain-c7",
        host="host-21",
        devices={
            "CD/DVD drive 1": Device(
                key=3002, type="VirtualCdrom", backing=Backing(type="VirtualCdromAtapiBackingInfo")
            ),
            "Network adapter 1": Device(
                key=4000,
                type="VirtualVmxnet3",
                backing=Backing(type="VirtualEthernetCardNetworkBackingInfo", network="VM Network"),
            ),
        },
    )
    return vm.model_copy(update=update)


def snapshot(*objects: SnapshotObject) -> Snapshot:
    manifest = Manifest(
        tool_version="test",
        vcenter=VCenterInfo(name="vc01", url="https://vc01/sdk"),
        started_at=T0.isoformat(),
        finished_at=T0.isoformat(),
    )
    collections: dict[str, dict[str, Any]] = {
        "clusters": {},
        "hosts": {},
        "vms": {},
        "dvswitches": {},
        "datastores": {},
    }
    kinds = {"cluster": "clusters", "host": "hosts", "vm": "vms", "dvswitch": "dvswitches", "datastore": "datastores"}
    for obj in objects:
        collections[kinds[obj.kind]][obj.id] = obj
    return Snapshot(manifest=manifest, **collections)


CLUSTER = Cluster(id="domain-c7", name="Cluster-A", hosts=["host-21", "host-22"])
HOST = Host(id="host-21", name="esx01", cluster="domain-c7")
OTHER_HOST = Host(id="host-22", name="esx02", cluster="domain-c7")
DVS = DvSwitch(
    id="dvs-9",
    name="DVS0",
    portgroups={"App": DvPortgroup(key="dvportgroup-13"), "DMZ": DvPortgroup(key="dvportgroup-14")},
)
OLD = snapshot(the_vm(), CLUSTER, HOST, OTHER_HOST, DVS)
NEW = OLD


def ev(
    type_: str, hours: float, key: int, *, user: str | None = ALICE, vm: str | None = "vm-42", **fields: Any
) -> Event:
    defaults: dict[str, Any] = {"cluster": "domain-c7", "host": "host-21"} if vm else {}
    return Event(key=key, type=type_, created=at(hours), user=user, vm=vm, **{**defaults, **fields})


def task(description_id: str, hours: float, key: str, *, entity: str = "vm-42", **fields: Any) -> Task:
    defaults = {"queued": at(hours), "started": at(hours), "completed": at(hours), "state": "success"}
    return Task(key=key, description_id=description_id, entity=entity, **{**defaults, **fields})


def item(
    path: str, *, kind: str = "vm", id_: str = "vm-42", change: Change = "modified", old: Any = 1, new: Any = 4
) -> DriftItem:
    return DriftItem(
        vcenter="vc01",
        kind=kind,
        id=id_,
        name="x",
        change=change,
        path=path,
        old=old,
        new=new,
        category="c",
        severity="low",
    )


@dataclass
class Case:
    item: DriftItem
    events: list[Event] = field(default_factory=list)
    tasks: list[Task] = field(default_factory=list)
    history: dict[str, Any] = field(default_factory=dict)
    old: Snapshot | None = field(default_factory=lambda: OLD)
    new: Snapshot = field(default_factory=lambda: NEW)
    # expectations
    status: str = "attributed"
    confidence: str | None = None
    keys: list[int | str] = field(default_factory=list)
    """Candidate event/task keys, best first."""
    reason: str | None = None
    """A fragment the reason must contain."""


def run(case: Case) -> Attribution:
    history = History(events=case.events, tasks=case.tasks, **case.history)
    [result] = attribute([case.item], history, old=case.old, new=case.new, window=WINDOW)
    assert result.attribution is not None
    return result.attribution


RECONFIG_CPU = ev("VmReconfiguredEvent", 5, 101, changed_paths=["config.hardware.numCPU"])
RECONFIG_MEM = ev("VmReconfiguredEvent", 6, 102, user=BOB, changed_paths=["config.hardware.memoryMB"])
RECONFIG_QUIET = ev("VmReconfiguredEvent", 7, 103, user=BOB)  # no configSpec/configChanges read

CASES: dict[str, Case] = {
    # --- the five outcomes ------------------------------------------------------------------------------------
    "exact-from-changed-paths": Case(item("cpu.count"), [RECONFIG_CPU], confidence="exact", keys=[101]),
    "likely-single-silent-event": Case(item("cpu.count"), [RECONFIG_QUIET], confidence="likely", keys=[103]),
    "likely-several-newest-first": Case(
        item("cpu.count"),
        [RECONFIG_QUIET, ev("VmReconfiguredEvent", 3, 104)],
        confidence="likely",
        keys=[103, 104],
    ),
    "exact-beats-newer-likely": Case(
        item("cpu.count"), [RECONFIG_QUIET, RECONFIG_CPU], confidence="exact", keys=[101, 103]
    ),
    "several-exact-newest-first": Case(
        item("cpu.count"),
        [RECONFIG_CPU, ev("VmReconfiguredEvent", 9, 105, user=BOB, changed_paths=["config.hardware.numCPU"])],
        confidence="exact",
        keys=[105, 101],
    ),
    "unattributed-nothing": Case(item("cpu.count"), status="unattributed", reason="no event or task in"),
    "unattributed-event-names-other-properties": Case(
        item("cpu.count"), [RECONFIG_MEM], status="unattributed", reason="1 operation(s) on it in the window name other"
    ),
    "unknown-history-incomplete": Case(
        item("cpu.count"),
        history={"complete": False, "notes": ["QueryEvents failed: NoPermission"]},
        status="unknown",
        reason="NoPermission",
    ),
    "unknown-history-purged": Case(
        item("cpu.count"),
        history={"complete": False, "notes": ["no event at or before 2026-11-28T02:00:00+00:00 is retained"]},
        status="unknown",
        reason="is retained",
    ),
    "incomplete-history-still-attributes-what-it-has": Case(
        item("cpu.count"), [RECONFIG_CPU], history={"complete": False}, confidence="exact", keys=[101]
    ),
    "unknown-history-read-for-a-later-window": Case(
        item("cpu.count"), history={"begin": at(1)}, status="unknown", reason="after the window start"
    ),
    "unknown-history-read-for-an-earlier-end": Case(
        item("cpu.count"), history={"end": at(20)}, status="unknown", reason="before the window end"
    ),
    # --- window and object filters ----------------------------------------------------------------------------
    "event-at-t0-is-outside": Case(
        item("cpu.count"),
        [ev("VmReconfiguredEvent", 0, 106, changed_paths=["config.hardware.numCPU"])],
        status="unattributed",
    ),
    "event-after-t1-is-outside": Case(
        item("cpu.count"),
        [ev("VmReconfiguredEvent", 25, 107, changed_paths=["config.hardware.numCPU"])],
        status="unattributed",
    ),
    "event-at-t1-is-inside": Case(
        item("cpu.count"),
        [ev("VmReconfiguredEvent", 24, 108, changed_paths=["config.hardware.numCPU"])],
        confidence="exact",
        keys=[108],
    ),
    "event-on-another-vm-is-ignored": Case(
        item("cpu.count"),
        [ev("VmReconfiguredEvent", 5, 109, vm="vm-43", changed_paths=["config.hardware.numCPU"])],
        status="unattributed",
    ),
    "irrelevant-event-type-is-ignored": Case(
        item("cpu.count"), [ev("VmPoweredOnEvent", 5, 110)], status="unattributed"
    ),
    "failed-task-is-ignored": Case(
        item("cpu.count"), tasks=[task("VirtualMachine.reconfigure", 5, "task-1", state="error")], status="unattributed"
    ),
    "task-spanning-t0-is-inside": Case(
        item("cpu.count"),
        tasks=[task("VirtualMachine.reconfigure", 1, "task-2", queued=at(-1), started=at(-1))],
        confidence="likely",
        keys=["task-2"],
    ),
    # --- chains: one operation, one candidate ------------------------------------------------------------------
    "event-and-task-of-one-chain-merge": Case(
        item("cpu.count"),
        [ev("VmReconfiguredEvent", 5, 120, chain_id=118, changed_paths=["config.hardware.numCPU"])],
        [task("VirtualMachine.reconfigure", 5, "task-118", chain_id=118, user=ALICE)],
        confidence="exact",
        keys=[120],
    ),
    "task-of-an-excluded-chain-is-excluded-too": Case(
        item("cpu.count"),
        [ev("VmReconfiguredEvent", 5, 121, chain_id=119, changed_paths=["config.hardware.memoryMB"])],
        [task("VirtualMachine.reconfigure", 5, "task-119", chain_id=119)],
        status="unattributed",
    ),
    "simulator-task-without-chain-joins-the-event-it-posted": Case(
        item("cpu.count"),
        [RECONFIG_CPU],
        [task("VirtualMachine.reconfigVm", 5, "task-68", user="vcsim", queued=at(4.9))],
        confidence="exact",
        keys=[101],
    ),
    "simulator-task-of-an-excluded-event-is-excluded-too": Case(
        item("cpu.count"),
        [RECONFIG_MEM],
        [task("VirtualMachine.reconfigVm", 6, "task-69", user="vcsim", queued=at(5.9))],
        status="unattributed",
    ),
    "task-without-chain-or-event-is-its-own-candidate": Case(
        item("cpu.count"),
        [RECONFIG_CPU],
        [task("VirtualMachine.reconfigVm", 8, "task-70", user="vcsim")],
        confidence="exact",
        keys=[101, "task-70"],
    ),
    # --- device labels resolve to device keys through the snapshots ------------------------------------------
    "device-label-to-key-exact": Case(
        item('devices["CD/DVD drive 1"].backing.file_name', old=None, new="[ds] evil.iso"),
        [ev("VmReconfiguredEvent", 5, 130, changed_paths=["config.hardware.device[3002]"])],
        confidence="exact",
        keys=[130],
    ),
    "device-edit-of-another-device-excludes": Case(
        item('devices["CD/DVD drive 1"].connected', old=False, new=True),
        [ev("VmReconfiguredEvent", 5, 131, changed_paths=["config.hardware.device[30]"])],
        status="unattributed",
    ),
    "device-added-with-temporary-key": Case(
        item('devices["Serial port 1"]', change="added", old=None, new={}),
        [ev("VmReconfiguredEvent", 5, 132, changed_paths=["config.hardware.device"])],
        new=snapshot(the_vm(devices={"Serial port 1": Device(key=9000, type="VirtualSerialPort")}), CLUSTER, HOST),
        confidence="exact",
        keys=[132],
    ),
    "nic-network-change-is-exact-through-nic-keys": Case(
        item("networks", old=["VM Network"], new=["DMZ"]),
        [ev("VmReconfiguredEvent", 5, 133, changed_paths=["config.hardware.device[4000]"])],
        confidence="exact",
        keys=[133],
    ),
    # --- exact by the event's type or fields -----------------------------------------------------------------
    "renamed-by-vm-renamed-event": Case(
        item("name", change="renamed", old="web01", new="web-01"),
        [ev("VmRenamedEvent", 5, 140)],
        confidence="exact",
        keys=[140],
    ),
    "renamed-by-reconfigure-with-name": Case(
        item("name", change="renamed", old="web01", new="web-01"),
        [ev("VmReconfiguredEvent", 5, 141, changed_paths=["name"])],
        confidence="exact",
        keys=[141],
    ),
    "vm-added-by-created-event": Case(
        item("", change="added", old=None, new={}),
        [ev("VmCreatedEvent", 5, 142)],
        old=None,
        confidence="exact",
        keys=[142],
    ),
    "vm-removed-by-removed-event": Case(
        item("", change="removed", old={}, new=None),
        [ev("VmRemovedEvent", 5, 143)],
        new=snapshot(CLUSTER, HOST),
        confidence="exact",
        keys=[143],
    ),
    "vm-removed-without-old-snapshot": Case(
        item("", change="removed", old={}, new=None),
        [ev("VmRemovedEvent", 5, 143)],
        old=None,
        new=snapshot(CLUSTER, HOST),
        confidence="exact",
        keys=[143],
    ),
    "power-state-exact-only-for-the-new-state": Case(
        item("power_state", old="poweredOn", new="poweredOff"),
        [ev("VmPoweredOnEvent", 4, 144), ev("VmPoweredOffEvent", 3, 145)],
        confidence="exact",
        keys=[145, 144],
    ),
    "migration-to-the-new-host-is-exact": Case(
        item("host", old="host-22", new="host-21"),
        [ev("DrsVmMigratedEvent", 5, 146, user=None), ev("VmMigratedEvent", 8, 147, host="host-23")],
        confidence="exact",
        keys=[146, 147],
    ),
    # --- parents where the setting lives or is driven from ----------------------------------------------------
    "vm-evacuated-by-maintenance-mode-of-its-old-host": Case(
        item("host", old="host-22", new="host-21"),
        [ev("EnteredMaintenanceModeEvent", 5, 150, vm=None, host="host-22", cluster="domain-c7")],
        [task("HostSystem.enterMaintenanceMode", 4, "task-150", entity="host-22")],
        old=snapshot(the_vm(host="host-22"), CLUSTER, HOST, OTHER_HOST),
        confidence="likely",
        keys=[150, "task-150"],
    ),
    "vm-moved-by-drs-recommendation-on-its-cluster": Case(
        item("host", old="host-22", new="host-21"),
        tasks=[task("ClusterComputeResource.applyRecommendation", 5, "task-151", entity="domain-c7")],
        confidence="likely",
        keys=["task-151"],
    ),
    "parent-event-about-a-sibling-host-is-ignored": Case(
        item("cluster", kind="host", id_="host-21", old=None, new="domain-c7"),
        [ev("HostAddedEvent", 5, 152, vm=None, host="host-22", cluster="domain-c7")],
        status="unattributed",
    ),
    "host-added-to-its-new-cluster-is-exact": Case(
        item("cluster", kind="host", id_="host-21", old=None, new="domain-c7"),
        [ev("HostAddedEvent", 5, 153, vm=None, host="host-21", cluster="domain-c7")],
        confidence="exact",
        keys=[153],
    ),
    "host-ha-state-after-cluster-reconfigure": Case(
        item("ha_state", kind="host", id_="host-21", old="master", new="connectedToMaster"),
        [
            ev(
                "ClusterReconfiguredEvent",
                5,
                154,
                vm=None,
                cluster="domain-c7",
                changed_paths=["configurationEx.dasConfig.enabled"],
            )
        ],
        confidence="likely",
        keys=[154],
    ),
    "host-evc-mode-from-cluster-evc-task": Case(
        item("evc.current_mode", kind="host", id_="host-21", old=None, new="intel-broadwell"),
        tasks=[task("cluster.EVCManager.configureEvc", 5, "task-155", entity="domain-c7")],
        confidence="likely",
        keys=["task-155"],
    ),
    # --- cluster settings -------------------------------------------------------------------------------------
    "ha-option-exact-by-key": Case(
        item('ha.options["das.isolationaddress0"]', kind="cluster", id_="domain-c7", old="10.0.0.1", new="10.0.0.2"),
        [
            ev(
                "ClusterReconfiguredEvent",
                5,
                160,
                vm=None,
                cluster="domain-c7",
                changed_paths=['configurationEx.dasConfig.option["das.isolationaddress0"].value'],
            )
        ],
        confidence="exact",
        keys=[160],
    ),
    "ha-option-of-another-key-excludes": Case(
        item('ha.options["das.isolationaddress0"]', kind="cluster", id_="domain-c7", old="10.0.0.1", new="10.0.0.2"),
        [
            ev(
                "ClusterReconfiguredEvent",
                5,
                161,
                vm=None,
                cluster="domain-c7",
                changed_paths=['configurationEx.dasConfig.option["das.isolationaddress1"]'],
            )
        ],
        status="unattributed",
    ),
    "ha-enabled-by-das-enabled-event": Case(
        item("ha.enabled", kind="cluster", id_="domain-c7", old=False, new=True),
        [
            ev("DasEnabledEvent", 5, 162, vm=None, cluster="domain-c7"),
            ev("DasDisabledEvent", 6, 163, vm=None, cluster="domain-c7"),
        ],
        confidence="exact",
        keys=[162, 163],
    ),
    "simulator-cluster-task-id": Case(
        item("drs.vmotion_rate", kind="cluster", id_="domain-c7", old=3, new=1),
        tasks=[task("ClusterComputeResource.reconfigureCluster", 5, "task-164", entity="domain-c7")],
        confidence="likely",
        keys=["task-164"],
    ),
    # --- host settings ----------------------------------------------------------------------------------------
    "lockdown-disabled-by-esx-audit-event": Case(
        item("lockdown_mode", kind="host", id_="host-21", old="lockdownNormal", new="lockdownDisabled"),
        [ev("esx.audit.lockdownmode.disabled", 5, 170, vm=None, host="host-21", user="root")],
        confidence="exact",
        keys=[170],
    ),
    "ssh-started-by-esx-audit-event": Case(
        item('services["TSM-SSH"].running', kind="host", id_="host-21", old=False, new=True),
        [ev("esx.audit.ssh.enabled", 5, 171, vm=None, host="host-21", user="root")],
        confidence="exact",
        keys=[171],
    ),
    "host-profile-can-change-portgroups": Case(
        item('network.portgroups["DMZ"].vlan_id', kind="host", id_="host-21", old=20, new=30),
        [ev("HostProfileAppliedEvent", 5, 172, vm=None, host="host-21")],
        confidence="likely",
        keys=[172],
    ),
    "task-only-change-with-task-history-is-unattributed": Case(
        item('network.portgroups["DMZ"].vlan_id', kind="host", id_="host-21", old=20, new=30),
        status="unattributed",
    ),
    "task-only-change-without-task-history-says-so": Case(
        item('network.portgroups["DMZ"].vlan_id', kind="host", id_="host-21", old=20, new=30),
        history={"tasks_complete": False, "notes": ["only recentTask was read"]},
        status="unattributed",
        reason="only part of the task history was read",
    ),
    "event-backed-change-without-task-history-is-unattributed": Case(
        item("lockdown_mode", kind="host", id_="host-21", old="lockdownNormal", new="lockdownDisabled"),
        history={"tasks_complete": False},
        status="unattributed",
    ),
    # --- distributed portgroups ------------------------------------------------------------------------------
    "dvportgroup-event-on-that-portgroup": Case(
        item('portgroups["App"].vlan.vlan_id', kind="dvswitch", id_="dvs-9", old=10, new=11),
        [
            ev("DVPortgroupReconfiguredEvent", 5, 180, vm=None, dvs="dvs-9", network="dvportgroup-13"),
            ev("DVPortgroupReconfiguredEvent", 6, 181, vm=None, dvs="dvs-9", network="dvportgroup-14"),
        ],
        [task("DistributedVirtualPortgroup.reconfigureDvPortgroup", 7, "task-182", entity="dvportgroup-14")],
        confidence="likely",
        keys=[180],
    ),
    # --- what cannot be judged --------------------------------------------------------------------------------
    "setting-vcenter-never-records-is-unknown": Case(
        item("datacenter", old="DC0", new="DC1"), status="unknown", reason="records no event or task"
    ),
    "path-missing-from-the-table-is-unknown": Case(
        item("no_such_field"), status="unknown", reason="no event types are known"
    ),
    "malformed-path-is-unknown": Case(item('devices["unclosed'), status="unknown", reason="unreadable path"),
}


@pytest.mark.parametrize("name", list(CASES))
def test_attribution(name: str) -> None:
    case = CASES[name]
    result = run(case)
    assert result.status == case.status, result.reason
    assert result.confidence == case.confidence
    assert [c.event_key for c in result.candidates] == case.keys
    if case.reason:
        assert result.reason is not None and case.reason in result.reason
    if case.status == "attributed":
        best = result.candidates[0]
        assert result.reason is None
        assert (result.user, result.time, result.event_type, result.event_key, result.chain_id) == (
            best.user,
            best.time,
            best.event_type,
            best.event_key,
            best.chain_id,
        )
    else:
        assert result.reason and not result.candidates and result.user is None


def test_best_candidate_fields_are_copied() -> None:
    result = run(CASES["exact-from-changed-paths"])
    assert result.user == ALICE
    assert result.model_dump(mode="json")["time"] == "2026-11-28T07:00:00+00:00"  # the diff/v1 JSON form
    assert result.event_type == "VmReconfiguredEvent"
    assert result.candidates[0].source == "event"


def test_merged_chain_takes_user_from_its_task() -> None:
    case = Case(
        item("cpu.count"),
        [ev("VmReconfiguredEvent", 5, 120, user=None, chain_id=118)],
        [task("VirtualMachine.reconfigure", 5, "task-118", chain_id=118, user=BOB)],
    )
    result = run(case)
    assert [(c.event_key, c.user, c.chain_id) for c in result.candidates] == [(120, BOB, 118)]


def test_task_candidate_describes_the_task() -> None:
    result = run(CASES["vm-moved-by-drs-recommendation-on-its-cluster"])
    [candidate] = result.candidates
    assert (candidate.source, candidate.event_type, candidate.user) == (
        "task",
        "ClusterComputeResource.applyRecommendation",
        None,
    )
    assert candidate.message == "task task-151 ClusterComputeResource.applyRecommendation on domain-c7"


def test_unattributed_reason_names_window_object_and_parents() -> None:
    result = run(Case(item("host", old="host-22", new="host-21")))
    assert result.reason == (
        "no event or task in (2026-11-28T02:00:00+00:00, 2026-11-29T02:00:00+00:00] on vm vm-42 or its cluster, "
        "its host can explain host"
    )


def test_every_item_is_attributed_and_order_kept() -> None:
    items = [item("cpu.count"), item("memory.size_mb"), item("datacenter")]
    history = History(events=[RECONFIG_CPU, RECONFIG_MEM])
    result = attribute(items, history, old=OLD, new=NEW, window=WINDOW)
    assert [r.path for r in result] == ["cpu.count", "memory.size_mb", "datacenter"]
    assert [r.attribution.status if r.attribution else None for r in result] == ["attributed", "attributed", "unknown"]
    assert items[0].attribution is None  # inputs are not modified


def test_deterministic_whatever_the_input_order() -> None:
    events = [RECONFIG_CPU, RECONFIG_QUIET, ev("VmReconfiguredEvent", 3, 104), ev("VmReconfiguredEvent", 3, 99)]
    tasks = [task("VirtualMachine.reconfigVm", 2, "task-7"), task("VirtualMachine.reconfigVm", 2, "task-6")]
    results = [
        attribute([item("cpu.count")], History(events=list(e), tasks=list(t)), old=OLD, new=NEW, window=WINDOW)
        for e in itertools.permutations(events)
        for t in itertools.permutations(tasks)
    ]
    assert all(result == results[0] for result in results)
    [first] = results[0]
    assert first.attribution is not None
    assert [c.event_key for c in first.attribution.candidates] == [101, 103, 99, 104, "task-6", "task-7"]


def test_naive_window_and_event_times_are_utc() -> None:
    naive = Event(
        key=1,
        type="VmReconfiguredEvent",
        created=datetime(2026, 11, 28, 3),
        vm="vm-42",
        changed_paths=["config.hardware.numCPU"],
    )
    [result] = attribute(
        [item("cpu.count")],
        History(events=[naive]),
        old=OLD,
        new=NEW,
        window=(T0.replace(tzinfo=None), T1.replace(tzinfo=None)),
    )
    assert result.attribution is not None and result.attribution.confidence == "exact"
    assert result.attribution.model_dump(mode="json")["time"] == "2026-11-28T03:00:00+00:00"


def test_partial_task_history_caveat_only_where_tasks_may_be_the_only_record() -> None:
    partial = {"tasks_complete": False}
    lockdown = run(
        Case(
            item("lockdown_mode", kind="host", id_="host-21", old="lockdownNormal", new="lockdownDisabled"),
            history=partial,
        )
    )
    portgroup = run(
        Case(item('network.portgroups["DMZ"]', kind="host", id_="host-21", change="added"), history=partial)
    )
    assert lockdown.status == portgroup.status == "unattributed"
    assert lockdown.reason and "task history" not in lockdown.reason
    assert portgroup.reason and "task history" in portgroup.reason
