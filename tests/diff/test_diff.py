"""Example drift between two snapshots, one per kind of change; every case also checks the diff invariants."""

from __future__ import annotations

from typing import Any

import pytest

from driftguard.diff import engine
from driftguard.models import (
    AdmissionControlPolicy,
    Backing,
    Device,
    DriftItem,
    Snapshot,
    TeamingPolicy,
)
from driftguard.models.paths import under_any
from driftguard.models.times import parse_time
from tests.invariants import assert_roundtrip, checked_diff
from tests.strategies import example_snapshot


def edit(snapshot: Snapshot, kind: str, object_id: str, **update: Any) -> Snapshot:
    field = {"cluster": "clusters", "host": "hosts", "vm": "vms", "dvswitch": "dvswitches", "datastore": "datastores"}[
        kind
    ]
    objects = dict(getattr(snapshot, field))
    objects[object_id] = objects[object_id].model_copy(update=update)
    return snapshot.model_copy(update={field: objects}).with_counts()


def brief(items: list[DriftItem]) -> list[tuple[str, str, str, str, Any, Any]]:
    return [(i.kind, i.id, i.change, i.path, i.old, i.new) for i in items]


@pytest.fixture
def base() -> Snapshot:
    return example_snapshot()


def test_identical_snapshots_have_no_drift(base: Snapshot) -> None:
    assert checked_diff(base, example_snapshot()) == []


def test_manifest_differences_are_not_drift(base: Snapshot) -> None:
    manifest = base.manifest.model_copy(update={"started_at": parse_time("2027-01-01T00:00:00Z"), "round_trips": 99})
    assert checked_diff(base, base.model_copy(update={"manifest": manifest})) == []


def test_object_schema_version_is_not_drift(base: Snapshot) -> None:
    # A schema upgrade rewrites every file; it is a migration, not a change anyone made in vCenter.
    assert checked_diff(base, edit(base, "host", "host-21", schema_version=2)) == []


def test_modified_value_in_a_keyed_collection(base: Snapshot) -> None:
    host = base.hosts["host-21"]
    dmz = host.network.portgroups["DMZ"].model_copy(update={"vlan_id": 30})
    network = host.network.model_copy(update={"portgroups": {**host.network.portgroups, "DMZ": dmz}})
    new = edit(base, "host", "host-21", network=network)
    items = checked_diff(base, new)
    assert brief(items) == [("host", "host-21", "modified", 'network.portgroups["DMZ"].vlan_id', 20, 30)]
    assert (items[0].category, items[0].severity, items[0].name, items[0].vcenter) == (
        "network",
        "medium",
        "esx01.example.com",
        "vc01.example.com",
    )
    assert_roundtrip(new)


def test_option_added_removed_and_changed(base: Snapshot) -> None:
    cluster = base.clusters["domain-c7"]
    options = {"das.isolationaddress0": "10.0.0.2", "das.isolationaddress1": "10.0.1.1"}
    new = edit(base, "cluster", "domain-c7", ha=cluster.ha.model_copy(update={"options": options}))
    items = checked_diff(base, new)
    assert brief(items) == [
        ("cluster", "domain-c7", "modified", 'ha.options["das.isolationaddress0"]', "10.0.0.1", "10.0.0.2"),
        ("cluster", "domain-c7", "added", 'ha.options["das.isolationaddress1"]', None, "10.0.1.1"),
        ("cluster", "domain-c7", "removed", 'ha.options["das.usedefaultisolationaddress"]', False, None),
    ]
    assert {(i.category, i.severity) for i in items} == {("ha", "high")}


def test_device_paths_quote_labels_with_slashes(base: Snapshot) -> None:
    vm = base.vms["vm-31"]
    cdrom = vm.devices["CD/DVD drive 1"]
    backing = cdrom.backing.model_copy(update={"file_name": "[ds1] iso/evil.iso"}) if cdrom.backing else None
    devices = {**vm.devices, "CD/DVD drive 1": cdrom.model_copy(update={"backing": backing, "connected": True})}
    items = checked_diff(base, edit(base, "vm", "vm-31", devices=devices))
    assert brief(items) == [
        (
            "vm",
            "vm-31",
            "modified",
            'devices["CD/DVD drive 1"].backing.file_name',
            "[ds1] iso/linux.iso",
            "[ds1] iso/evil.iso",
        ),
        ("vm", "vm-31", "modified", 'devices["CD/DVD drive 1"].connected', False, True),
    ]
    assert items[0].category == "devices"


