"""Logical changes (report/changes.py) and their words (report/describe.py): pure functions over drift items."""

from __future__ import annotations

import json

from hypothesis import given, settings

from driftguard.diff import diff_snapshots
from driftguard.models import Attribution, DriftItem, Snapshot
from driftguard.report.changes import (
    GROUP_MIN,
    group_identical,
    logical_changes,
    names_from_items,
    names_from_snapshot,
    unit_path,
)
from driftguard.report.describe import DIFF_LINES, FIELDS, VALUE_CHARS, describe
from tests.paths import FIXTURES
from tests.report import samples
from tests.strategies import snapshot_pairs


def _by_path(path: str, items: list[DriftItem] | None = None) -> list[object]:
    changes = logical_changes(items if items is not None else samples.review_items())
    return [c for c in changes if c.path == path]


def test_unit_path_splits_at_the_last_key_with_fields_after_it() -> None:
    assert unit_path('devices["CD/DVD drive 1"].backing.type') == ('devices["CD/DVD drive 1"]', "backing.type")
    assert unit_path('ha.options["das.isolationaddress0"]') == ('ha.options["das.isolationaddress0"]', "")
    assert unit_path('network.portgroups["DMZ"].policy.security.forged_transmits') == (
        'network.portgroups["DMZ"]',
        "policy.security.forged_transmits",
    )
    assert unit_path("memory.size_mb") == ("memory.size_mb", "")
    assert unit_path("") == ("", "")
    assert unit_path("not a [path") == ("not a [path", "")


def test_a_cdrom_re_pointed_at_an_iso_is_one_change_in_words() -> None:
    (change,) = _by_path('devices["CD/DVD drive 1"]')
    assert change.path == 'devices["CD/DVD drive 1"]'
    assert change.fields == ("backing.device_name", "backing.file_name", "backing.type")
    assert len(change.items) == 3 and change.attribution is not None and change.attribution.event_key == 305
    words = describe(change)
    assert words.summary == ("host device /vmfs/devices/cdrom/mpx.vmhba0:C0:T0:L0 → ISO [LocalDS_0] iso/rescue.iso"), (
        words
    )


def test_an_agent_file_edit_is_one_change_with_a_unified_diff() -> None:
    (change,) = _by_path(f'ha_agent.files["{samples.FDM}"]')
    words = describe(change)  # type: ignore[arg-type]
    assert words.summary == f"{len(samples.FDM_OLD)} → {len(samples.FDM_NEW)} bytes, sha256 a1a1a1a1a1a1 → b2b2b2b2b2b2"
    assert "-    <address>10.0.0.1</address>" in words.details
    assert "+    <address>10.99.9.9</address>" in words.details
    assert words.details[0].startswith("@@ ")


def test_a_long_agent_file_diff_is_cut_unless_wide() -> None:
    old = "".join(f"line {n}\n" for n in range(100))
    new = "".join(f"line {n} changed\n" for n in range(100))
    item = DriftItem(
        vcenter="vc", kind="host", id="host-1", name="esx", change="modified", category="ha_agent",
        severity="high", path='ha_agent.files["/etc/opt/vmware/fdm/hostlist"].text', old=old, new=new,
    )  # fmt: skip
    (change,) = logical_changes([item])
    short = describe(change)
    assert short.cut and len(short.details) == DIFF_LINES + 1 and "--wide" in short.details[-1]
    full = describe(change, wide=True)
    assert not full.cut and "+line 99 changed" in full.details


def test_an_added_portgroup_shows_its_vlan_and_security_policy() -> None:
    (change,) = _by_path('network.portgroups["DMZ"]')
    words = describe(change)  # type: ignore[arg-type]
    assert words.summary == "+ added with 6 fields"
    assert words.details[:2] == ("vlan_id: 66", "vswitch: vSwitch0")
    assert "policy.security.forged_transmits: true" in words.details
    assert not any("teaming" in line or "null" in line for line in words.details)  # unset fields say nothing


