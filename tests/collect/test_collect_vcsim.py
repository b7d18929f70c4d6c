"""The collector against the real vSphere API of the simulator (tests/vcsim)."""

from __future__ import annotations

import json
import socket
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from driftguard.collect import (
    PROPERTY_PATHS,
    CertificateError,
    CollectionError,
    ConnectError,
    LoginError,
    collect_history,
    collect_inventory,
    connect,
    expected_round_trips,
)
from driftguard.collect.inventory import group_of
from driftguard.normalize import normalize_snapshot
from tests.vcsim import scenario

pytestmark = pytest.mark.vcsim

ALICE = "VSPHERE.LOCAL\\alice"


def _view_counts(raw: Any) -> tuple[dict[str, int], int]:
    """(objects in each group's container view, hosts' option managers) of a raw inventory."""
    objects = raw["objects"]
    in_view: dict[str, int] = {}
    for kind, items in objects.items():
        if kind != "OptionManager":
            in_view[group_of(kind)] = in_view.get(group_of(kind), 0) + len(items)
    return in_view, len(objects.get("OptionManager", []))


def _props(raw: Any, kind: str) -> list[dict[str, Any]]:
    return [obj["props"] for obj in raw["objects"][kind]]


def test_inventory_contains_the_preloaded_configuration(vcsim: Any) -> None:
    with connect(vcsim.url, vcsim.username, vcsim.password) as session:
        raw = collect_inventory(session)
    json.dumps(raw)  # the raw layer is plain data
    assert raw["vcenter"]["url"] == vcsim.url
    assert raw["vcenter"]["about"]["instanceUuid"] == vcsim.info["instance_uuid"]
    counts = vcsim.info["counts"]
    assert len(raw["objects"]["ClusterComputeResource"]) == counts["clusters"]
    assert len(raw["objects"]["HostSystem"]) == counts["hosts"]  # standalone ones included
    assert len(raw["objects"]["VirtualMachine"]) == counts["vms"]

    cluster = _props(raw, "ClusterComputeResource")[0]
    das = cluster["configurationEx"]["dasConfig"]
    assert das["_type"] == "ClusterDasConfigInfo"
    assert {o["key"] for o in das["option"]} >= {"das.isolationaddress0"}
    assert cluster["summary"]["currentEVCModeKey"] == "intel-broadwell"

    clustered = [h for h in _props(raw, "HostSystem") if h["parent"]["type"] == "ClusterComputeResource"]
    assert all(h["summary.maxEVCModeKey"] == "intel-skylake" for h in clustered)
    assert all(h["config.lockdownMode"] == "lockdownNormal" for h in clustered)
    assert all("vMotion" in {pg["spec"]["name"] for pg in h["config.network"]["portgroup"]} for h in clustered)
    settings = [{o["key"]: o.get("value") for o in m["setting"]} for m in _props(raw, "OptionManager")]
    assert all(s.get("Syslog.global.logHost") == "udp://10.0.0.5:514" for s in settings)
    assert all(obj["missing"] == {} for objects in raw["objects"].values() for obj in objects)

    snapshot = normalize_snapshot(raw)
    host = next(h for h in snapshot.hosts.values() if h.cluster is not None)
    assert host.syslog_target == "udp://10.0.0.5:514"
    assert "vmotion" in host.network.vmkernel_nics["vmk1"].services
    assert host.cluster_name is not None and host.datacenter == "DC0"
    assert all(vm.cpu.feature_mask for vm in snapshot.vms.values())
    assert snapshot.manifest.unknowns == 0


def test_round_trips_grow_with_pages_not_objects(vcsim_factory: Any) -> None:
    sim = vcsim_factory(clusters=1, hosts=3, standalone_hosts=1, vms=3)
    with connect(sim.url, sim.username, sim.password) as session:
        whole = collect_inventory(session, page_size=500)
        paged = collect_inventory(session, page_size=2)
    objects, managers = _view_counts(paged)
    assert (objects, managers) == _view_counts(whole)
    assert sum(objects.values()) > 10 and objects["vms"] == 12 and managers == 4
    assert whole["round_trips"] == expected_round_trips(objects, managers, 500) == 3 * 3 + 1
    # per group: 1 CreateContainerView + ceil(objects/2) pages + 1 DestroyView; then ceil(managers/2) option pages
    assert paged["round_trips"] == expected_round_trips(objects, managers, 2), (
        "the simulator must honour RetrieveOptions.maxObjects and ContinueRetrievePropertiesEx "
        "(vcsim 0.24.2 ignores them; tests/vcsim has to page like vCenter)"
    )
    assert {kind: [o["moref"] for o in objs] for kind, objs in paged["objects"].items()} == {
        kind: [o["moref"] for o in objs] for kind, objs in whole["objects"].items()
    }


