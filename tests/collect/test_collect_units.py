"""Collect-side logic that needs no server: property paths (G1), raw conversion, URLs, versions, errors."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta, timezone

import pytest
from pyVmomi import vim, vmodl

from driftguard.collect import PROPERTY_PATHS, VIEW_TYPES, InvalidURLError, to_raw
from driftguard.collect.inventory import OPTION_MANAGER_PATHS, declared_versions, expected_round_trips, wsdl_type
from driftguard.collect.raw import fault_text
from driftguard.collect.session import _api_version, parse_url


@pytest.mark.parametrize(
    ("type_name", "path"),
    [(type_name, path) for type_name, paths in PROPERTY_PATHS.items() for path in paths]
    + [("OptionManager", path) for path in OPTION_MANAGER_PATHS],
)
def test_every_path_walks_only_declared_types(type_name: str, path: str) -> None:
    # Reference G1: a real vCenter fails the whole RetrievePropertiesEx on one path through an undeclared
    # subtype (configurationEx.dasConfig); the simulator accepts it, so only this test catches it.
    assert declared_versions(type_name, path) is not None, f"{type_name}.{path} is not a declared path"


def test_declared_versions_rejects_subtype_and_array_paths() -> None:
    assert declared_versions("ComputeResource", "configurationEx.dasConfig") is None
    assert declared_versions("ClusterComputeResource", "configurationEx.dasConfig") is None
    assert declared_versions("HostSystem", "hardware.cpuPkg.vendor") is None  # through an array
    assert declared_versions("HostSystem", "config.bogus") is None
    assert declared_versions("ClusterComputeResource", "configuration.dasConfig.enabled") is not None


def test_no_path_is_requested_twice_for_one_object() -> None:
    # A spec applies to subtypes: the same path on a type and its supertype would be sent twice.
    for sub in PROPERTY_PATHS:
        for sup in PROPERTY_PATHS:
            if sub != sup and issubclass(wsdl_type(sub), wsdl_type(sup)):
                assert not set(PROPERTY_PATHS[sub]) & set(PROPERTY_PATHS[sup]), (sub, sup)


def test_every_spec_type_is_reachable_through_the_view() -> None:
    for type_name in PROPERTY_PATHS:
        if type_name == "ManagedEntity":
            continue
        assert any(issubclass(wsdl_type(type_name), wsdl_type(view)) for view in VIEW_TYPES), (
            f"{type_name} objects are not in the container view"
        )


def test_to_raw_converts_data_objects_generically() -> None:
    portgroup = vim.host.PortGroup(
        key="key-vim.host.PortGroup-DMZ",
        spec=vim.host.PortGroup.Specification(
            name="DMZ",
            vlanId=30,
            vswitchName="vSwitch0",
            policy=vim.host.NetworkPolicy(
                security=vim.host.NetworkPolicy.SecurityPolicy(allowPromiscuous=False, forgedTransmits=True)
            ),
        ),
        port=[],
    )
    assert to_raw(portgroup) == {
        "_type": "HostPortGroup",
        "key": "key-vim.host.PortGroup-DMZ",
        "spec": {
            "_type": "HostPortGroupSpec",
            "name": "DMZ",
            "vlanId": 30,
            "vswitchName": "vSwitch0",
            "policy": {
                "_type": "HostNetworkPolicy",
                "security": {
                    "_type": "HostNetworkSecurityPolicy",
                    "allowPromiscuous": False,
                    "forgedTransmits": True,
                },
            },
        },
    }


def test_to_raw_scalars_references_times_binary() -> None:
    tz = timezone(timedelta(hours=2))
    assert to_raw(vim.HostSystem("host-21")) == {
        "_type": "ManagedObjectReference",
        "type": "HostSystem",
        "value": "host-21",
    }
    assert to_raw(datetime(2024, 5, 1, 14, 0, tzinfo=tz)) == "2024-05-01T12:00:00+00:00"
    assert to_raw(datetime(2024, 5, 1, 12, 0)) == "2024-05-01T12:00:00+00:00"
    assert to_raw(b"\x00\x01") == {"_type": "binary", "base64": "AAE="}
    assert to_raw(vim.HostSystem.PowerState.poweredOn) == "poweredOn"
    assert type(to_raw(vim.HostSystem.PowerState.poweredOn)) is str
    option = to_raw(vim.option.OptionValue(key="Mem.ShareForceSalting", value=2))
    assert option == {"_type": "OptionValue", "key": "Mem.ShareForceSalting", "value": 2}
    assert to_raw(vim.option.OptionValue(key="x", value=True))["value"] is True


def test_to_raw_output_is_json_serialisable_and_keeps_fault_types() -> None:
    info = vim.TaskInfo(
        key="task-1",
        descriptionId="VirtualMachine.reconfigure",
        state="error",
        error=vim.fault.InvalidDeviceSpec(msg="bad device", deviceIndex=0),
        queueTime=datetime(2024, 5, 1, tzinfo=UTC),
        reason=vim.TaskReasonUser(userName="VSPHERE.LOCAL\\alice"),
    )
    raw = to_raw(info)
    json.dumps(raw)
    assert raw["error"]["_type"] == "InvalidDeviceSpec"
    assert raw["error"]["msg"] == "bad device"
    assert raw["reason"] == {"_type": "TaskReasonUser", "userName": "VSPHERE.LOCAL\\alice"}


def test_fault_text_names_type_and_privilege() -> None:
    assert fault_text(vim.fault.NoPermission(privilegeId="Host.Config.NetService")) == (
        "NoPermission: requires privilege Host.Config.NetService"
    )
    assert fault_text(vmodl.query.InvalidProperty(msg="config.bogus")) == "InvalidProperty: config.bogus"
    assert fault_text(vmodl.query.InvalidProperty()) == "InvalidProperty"


@pytest.mark.parametrize(
    ("url", "expected", "host"),
    [
        ("https://vc01.example.com", "https://vc01.example.com:443/sdk", "vc01.example.com"),
        ("vc01.example.com", "https://vc01.example.com:443/sdk", "vc01.example.com"),
        ("https://vc01.example.com:8443/sdk", "https://vc01.example.com:8443/sdk", "vc01.example.com:8443"),
        ("http://127.0.0.1:40077/sdk", "http://127.0.0.1:40077/sdk", "127.0.0.1:40077"),
        ("https://[fd00::1]/", "https://[fd00::1]:443/sdk", "[fd00::1]"),
    ],
)
def test_parse_url(url: str, expected: str, host: str) -> None:
    endpoint = parse_url(url)
    assert endpoint.url == expected
    assert endpoint.host == host


def test_parse_url_refuses_credentials_without_echoing_them() -> None:
    with pytest.raises(InvalidURLError) as caught:
        parse_url("https://admin:s3cret-pw@vc01.example.com/sdk")
    assert "s3cret-pw" not in str(caught.value)
    assert "s3cret-pw" not in repr(caught.value.args)
    assert "vc01.example.com" in str(caught.value)


@pytest.mark.parametrize("url", ["ftp://vc01", "https://", "https://vc01:99999"])
def test_parse_url_rejects_nonsense(url: str) -> None:
    with pytest.raises(InvalidURLError):
        parse_url(url)


@pytest.mark.parametrize(
    ("about", "version"),
    [
        ("6.5", "vim.version.version11"),
        ("8.0.3.0", "vim.version.v8_0_3_0"),
        ("6.7.3", "vim.version.version15"),
        ("7.0.3.1", "vim.version.v7_0_3_1"),
        ("99.0", "vim.version.v9_1_1_0"),  # newer than this pyVmomi: its newest
        ("", "vim.version.version9"),  # unknown: the bootstrap version every vCenter speaks
    ],
)
def test_api_version_negotiation(about: str, version: str) -> None:
    assert _api_version(about) == version


def test_expected_round_trips_formula() -> None:
    # per group (others, hosts, vms): CreateContainerView + its pages (at least one) + DestroyView; then options
    assert expected_round_trips({"others": 10}, hosts_with_options=0, page_size=500) == 3 * 2 + 3
    assert expected_round_trips({"others": 4, "hosts": 4, "vms": 9}, hosts_with_options=4, page_size=4) == (
        3 * 2 + (1 + 1 + 3) + 1
    )
    assert expected_round_trips({}, hosts_with_options=0, page_size=2) == 3 * 2 + 3