def test_a_whole_object_added_lists_its_first_fields_and_says_how_many_more() -> None:
    fixture = json.loads((FIXTURES / "normalize" / "snapshot" / "vcsim-default.json").read_text())["expected"]
    cluster = next(iter(fixture["clusters"].values()))
    item = DriftItem(
        vcenter="vc", kind="cluster", id=cluster["id"], name=cluster["name"], change="added", path="",
        new=cluster, category="inventory", severity="low",
    )  # fmt: skip
    (change,) = logical_changes([item])
    words = describe(change)
    assert words.cut and len(words.details) == FIELDS + 1 and words.details[-1].startswith("… ")
    assert len(describe(change, wide=True).details) > FIELDS + 1


def test_morefs_the_map_knows_are_shown_as_names() -> None:
    (change,) = _by_path("cluster")
    assert describe(change, samples.REVIEW_NAMES).summary == "DC0_C0 → DC0_C1"  # type: ignore[arg-type]
    assert describe(change, samples.REVIEW_NAMES, wide=True).summary == (  # type: ignore[arg-type]
        "DC0_C0 (clustercomputeresource-27) → DC0_C1 (clustercomputeresource-54)"
    )
    assert describe(change).summary == "clustercomputeresource-27 → clustercomputeresource-54"  # type: ignore[arg-type]


def test_names_come_from_a_snapshot_or_from_the_items() -> None:
    fixture = json.loads((FIXTURES / "normalize" / "snapshot" / "vcsim-default.json").read_text())["expected"]
    names = names_from_snapshot(Snapshot.model_validate(fixture))
    assert names["clustercomputeresource-27"] == "DC0_C0" and names["host-21"] == "DC0_H0"
    assert names_from_items(samples.review_items())["vm-40"] == "DC0_H0_VM0"


def test_long_values_are_cut_unless_wide() -> None:
    item = samples.review_items()[4].model_copy(update={"path": "notes", "old": "x" * 200, "new": "y"})
    (change,) = logical_changes([item])
    assert describe(change).cut and "…" in describe(change).summary
    assert len(describe(change).summary) < VALUE_CHARS * 2
    assert describe(change, wide=True).summary == "x" * 200 + " → y"


def test_strings_are_bare_unless_they_would_read_as_something_else() -> None:
    base = samples.review_items()[4]

    def shown(value: object) -> str:
        (change,) = logical_changes([base.model_copy(update={"path": "notes", "old": None, "new": value})])
        return describe(change).summary.split(" → ", 1)[1]

    assert shown("10.0.0.2") == "10.0.0.2"
    assert shown("42") == '"42"' and shown("true") == '"true"' and shown("") == '""' and shown(" x") == '" x"'
    assert shown("a → b") == '"a → b"' and shown('"q"') == '"\\"q\\""' and shown(42) == "42"


def test_different_events_on_one_entry_stay_separate_changes() -> None:
    items = samples.review_items()[5:8]
    other = Attribution(status="attributed", confidence="exact", user="mallory", event_type="X", event_key=9)
    items[1] = items[1].model_copy(update={"attribution": other})
    changes = logical_changes(items)
    assert [len(c.items) for c in changes] == [2, 1]
    assert changes[1].path == 'devices["CD/DVD drive 1"].backing.file_name'  # alone: its full path


def test_identical_changes_on_many_objects_are_one_group() -> None:
    grouped = group_identical(logical_changes(samples.review_items(copies=12)))
    (memory,) = [c for c in grouped if c.path == "memory.size_mb"]
    assert memory.grouped and len(memory.objects) == 12 and len(memory.items) == 12
    assert [ref.name for ref in memory.objects][:2] == ["app00", "app01"]


def test_fewer_than_the_minimum_or_different_users_or_days_are_not_grouped() -> None:
    items = samples.review_items(copies=GROUP_MIN - 1)
    assert len(group_identical(logical_changes(items))) == len(logical_changes(items))
    many = samples.review_items(copies=GROUP_MIN * 2)[8:]
    bob = Attribution(status="attributed", confidence="exact", user="VSPHERE.LOCAL\\bob", event_type="E")
    mixed = [item.model_copy(update={"attribution": bob}) if n % 2 else item for n, item in enumerate(many)]
    assert sorted(len(c.objects) for c in group_identical(logical_changes(mixed))) == [GROUP_MIN, GROUP_MIN]
    later = [item.model_copy(update={"attribution": _on_day(item, n % 2 + 1)}) for n, item in enumerate(many)]
    assert sorted(len(c.objects) for c in group_identical(logical_changes(later))) == [GROUP_MIN, GROUP_MIN]