def test_keys_with_quotes_and_control_characters_are_escaped(base: Snapshot) -> None:
    host = base.hosts["host-22"]
    options = {**host.advanced_options, 'Odd."key"\\x': 1, "tab\there": "x"}
    items = checked_diff(base, edit(base, "host", "host-22", advanced_options=options))
    assert [i.path for i in items] == ['advanced_options["Odd.\\"key\\"\\\\x"]', 'advanced_options["tab\\there"]']


def test_a_whole_device_added_and_removed(base: Snapshot) -> None:
    vm = base.vms["vm-33"]
    serial = Device(key=9000, type="VirtualSerialPort", backing=Backing(type="VirtualSerialPortURIBackingInfo"))
    devices = {"Serial port 1": serial, "Network adapter 1": vm.devices["Network adapter 1"]}
    items = checked_diff(base, edit(base, "vm", "vm-33", devices=devices))
    assert [(i.change, i.path) for i in items] == [
        ("removed", 'devices["CD/DVD drive 1"]'),
        ("added", 'devices["Serial port 1"]'),
    ]
    assert items[0].old == vm.devices["CD/DVD drive 1"].model_dump(mode="json")
    assert items[1].new == serial.model_dump(mode="json") and items[1].old is None


def test_a_changed_list_is_one_item_for_the_whole_list(base: Snapshot) -> None:
    new = edit(base, "host", "host-21", ntp_servers=["0.pool.ntp.org", "10.0.0.1", "2.pool.ntp.org"])
    new = edit(new, "vm", "vm-31", datastores=["datastore-11", "datastore-12"])
    items = checked_diff(base, new)
    assert brief(items) == [
        (
            "host",
            "host-21",
            "modified",
            "ntp_servers",
            ["0.pool.ntp.org", "1.pool.ntp.org"],
            ["0.pool.ntp.org", "10.0.0.1", "2.pool.ntp.org"],
        ),
        ("vm", "vm-31", "modified", "datastores", ["datastore-11"], ["datastore-11", "datastore-12"]),
    ]
    assert all("[" not in i.path for i in items)
    assert [(i.category, i.severity) for i in items] == [("time", "medium"), ("placement", "low")]


def test_type_changes(base: Snapshot) -> None:
    cluster = base.clusters["domain-c7"]
    policy = AdmissionControlPolicy(type="failover_level", failover_level=1)
    ha = cluster.ha.model_copy(
        update={
            "admission_control_policy": policy,
            "options": {**cluster.ha.options, "das.usedefaultisolationaddress": "false"},
        }
    )
    host = base.hosts["host-21"]
    options = {**host.advanced_options, "UserVars.SuppressShellWarning": False}
    vswitch = host.network.vswitches["vSwitch0"]
    teamed = vswitch.model_copy(
        update={"policy": vswitch.policy.model_copy(update={"teaming": TeamingPolicy(active_nics=["vmnic0"])})}
    )
    network = host.network.model_copy(update={"vswitches": {**host.network.vswitches, "vSwitch0": teamed}})
    new = edit(edit(base, "cluster", "domain-c7", ha=ha), "host", "host-21", advanced_options=options, network=network)
    items = checked_diff(base, new)
    assert brief(items) == [
        ("cluster", "domain-c7", "modified", "ha.admission_control_policy", None, policy.model_dump(mode="json")),
        ("cluster", "domain-c7", "modified", 'ha.options["das.usedefaultisolationaddress"]', False, "false"),
        ("host", "host-21", "modified", 'advanced_options["UserVars.SuppressShellWarning"]', 0, False),
        (
            "host",
            "host-21",
            "modified",
            'network.vswitches["vSwitch0"].policy.teaming',
            None,
            TeamingPolicy(active_nics=["vmnic0"]).model_dump(mode="json"),
        ),
    ]


