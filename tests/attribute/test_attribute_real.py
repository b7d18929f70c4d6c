"""Attribution on real vCenter event formats (issue 9, points 1-5).

Every event here goes through ``driftguard.normalize.events``, the collector's own normalisation: either a real
payload (``tests/fixtures/real-events``, read by ``tests/attribute/real_events.py``) or a raw event in the shape
pyVmomi decodes from a real vCenter (field names and types per the vSphere WSDL, event ids from the real
catalogues in ``tests/fixtures/catalogue``). None of them is text written by our simulator extension.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from driftguard.attribute import attribute
from driftguard.models import (
    VM,
    Attribution,
    Backing,
    Cluster,
    Datastore,
    Device,
    DriftItem,
    DvPortgroup,
    DvSwitch,
    HAConfig,
    Host,
    Manifest,
    Snapshot,
    SnapshotObject,
    VCenterInfo,
)
from driftguard.normalize.events import normalize_history
from tests.attribute.real_events import load_raw

# the real NIC reconfigure payload was posted at 2022-02-24T20:01:17.280999Z on vm (REPLACE-ME) host-58, domain-c52
T0 = datetime(2022, 2, 24, 0, 0, tzinfo=UTC)
T1 = T0 + timedelta(days=1)
ALICE = "VSPHERE.LOCAL\\alice"
BOB = "VSPHERE.LOCAL\\bob"
ADMIN = "VSPHERE.LOCAL\\Administrator"


def at(hours: float) -> str:
    return (T0 + timedelta(hours=hours)).isoformat()


def moref(type_: str, value: str) -> dict[str, str]:
    return {"_type": "ManagedObjectReference", "type": type_, "value": value}


def argument(kind: str, field: str, type_: str, value: str) -> dict[str, Any]:
    return {"_type": f"{kind}EventArgument", "name": value, field: moref(type_, value)}


VM_ID, HOST_ID, CLUSTER_ID = "vm-42", "host-58", "domain-c52"
VM_ARGS = {
    "vm": argument("Vm", "vm", "VirtualMachine", VM_ID),
    "host": argument("Host", "host", "HostSystem", HOST_ID),
    "computeResource": argument("ComputeResource", "computeResource", "ClusterComputeResource", CLUSTER_ID),
}


def the_vm(datastore: str) -> VM:
    return VM(
        id=VM_ID,
        name="tinycore-2",
        cluster=CLUSTER_ID,
        host=HOST_ID,
        datastores=[datastore],
        devices={
            "Hard disk 1": Device(
                key=2000,
                type="VirtualDisk",
                backing=Backing(
                    type="VirtualDiskFlatVer2BackingInfo", datastore=datastore, file_name=f"[{datastore}] t/t.vmdk"
                ),
            ),
            "Network adapter 1": Device(
                key=4000,
                type="VirtualVmxnet3",
                backing=Backing(
                    type="VirtualEthernetCardDistributedVirtualPortBackingInfo", portgroup_key="dvportgroup-8004"
                ),
            ),
        },
    )


def snapshot(*objects: SnapshotObject) -> Snapshot:
    manifest = Manifest(
        tool_version="test",
        vcenter=VCenterInfo(name="vc01", url="https://vc01/sdk"),
        started_at=T0.isoformat(),
        finished_at=T0.isoformat(),
    )
    collections: dict[str, dict[str, Any]] = {k: {} for k in ("clusters", "hosts", "vms", "dvswitches", "datastores")}
    kinds = {"cluster": "clusters", "host": "hosts", "vm": "vms", "dvswitch": "dvswitches", "datastore": "datastores"}
    for obj in objects:
        collections[kinds[obj.kind]][obj.id] = obj
    return Snapshot(manifest=manifest, **collections)


CLUSTER = Cluster(id=CLUSTER_ID, name="CL1", hosts=[HOST_ID], ha=HAConfig(enabled=True))
HOST = Host(id=HOST_ID, name="esx02.lab.local", cluster=CLUSTER_ID)
DVS = DvSwitch(id="dvs-7005", name="dvsTest", portgroups={"DPortGroup": DvPortgroup(key="dvportgroup-7007")})
OLD = snapshot(the_vm("datastore-1"), CLUSTER, HOST, DVS)
NEW = snapshot(the_vm("datastore-2"), CLUSTER, HOST, DVS, Datastore(id="datastore-9", name="vmfs9"))


def item(kind: str, id_: str, path: str, old: Any, new: Any, change: str = "modified") -> DriftItem:
    return DriftItem.model_validate(
        {
            "vcenter": "vc01",
            "kind": kind,
            "id": id_,
            "name": "x",
            "change": change,
            "path": path,
            "old": old,
            "new": new,
            "category": "c",
            "severity": "low",
        }
    )


def run(drift: DriftItem, events: list[dict[str, Any]], tasks: list[dict[str, Any]] | None = None) -> Attribution:
    history = normalize_history(
        {"events": events, "tasks": tasks or [], "complete": True, "begin": T0.isoformat(), "end": T1.isoformat()}
    )
    [result] = attribute([drift], history, old=OLD, new=NEW, window=(T0, T1))
    assert result.attribution is not None
    return result.attribution


def real_nic_reconfigure() -> dict[str, Any]:
    """The real VmReconfiguredEvent of a NIC portgroup change, by Administrator (vCenter 7.0, VEBA example)."""
    return load_raw("veba-vm-reconfigured-nic-portgroup", "VmReconfiguredEvent", vm_name="tinycore-2", vm=VM_ID)


def raw_task(key: str, description_id: str, entity: tuple[str, str], user: str | None, hours: float, **more: Any):
    return {
        "_type": "TaskInfo",
        "key": key,
        "descriptionId": description_id,
        "entity": moref(*entity),
        "state": "success",
        "queueTime": at(hours),
        "startTime": at(hours),
        "completeTime": at(hours + 1 / 3600),
        **({"reason": {"_type": "TaskReasonUser", "userName": user}} if user else {}),
        **more,
    }


# --- point 3: VM datastores --------------------------------------------------------------------------------------


def test_real_nic_reconfigure_payload_is_read_as_a_nic_change_only() -> None:
    [event] = normalize_history({"events": [real_nic_reconfigure()], "complete": True}).events
    assert (event.type, event.user, event.vm, event.chain_id) == ("VmReconfiguredEvent", ADMIN, VM_ID, 689456)
    # configChanges is the authority; the spec's changeVersion, createDate, files.vmPathName and the whole edited
    # device are echoes a real vCenter sends on every reconfigure
    assert event.changed_paths == [
        "config.hardware.device[4000].backing.port.connectionCookie",
        "config.hardware.device[4000].backing.port.portKey",
        "config.hardware.device[4000].backing.port.portgroupKey",
    ]


def test_storage_vmotion_by_bob_is_not_explained_by_a_later_nic_reconfigure() -> None:
    relocated = {
        "_type": "VmRelocatedEvent",
        "key": 689001,
        "chainId": 689000,
        "createdTime": at(19),
        "userName": BOB,
        **VM_ARGS,
        "ds": argument("Datastore", "datastore", "Datastore", "datastore-2"),
        "sourceDatastore": argument("Datastore", "datastore", "Datastore", "datastore-1"),
        "sourceHost": argument("Host", "host", "HostSystem", HOST_ID),
        "fullFormattedMessage": "Completed the relocation of the virtual machine",
    }
    result = run(item("vm", VM_ID, "datastores", ["datastore-1"], ["datastore-2"]), [relocated, real_nic_reconfigure()])
    assert (result.status, result.confidence, result.user, result.event_type) == (
        "attributed",
        "exact",
        BOB,
        "VmRelocatedEvent",
    )
    assert [c.event_key for c in result.candidates] == [689001]


def test_the_real_nic_reconfigure_explains_the_nic_exactly() -> None:
    result = run(
        item("vm", VM_ID, 'devices["Network adapter 1"].backing.portgroup_key', "a", "b"), [real_nic_reconfigure()]
    )
    assert (result.status, result.confidence, result.user, result.user_source) == (
        "attributed",
        "exact",
        ADMIN,
        "record",
    )


# --- point 1: cluster configChanges in every spelling ------------------------------------------------------------

OPTION = 'ha.options["das.isolationaddress0"]'


def cluster_reconfigured(modified: str | None, key: int = 501, chain: int = 500) -> dict[str, Any]:
    raw: dict[str, Any] = {
        "_type": "ClusterReconfiguredEvent",
        "key": key,
        "chainId": chain,
        "createdTime": at(5),
        "userName": ALICE,
        "computeResource": VM_ARGS["computeResource"],
        "fullFormattedMessage": "Reconfigured cluster CL1 in datacenter HomeLab",
    }
    if modified is not None:
        raw["configChanges"] = {"_type": "ChangesInfoEventArgument", "modified": modified, "added": "", "deleted": ""}
    return raw


RECONFIGURE_TASK = raw_task(
    "task-500", "ClusterComputeResource.reconfigureEx", ("ClusterComputeResource", CLUSTER_ID), ALICE, 5,
    eventChainId=500,
)  # fmt: skip


@pytest.mark.parametrize(
    ("modified", "confidence"),
    [
        pytest.param('configurationEx.dasConfig.option("das.isolationaddress0").value: "a" -> "b"; \n\n', "exact",
                     id="configurationEx"),
        pytest.param('dasConfig.option("das.isolationaddress0").value: "a" -> "b"; \n\n', "exact", id="spec-relative"),
        pytest.param('configuration.dasConfig.option("das.isolationaddress0").value: "a" -> "b"; \n\n', "exact",
                     id="legacy-configuration"),
        pytest.param('configurationEx.dasConfig.option[3].value: "a" -> "b"; \n\n', "likely", id="array-index"),
        pytest.param('cluster.das.isolationAddress: "a" -> "b"; \n\n', "likely", id="unknown-root"),
        pytest.param(None, "likely", id="none-pre-6.5"),
    ],
)  # fmt: skip
def test_cluster_option_change_is_attributed_whatever_the_change_text(modified: str | None, confidence: str) -> None:
    result = run(item("cluster", CLUSTER_ID, OPTION, "a", "b"), [cluster_reconfigured(modified)], [RECONFIGURE_TASK])
    assert (result.status, result.confidence, result.user, result.event_key) == ("attributed", confidence, ALICE, 501)


@pytest.mark.parametrize(
    "modified",
    [
        'dasConfig.option("das.isolationaddress0").value: "a" -> "b"; \n\n',
        "configurationEx.dasConfig.option[3].value: 1 -> 2; \n\n",
        "configurationEx.drsConfig.vmotionRate: 3 -> 2; \n\n",  # names something else: the type still says it
    ],
)
def test_das_enabled_event_of_the_chain_stands_on_its_own(modified: str) -> None:
    enabled = {
        "_type": "DasEnabledEvent",
        "key": 502,
        "chainId": 500,
        "createdTime": at(5),
        "userName": "",
        "computeResource": VM_ARGS["computeResource"],
    }
    result = run(
        item("cluster", CLUSTER_ID, "ha.enabled", False, True),
        [cluster_reconfigured(modified), enabled],
        [RECONFIGURE_TASK],
    )
    assert (result.status, result.confidence, result.event_type) == ("attributed", "exact", "DasEnabledEvent")
    assert (result.user, result.user_source) == (ALICE, "chain")


def test_cluster_event_naming_only_other_mapped_properties_is_still_excluded() -> None:
    result = run(
        item("cluster", CLUSTER_ID, OPTION, "a", "b"),
        [cluster_reconfigured("drsConfig.vmotionRate: 3 -> 2; \n\n")],
        [RECONFIGURE_TASK],
    )
    assert result.status == "unattributed" and "name other properties only" in (result.reason or "")


# --- point 2: esx.audit.net.* ------------------------------------------------------------------------------------


def test_firewall_event_does_not_explain_a_portgroup_vlan_changed_on_esxi() -> None:
    firewall = {
        "_type": "EventEx",
        "key": 701,
        "chainId": 701,
        "createdTime": at(9),
        "eventTypeId": "esx.audit.net.firewall.config.changed",
        "objectType": "HostSystem",
        "objectId": HOST_ID,
        "severity": "info",
        "fullFormattedMessage": "Firewall configuration has changed.",
    }
    result = run(item("host", HOST_ID, 'network.portgroups["VLAN10"].vlan_id', 10, 20), [firewall])
    assert result.status == "unattributed"


# --- point 4: real event ids -------------------------------------------------------------------------------------


def test_new_vmfs_datastore_is_attributed_to_its_created_event() -> None:
    created = {
        "_type": "VMFSDatastoreCreatedEvent",
        "key": 801,
        "chainId": 800,
        "createdTime": at(3),
        "userName": BOB,
        "host": VM_ARGS["host"],
        "ds": argument("Datastore", "datastore", "Datastore", "datastore-9"),
        "fullFormattedMessage": "Created VMFS datastore vmfs9",
    }
    result = run(item("datastore", "datastore-9", "", None, {"name": "vmfs9"}, change="added"), [created])
    assert (result.status, result.confidence, result.user) == ("attributed", "exact", BOB)


def test_snapshot_revert_is_attributed_to_the_event_real_vcenters_post() -> None:
    reverted = {
        "_type": "EventEx",
        "key": 901,
        "chainId": 900,
        "createdTime": at(4),
        "userName": BOB,
        "eventTypeId": "com.vmware.vc.vm.VmStateRevertedToSnapshot",
        **VM_ARGS,
        "objectType": "VirtualMachine",
        "objectId": VM_ID,
    }
    result = run(item("vm", VM_ID, "current_snapshot", "after", "before"), [reverted])
    assert (result.status, result.confidence, result.user) == ("attributed", "exact", BOB)


# --- point 5: the best what and the best who ---------------------------------------------------------------------


def test_esxi_forwarded_event_without_user_takes_the_user_of_the_concurrent_task() -> None:
    ssh = {
        "_type": "ExtendedEvent",
        "key": 1001,
        "chainId": 1001,
        "createdTime": at(6),
        "userName": "",
        "eventTypeId": "esx.audit.ssh.enabled",
        "managedObject": moref("HostSystem", HOST_ID),
        "message": "SSH access has been enabled.",
    }
    # a real task has a chain id of its own: the host's event is not in it
    start = raw_task(
        "task-1000", "host.ServiceSystem.start", ("HostSystem", HOST_ID), ALICE, 6 - 1 / 3600, eventChainId=1000
    )
    unrelated = raw_task(
        "task-999", "host.ServiceSystem.start", ("HostSystem", HOST_ID), BOB, 5, eventChainId=999
    )  # an hour earlier
    result = run(item("host", HOST_ID, 'services["TSM-SSH"].running', False, True), [ssh], [unrelated, start])
    assert (result.status, result.confidence, result.event_type) == ("attributed", "exact", "esx.audit.ssh.enabled")
    assert (result.user, result.user_source, result.user_record) == (ALICE, "concurrent task", "task-1000")


def test_event_without_user_and_no_concurrent_task_reports_no_user() -> None:
    ssh = {
        "_type": "ExtendedEvent",
        "key": 1001,
        "createdTime": at(6),
        "eventTypeId": "esx.audit.ssh.enabled",
        "managedObject": moref("HostSystem", HOST_ID),
    }
    late = raw_task(
        "task-1002", "host.ServiceSystem.start", ("HostSystem", HOST_ID), ALICE, 6.01, eventChainId=1002
    )  # 36 s later
    result = run(item("host", HOST_ID, 'services["TSM-SSH"].running', False, True), [ssh], [late])
    assert (result.event_type, result.user, result.user_source) == ("esx.audit.ssh.enabled", None, None)


# --- other real payloads -----------------------------------------------------------------------------------------


def test_real_dvs_reconfigure_explains_the_mtu_exactly() -> None:
    raw = load_raw("veba-dvs-reconfigured-mtu", "DvsReconfiguredEvent", dvs_name="dvsTest", mtu="1500")
    raw["createdTime"] = at(16)  # posted 2021-12-17; moved into this test's window
    result = run(item("dvswitch", "dvs-7005", "mtu", 1501, 1500), [raw])
    assert (result.status, result.confidence, result.user) == ("attributed", "exact", ADMIN)
    # and it names nothing of the uplinks: a change there is not this event's
    assert run(item("dvswitch", "dvs-7005", "uplink_names", ["a"], ["b"]), [raw]).status == "unattributed"


def test_real_dvportgroup_reconfigure_explains_its_portgroup() -> None:
    raw = load_raw("veba-dvportgroup-reconfigured-teaming", "DVPortgroupReconfiguredEvent", pg="DPortGroup", dvs="x")
    raw["createdTime"] = at(22)
    drift = item("dvswitch", "dvs-7005", 'portgroups["DPortGroup"].teaming.notify_switches', True, False)
    result = run(drift, [raw])
    assert (result.status, result.user, result.event_type) == ("attributed", ADMIN, "DVPortgroupReconfiguredEvent")


def test_real_ha_eventex_has_no_user_and_names_its_cluster() -> None:
    [event] = normalize_history(
        {"events": [load_raw("veba-ha-cluster-failover-completed", "EventEx")], "complete": True}
    ).events
    assert (event.type, event.cluster, event.user) == (
        "com.vmware.vc.HA.ClusterFailoverActionCompletedEvent",
        CLUSTER_ID,
        None,
    )


def test_real_maintenance_event_explains_a_vm_evacuated_from_its_host() -> None:
    raw = load_raw("veba-host-entered-maintenance", "EnteredMaintenanceModeEvent", host=HOST_ID)
    raw["createdTime"] = at(15)
    result = run(item("vm", VM_ID, "host", HOST_ID, "host-59"), [raw])
    assert (result.status, result.confidence, result.user) == ("attributed", "likely", ADMIN)


# --- point 6: a per-VM EVC mask change is drift, attributed to the reconfigure that made it ----------------------


def test_runtime_feature_mask_change_is_drift_attributed_to_its_reconfigure() -> None:
    from driftguard.diff.engine import diff_snapshots
    from driftguard.normalize import Inventory
    from driftguard.normalize.vm import normalize_vm
    from tests.attribute.real_events import real_vm_object

    def vm(**runtime: Any) -> VM:
        obj = real_vm_object(**runtime)
        return normalize_vm(obj, Inventory({"objects": {"VirtualMachine": [obj]}}))

    before = vm()
    masks = [m for m in real_vm_object()["props"]["runtime.featureMask"] if m["key"] != "cpuid.SSE3"]
    after = vm(featureMask=masks)
    items = [i for i in diff_snapshots(snapshot(before), snapshot(after)) if i.path.startswith("cpu.")]
    assert [(i.path, i.change, i.old) for i in items] == [
        ('cpu.runtime_feature_mask["cpuid.SSE3"]', "removed", "Val:1")
    ]

    masked = {
        "_type": "VmReconfiguredEvent",
        "key": 1201,
        "chainId": 1200,
        "createdTime": at(8),
        "userName": BOB,
        "vm": argument("Vm", "vm", "VirtualMachine", "vm-19"),
        "configSpec": {"_type": "VirtualMachineConfigSpec", "cpuFeatureMask": [{"_type": "VirtualMachineCpuIdInfoSpec",
                       "operation": "add", "info": {"_type": "HostCpuIdInfo", "level": 1, "ecx": "----:----:----:"
                       "----:----:----:----:--0-"}}]},
    }  # fmt: skip
    sized = {
        "_type": "VmReconfiguredEvent",
        "key": 1301,
        "chainId": 1300,
        "createdTime": at(9),
        "userName": ALICE,
        "vm": argument("Vm", "vm", "VirtualMachine", "vm-19"),
        "configChanges": {"_type": "ChangesInfoEventArgument", "modified": "config.hardware.memoryMB: 2048 -> 4096; "},
    }
    history = normalize_history({"events": [masked, sized], "complete": True})
    [result] = attribute(items, history, old=snapshot(before), new=snapshot(after), window=(T0, T1))
    assert result.attribution is not None
    assert (result.attribution.status, result.attribution.confidence, result.attribution.user) == (
        "attributed",
        "exact",
        BOB,
    )
    assert [c.event_key for c in result.attribution.candidates] == [1201]