def _on_day(item: DriftItem, day: int) -> Attribution:
    assert item.attribution is not None
    return Attribution.model_validate({**item.attribution.model_dump(), "time": f"2026-12-0{day}T01:00:00Z"})


@settings(max_examples=40, deadline=None)
@given(snapshot_pairs())
def test_every_item_is_in_exactly_one_change_in_order(pair: tuple[Snapshot, Snapshot]) -> None:
    items = diff_snapshots(*pair)
    for changes in (logical_changes(items), group_identical(logical_changes(items), minimum=2)):
        seen = [id(item) for change in changes for item in change.items]
        assert sorted(seen) == sorted(id(item) for item in items)
        for change in changes:
            describe(change)  # every shape the engine makes has words


def _one(**fields: object) -> object:
    base = {"vcenter": "vc", "kind": "vm", "id": "vm-1", "name": "web", "category": "devices", "severity": "medium"}
    (change,) = logical_changes([DriftItem.model_validate({**base, **fields})])
    return change


def test_devices_added_removed_and_re_pointed_read_as_their_backings() -> None:
    serial = {"key": 9000, "type": "VirtualSerialPort", "backing": {"type": "VirtualSerialPortURIBackingInfo",
              "service_uri": "telnet://10.0.0.9:23"}}  # fmt: skip
    added = _one(change="added", path='devices["Serial port 1"]', new=serial)
    assert describe(added).summary == "+ VirtualSerialPort: network telnet://10.0.0.9:23"  # type: ignore[arg-type]
    removed = _one(change="removed", path='devices["Floppy 1"]', old={"key": 8000, "type": "VirtualFloppy",
                   "backing": {"type": "VirtualFloppyRemoteDeviceBackingInfo"}})  # fmt: skip
    assert describe(removed).summary == "- VirtualFloppy: client device"  # type: ignore[arg-type]
    base = {"vcenter": "vc", "kind": "vm", "id": "vm-1", "name": "web", "category": "devices", "severity": "medium"}
    nic = 'devices["Network adapter 1"]'
    items = [
        DriftItem.model_validate({**base, "change": "modified", "path": f"{nic}.backing.type",
                                  "old": "VirtualEthernetCardNetworkBackingInfo", "new": "VirtualFutureBackingInfo"}),
        DriftItem.model_validate({**base, "change": "modified", "path": f"{nic}.backing.network", "old": "VM Network",
                                  "new": None}),
        DriftItem.model_validate({**base, "change": "modified", "path": f"{nic}.connected", "old": True, "new": False}),
    ]  # fmt: skip
    (change,) = logical_changes(items)
    words = describe(change)
    assert words.summary == "network VM Network → Future" and words.details == ("connected: true → false",)


def test_agent_files_added_and_removed_and_several_plain_fields() -> None:
    path = 'ha_agent.files["/etc/opt/vmware/fdm/hostlist"]'
    added = _one(kind="host", change="added", path=path, new={"sha256": "c" * 64, "size": 3, "text": "a\nb\n"})
    words = describe(added)  # type: ignore[arg-type]
    assert words.summary == "added (3 bytes)" and words.details[-2:] == ("+a", "+b")
    removed = _one(kind="host", change="removed", path=path, old={"sha256": "c" * 64, "size": 3, "binary": True})
    assert describe(removed).summary == "removed (3 bytes), binary: true"  # type: ignore[arg-type]
    base = {"vcenter": "vc", "kind": "host", "id": "host-1", "name": "esx", "category": "services", "severity": "low"}
    items = [
        DriftItem.model_validate({**base, "change": "modified", "path": f'services["TSM-SSH"].{field}', "old": old,
                                  "new": new})
        for field, old, new in (("running", False, True), ("policy", "off", "on"))
    ]  # fmt: skip
    (change,) = logical_changes(items)
    assert describe(change).summary == "2 fields"
    assert describe(change).details == ("running: false → true", "policy: off → on")


def test_lists_of_morefs_are_named() -> None:
    change = _one(change="modified", path="datastores", old=["datastore-1"], new=["datastore-1", "datastore-2"])
    names = {"datastore-1": "LocalDS_0", "datastore-2": "SAN-01"}
    assert describe(change, names).summary == "[LocalDS_0] → [LocalDS_0, SAN-01]"  # type: ignore[arg-type]