def test_round_trip_count_is_the_real_number_of_requests(vcsim: Any) -> None:
    with connect(vcsim.url, vcsim.username, vcsim.password) as session:
        assert session.round_trips == 2  # RetrieveServiceContent + Login
        raw = collect_inventory(session)
        assert session.round_trips == 2 + raw["round_trips"]


def test_missing_properties_are_recorded_per_object(vcsim: Any) -> None:
    paths = dict(PROPERTY_PATHS)
    # Not a vSphere property: the simulator reports it in missingSet (a real vCenter would fail the call,
    # which is why the shipped paths are checked against pyVmomi's metadata in test_collect_units).
    paths["HostSystem"] = (*PROPERTY_PATHS["HostSystem"], "config.noSuchProperty")
    # Declared, but newer than the simulator's API 6.5: recorded locally, never sent.
    paths["HostSystem"] = (*paths["HostSystem"], "config.descriptionTreeCheckSum")
    with connect(vcsim.url, vcsim.username, vcsim.password) as session:
        raw = collect_inventory(session, paths=paths)
    for host in raw["objects"]["HostSystem"]:
        assert host["missing"]["config.noSuchProperty"].startswith("InvalidProperty")
        assert host["missing"]["config.descriptionTreeCheckSum"].startswith("NotSupported:")
        assert "6.5" in host["missing"]["config.descriptionTreeCheckSum"]
    assert all(vm["missing"] == {} for vm in raw["objects"]["VirtualMachine"])

    snapshot = normalize_snapshot(raw)
    for host in snapshot.hosts.values():
        assert host.unknowns["config.noSuchProperty"].startswith("InvalidProperty")
    assert snapshot.manifest.unknowns == 2 * len(snapshot.hosts)


def test_progress_is_reported_per_page(vcsim: Any) -> None:
    calls: list[tuple[str, int, int | None]] = []
    with connect(vcsim.url, vcsim.username, vcsim.password) as session:
        raw = collect_inventory(session, page_size=1000, on_progress=lambda *call: calls.append(call))
    objects, managers = _view_counts(raw)
    assert ("inventory", sum(objects.values()), None) in calls  # the groups are read at once: counts add up
    assert ("host-options", managers, managers) in calls


def test_history_of_a_window_with_users(vcsim: Any) -> None:
    vm = vcsim.info["datacenters"][0]["clusters"][0]["hosts"][0]["vms"][0]
    time.sleep(0.05)
    begin = datetime.now(UTC)
    time.sleep(0.05)
    scenario.set_vm_cpus(vcsim.url, ALICE, vm["name"], 4)
    with connect(vcsim.url, vcsim.username, vcsim.password) as session:
        history = collect_history(session, begin=begin)
        only_bob = collect_history(session, begin=begin, users={"VSPHERE.LOCAL\\bob"})
        before_everything = collect_history(session, begin=begin - timedelta(days=30))
    json.dumps(history)

    reconfigured = [e for e in history["events"] if e["_type"] == "VmReconfiguredEvent"]
    assert len(reconfigured) == 1
    event = reconfigured[0]
    assert event["userName"] == ALICE
    assert event["vm"]["vm"] == {"_type": "ManagedObjectReference", "type": "VirtualMachine", "value": vm["moref"]}
    assert event["configSpec"]["numCPUs"] == 4
    assert all(begin.isoformat() < e["createdTime"] for e in history["events"])
    assert history["events"] == sorted(history["events"], key=lambda e: (e["createdTime"], e["key"]))
    # Events from before the window (the simulator's own creation events) prove nothing was purged.
    assert history["complete"] is True
    assert history["oldest_event_time"] is not None and history["oldest_event_time"] <= begin.isoformat()

    # The simulator has no task history: recentTask is read instead, and said so.
    assert history["tasks_source"] == "recent"
    assert history["tasks_complete"] is False
    assert any(t["entity"]["value"] == vm["moref"] for t in history["tasks"])
    assert any("recentTask" in note for note in history["notes"])

    assert only_bob["events"] == [] and only_bob["tasks"] == []
    assert before_everything["complete"] is False
    assert any("predates" in note for note in before_everything["notes"])