def test_int_and_float_are_different_values(base: Snapshot) -> None:
    host = base.hosts["host-21"]
    options = {**host.advanced_options, "UserVars.SuppressShellWarning": 0.0}
    items = checked_diff(base, edit(base, "host", "host-21", advanced_options=options))
    assert brief(items) == [
        ("host", "host-21", "modified", 'advanced_options["UserVars.SuppressShellWarning"]', 0, 0.0)
    ]
    assert type(items[0].new) is float


def test_rename_is_one_item_plus_other_changes(base: Snapshot) -> None:
    new = edit(base, "vm", "vm-32", name="web02", power_state="poweredOff")
    items = checked_diff(base, new)
    assert brief(items) == [
        ("vm", "vm-32", "renamed", "name", "web01", "web02"),
        ("vm", "vm-32", "modified", "power_state", "poweredOn", "poweredOff"),
    ]
    assert all(i.name == "web02" for i in items)
    renamed = items[0]
    assert (renamed.category, renamed.severity) == ("identity", "info")
    assert_roundtrip(new)


def test_objects_added_and_removed_are_one_item_each(base: Snapshot) -> None:
    vms = {k: v for k, v in base.vms.items() if k != "vm-33"}
    vms["vm-34"] = base.vms["vm-33"].model_copy(update={"id": "vm-34", "name": "db02"})
    items = checked_diff(base, base.model_copy(update={"vms": vms}).with_counts())
    assert [(i.change, i.id, i.name, i.path, i.category, i.severity) for i in items] == [
        ("removed", "vm-33", "db01", "", "inventory", "medium"),
        ("added", "vm-34", "db02", "", "inventory", "low"),
    ]
    assert items[0].old == base.vms["vm-33"].model_dump(mode="json") and items[0].new is None
    assert items[1].new["name"] == "db02" and items[1].old is None


def test_same_name_objects_are_matched_by_id_not_name(base: Snapshot) -> None:
    # Two VMs named web01 swap hosts: two placement changes, no add/remove.
    new = edit(edit(base, "vm", "vm-31", host="host-22"), "vm", "vm-32", host="host-21")
    items = checked_diff(base, new)
    assert brief(items) == [
        ("vm", "vm-31", "modified", "host", "host-21", "host-22"),
        ("vm", "vm-32", "modified", "host", "host-22", "host-21"),
    ]


def test_unknown_values_are_never_reported(base: Snapshot) -> None:
    cluster = base.clusters["domain-c7"]
    ha = cluster.ha.model_copy(update={"options": {}, "enabled": False})
    new = edit(base, "cluster", "domain-c7", ha=ha, unknowns={"ha.options": "permission denied"})
    items = checked_diff(base, new)
    assert brief(items) == [("cluster", "domain-c7", "modified", "ha.enabled", True, False)]
    # unknown on the old side suppresses too, and a prefix covers everything under it
    host = base.hosts["host-21"]
    dmz = host.network.portgroups["DMZ"].model_copy(update={"vlan_id": 99})
    network = host.network.model_copy(update={"portgroups": {**host.network.portgroups, "DMZ": dmz}})
    old = edit(base, "host", "host-21", unknowns={"network.portgroups": "timeout"})
    assert checked_diff(old, edit(base, "host", "host-21", network=network)) == []
    # an unreadable value recorded as None is not a change; its siblings still are
    new_vm = edit(base, "vm", "vm-31", unknowns={"host": "no permission"}, host=None, hardware_version="vmx-20")
    assert [i.path for i in checked_diff(base, new_vm)] == ["hardware_version"]


def test_unknown_prefixes_match_whole_path_steps() -> None:
    assert under_any('ha.options["x"]', ["ha.options"])
    assert under_any("ha.options", ["ha.options"])
    assert under_any("cpu.count", ["cpu"])
    assert not under_any('ha.options["x"]', ["ha.option"])
    assert not under_any("hardware_version", ["hardware"])


def test_unknown_name_suppresses_the_rename(base: Snapshot) -> None:
    new = edit(base, "vm", "vm-31", name="", unknowns={"name": "no permission"})
    assert checked_diff(base, new) == []


