"""The category table: the most specific row wins; every row is reachable."""

from __future__ import annotations

import pytest

from driftguard.diff import CATEGORY_RULES, FALLBACK, CategoryRule, categorize
from driftguard.models import Change
from driftguard.models.patterns import glob_match


@pytest.mark.parametrize(
    ("kind", "path", "change", "expected"),
    [
        ("cluster", 'ha.options["das.isolationaddress0"]', "modified", ("ha", "high")),
        ("cluster", "ha.admission_control_policy", "modified", ("ha", "high")),
        ("cluster", "drs.vmotion_rate", "modified", ("drs", "medium")),
        ("cluster", 'drs.rules["keep apart"]', "added", ("drs", "medium")),
        ("cluster", "evc_mode", "modified", ("evc", "high")),
        ("cluster", "hosts", "modified", ("membership", "medium")),
        ("vm", 'cpu.feature_mask["1"].ecx', "modified", ("cpu_mask", "high")),
        ("vm", 'cpu.feature_mask["1"]', "added", ("cpu_mask", "high")),
        ("vm", "cpu.count", "modified", ("cpu", "medium")),
        ("vm", "memory.size_mb", "modified", ("memory", "medium")),
        ("vm", 'devices["CD/DVD drive 1"].backing.file_name', "modified", ("devices", "medium")),
        ("vm", 'devices["Network adapter 1"].backing.network', "modified", ("network", "medium")),
        ("vm", "host", "modified", ("placement", "low")),
        ("vm", "cluster", "modified", ("placement", "low")),
        ("vm", "datastores", "modified", ("placement", "low")),
        ("vm", "power_state", "modified", ("power", "info")),
        ("vm", 'snapshots["before patch"]', "added", ("snapshots", "low")),
        (
            "host",
            'network.portgroups["DMZ"].policy.security.allow_promiscuous',
            "modified",
            ("network_security", "high"),
        ),
        (
            "host",
            'network.portgroups["DMZ"].effective_security.forged_transmits',
            "modified",
            ("network_security", "high"),
        ),
        ("host", 'network.vswitches["vSwitch0"].policy.security.mac_changes', "modified", ("network_security", "high")),
        ("host", 'network.portgroups["DMZ"].vlan_id', "modified", ("network", "medium")),
        ("host", 'network.portgroups["DMZ"]', "added", ("network", "medium")),
        ("host", 'services["TSM-SSH"].running', "modified", ("access", "high")),
        ("host", 'services["TSM"].policy', "modified", ("access", "high")),
        ("host", 'services["TSM-SSHX"].policy', "modified", ("services", "medium")),
        ("host", 'services["ntpd"].running', "modified", ("services", "medium")),
        ("host", "lockdown_mode", "modified", ("access", "high")),
        ("host", "syslog_target", "modified", ("logging", "high")),
        ("host", 'advanced_options["Syslog.global.logHost"]', "modified", ("logging", "high")),
        ("host", 'advanced_options["Net.BlockGuestBPDU"]', "modified", ("advanced_options", "medium")),
        ("host", 'ha_agent.files["/etc/opt/vmware/fdm/fdm.cfg"].sha256', "modified", ("ha_agent", "high")),
        ("host", "evc.current_mode", "modified", ("evc", "high")),
        ("host", "ntp_servers", "modified", ("time", "medium")),
        ("dvswitch", 'portgroups["dvDMZ"].policy.security.allow_promiscuous', "modified", ("network_security", "high")),
        ("dvswitch", 'portgroups["dvDMZ"].vlan.vlan_id', "modified", ("network", "medium")),
        ("datastore", "capacity_bytes", "modified", ("storage", "low")),
        ("vm", "name", "renamed", ("identity", "info")),
        ("host", "", "added", ("inventory", "low")),
        ("host", "", "removed", ("inventory", "medium")),
        ("vm", "guest_id", "modified", FALLBACK),
        ("cluster", "name", "modified", FALLBACK),
    ],
)
def test_categories(kind: str, path: str, change: Change, expected: tuple[str, str]) -> None:
    assert categorize(kind, path, change) == expected


def test_most_specific_row_wins_regardless_of_table_order() -> None:
    rules = (
        CategoryRule("vm", "cpu.*", "cpu", "medium"),
        CategoryRule("vm", "cpu.feature_mask*", "cpu_mask", "high"),
    )
    assert categorize("vm", 'cpu.feature_mask["1"]', "modified", rules) == ("cpu_mask", "high")
    assert categorize("vm", 'cpu.feature_mask["1"]', "modified", tuple(reversed(rules))) == ("cpu_mask", "high")
    assert categorize("vm", "cpu.count", "modified", rules) == ("cpu", "medium")
    named = (CategoryRule("*", "x", "any", "low"), CategoryRule("vm", "x", "vm", "high"))
    assert categorize("vm", "x", "modified", named) == ("vm", "high")
    assert categorize("host", "x", "modified", named) == ("any", "low")


def test_globs_treat_brackets_literally() -> None:
    assert glob_match('services["TSM"]*', 'services["TSM"].running')
    assert not glob_match('services["TSM"]*', 'services["TSM-SSH"].running')
    assert not glob_match('services["TSM"]*', "services[T].running")
    assert glob_match("a*b*c", "a[x].b.yc")
    assert not glob_match("ha.*", "ha")


def test_every_row_is_the_winner_for_some_path() -> None:
    for rule in CATEGORY_RULES:
        path = rule.path.replace("*", "")
        change: Change = rule.change or "modified"
        kind = "vm" if rule.kind == "*" else rule.kind
        assert categorize(kind, path, change) == (rule.category, rule.severity), rule