def test_history_round_trips_are_counted(vcsim: Any) -> None:
    with connect(vcsim.url, vcsim.username, vcsim.password) as session:
        before = session.round_trips
        history = collect_history(session, begin=datetime.now(UTC) - timedelta(minutes=1))
        assert history["round_trips"] == session.round_trips - before
        assert history["round_trips"] >= 5  # create + page size + read(s) + destroy + tasks


def test_wrong_password_is_a_login_error_without_the_password(vcsim_factory: Any) -> None:
    sim = vcsim_factory(username="administrator@vsphere.local", password="correct-horse")
    with pytest.raises(LoginError) as caught:
        connect(sim.url, "administrator@vsphere.local", "battery-staple")
    message = str(caught.value)
    assert message == (
        f"login to {sim.host}:{sim.port} as administrator@vsphere.local failed: incorrect user name or password"
    )
    assert "battery-staple" not in repr(caught.value) and "battery-staple" not in repr(caught.value.args)
    assert caught.value.__cause__ is None and caught.value.__suppress_context__


@pytest.mark.parametrize(("user", "password"), [("admin", ""), ("", "some-password")])
def test_empty_credentials_are_refused(vcsim: Any, user: str, password: str) -> None:
    with pytest.raises(LoginError, match=f"login to {vcsim.host}:{vcsim.port} as "):
        connect(vcsim.url, user, password)


def test_session_never_shows_its_secrets(vcsim: Any) -> None:
    secret = "pw-that-must-not-leak"
    session = connect(vcsim.url, "admin", secret)
    try:
        cookie = session._stub.cookie
        assert cookie
        for text in (repr(session), str(session), repr(session._stub), repr(vars(session))):
            assert secret not in text
        assert cookie not in repr(session) and cookie not in repr(session._stub)
    finally:
        session.close()
    assert session.round_trips == 3  # content, login, logout
    session.close()  # idempotent
    assert session.round_trips == 3


def test_self_signed_tls_is_refused_by_default(vcsim_factory: Any, tmp_path: Path) -> None:
    sim = vcsim_factory(tls=True, username="administrator@vsphere.local", password="tls-test-secret")
    assert sim.url.startswith("https://")
    with pytest.raises(CertificateError) as caught:
        connect(sim.url, sim.username, sim.password)
    message = str(caught.value)
    assert f"{sim.host}:{sim.port}" in message and "--insecure" in message and "CA" in message
    assert sim.password not in message

    with connect(sim.url, sim.username, sim.password, insecure=True) as session:
        assert session.content.about.instanceUuid == sim.info["instance_uuid"]

    ca_file = tmp_path / "vcsim-ca.pem"
    ca_file.write_text(sim.info["cert_pem"])
    with connect(sim.url, sim.username, sim.password, ca_file=str(ca_file)) as session:
        assert session.round_trips == 2


def test_unreachable_vcenter_is_a_connect_error() -> None:
    with socket.socket() as probe:  # a port that was free a moment ago: nobody listens there
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    with pytest.raises(ConnectError, match=rf"cannot reach vCenter 127\.0\.0\.1:{port}: connection refused"):
        connect(f"http://127.0.0.1:{port}/sdk", "admin", "secret", timeout=5)


def test_connection_lost_mid_collection_is_a_collection_error(vcsim_factory: Any) -> None:
    # 2 requests to log in, 1 to create the view; the simulator dies on the first property page.
    sim = vcsim_factory(stop_after_requests=3)
    session = connect(sim.url, sim.username, sim.password)
    with pytest.raises(CollectionError) as caught:
        collect_inventory(session)
    message = str(caught.value)
    assert message.startswith(f"connection to vCenter {sim.host}:{sim.port} lost while reading the inventory")
    assert sim.password not in message
    session.close()  # logging out of a dead server is not an error