def test_unknowns_alone_are_not_drift(base: Snapshot) -> None:
    new = edit(base, "vm", "vm-31", unknowns={"snapshots": "timeout"})
    assert checked_diff(base, new) == []


def test_items_are_sorted_by_kind_name_id_path(base: Snapshot) -> None:
    new = edit(base, "datastore", "datastore-11", capacity_bytes=1)
    new = edit(
        new, "vm", "vm-33", power_state="poweredOff", memory=base.vms["vm-33"].memory.model_copy(update={"size_mb": 1})
    )
    new = edit(new, "vm", "vm-31", power_state="poweredOff")
    new = edit(new, "cluster", "domain-c7", evc_mode=None)
    new = edit(new, "host", "host-22", lockdown_mode="lockdownStrict")
    items = checked_diff(base, new)
    assert [(i.kind, i.name, i.path) for i in items] == [
        ("cluster", "Prod", "evc_mode"),
        ("host", "esx02.example.com", "lockdown_mode"),
        ("vm", "db01", "memory.size_mb"),
        ("vm", "db01", "power_state"),
        ("vm", "web01", "power_state"),
        ("datastore", "ds1", "capacity_bytes"),
    ]
    assert [(i.category, i.severity) for i in items] == [
        ("evc", "high"),
        ("access", "high"),
        ("memory", "medium"),
        ("power", "info"),
        ("power", "info"),
        ("storage", "low"),
    ]


def test_default_ignores_and_extra_patterns(base: Snapshot) -> None:
    new = edit(base, "host", "host-21", ha_state="master", syslog_target="udp://10.9.9.9:514")
    new = edit(new, "vm", "vm-31", power_state="poweredOff")
    assert [i.path for i in checked_diff(base, new)] == ["syslog_target", "power_state"]
    assert [i.path for i in checked_diff(base, new, ignore=["vm:power_state"])] == ["syslog_target"]
    assert [i.path for i in checked_diff(base, new, ignore=["!host:ha_state", "*:power*"])] == [
        "ha_state",
        "syslog_target",
    ]
    assert checked_diff(base, new, ignore=["host:*", "vm:"]) != []  # "vm:" only matches whole-object items
    assert [i.path for i in checked_diff(base, new, ignore=["host:*", "vm:*"])] == []


def test_unchanged_objects_are_skipped_before_deepdiff(base: Snapshot, monkeypatch: pytest.MonkeyPatch) -> None:
    calls: list[Any] = []
    real = engine.DeepDiff  # type: ignore[attr-defined]

    def counting(*args: Any, **kwargs: Any) -> Any:
        calls.append(args[0].get("id"))
        return real(*args, **kwargs)

    monkeypatch.setattr(engine, "DeepDiff", counting)
    new = edit(base, "vm", "vm-31", power_state="poweredOff")
    assert len(engine.diff_snapshots(base, new)) == 1
    assert calls == ["vm-31"]
    calls.clear()
    assert engine.diff_snapshots(base, edit(base, "vm", "vm-32", name="renamed only")) != []
    assert calls == ["vm-32"]  # the rest of a renamed object still goes through DeepDiff, once


def test_diff_names_the_new_vcenter(base: Snapshot) -> None:
    new = edit(base, "vm", "vm-31", power_state="poweredOff")
    assert {i.vcenter for i in checked_diff(base, new)} == {"vc01.example.com"}


def test_dict_insertion_order_is_not_a_change(base: Snapshot) -> None:
    host = base.hosts["host-21"]
    reordered = dict(reversed(list(host.advanced_options.items())))
    assert list(reordered) != list(host.advanced_options)
    new = edit(base, "host", "host-21", advanced_options=reordered)
    assert engine.same_content(host, new.hosts["host-21"])
    assert checked_diff(base, new) == []


def test_scalar_types_are_content(base: Snapshot) -> None:
    host = base.hosts["host-21"]
    as_bool = edit(
        base, "host", "host-21", advanced_options={**host.advanced_options, "UserVars.SuppressShellWarning": False}
    )
    assert not engine.same_content(host, as_bool.hosts["host-21"])  # 0 and False are equal in Python, not in JSON
