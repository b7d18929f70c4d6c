"""The ignore table: defaults, user patterns, negation, the ignore file format."""

from __future__ import annotations

import pytest

from driftguard.diff import DEFAULT_IGNORES, IgnoreTable, load_ignore_file
from driftguard.models.patterns import IgnorePatternError, check_ignore_pattern


def test_defaults_are_short_and_valid() -> None:
    assert DEFAULT_IGNORES == ("host:ha_state",)
    table = IgnoreTable()
    assert table.ignored("host", "ha_state")
    assert not table.ignored("vm", "ha_state")
    assert not table.ignored("host", "ha_agent.files")


def test_user_patterns_extend_and_negation_overrides() -> None:
    table = IgnoreTable(['vm:devices["CD/DVD*"].connected', "*:snapshots*", "!host:ha_state"])
    assert table.ignored("vm", 'devices["CD/DVD drive 1"].connected')
    assert not table.ignored("vm", 'devices["Network adapter 1"].connected')
    assert table.ignored("vm", 'snapshots["nightly"]')
    assert table.ignored("cluster", "snapshots")
    assert not table.ignored("host", "ha_state")
    assert IgnoreTable(["vm:"]).ignored("vm", "") and not IgnoreTable(["vm:"]).ignored("vm", "name")
    assert IgnoreTable(["host:*", "!host:syslog*"]).ignored("host", "ntp_servers")
    assert not IgnoreTable(["host:*", "!host:syslog*"]).ignored("host", "syslog_target")


def test_a_colon_inside_the_path_is_part_of_the_path() -> None:
    assert IgnoreTable(['host:advanced_options["Net:X"]']).ignored("host", 'advanced_options["Net:X"]')


def test_invalid_patterns() -> None:
    for bad in ("ha_state", "hosts:ha_state", "!nope:x"):
        with pytest.raises(IgnorePatternError):
            check_ignore_pattern(bad)
    with pytest.raises(IgnorePatternError):
        IgnoreTable(["ha_state"])
    assert check_ignore_pattern("  vm:power_state  ") == "vm:power_state"
    assert check_ignore_pattern("*:x") == "*:x"
    assert check_ignore_pattern("d*:x") == "d*:x"


def test_ignore_file() -> None:
    text = """
# volatile on our lab vCenter
vm:power_state

  # indented comment
vm:devices["Network adapter #1"].connected
!host:ha_state
"""
    assert load_ignore_file(text) == [
        "vm:power_state",
        'vm:devices["Network adapter #1"].connected',
        "!host:ha_state",
    ]
    assert load_ignore_file("") == []


def test_ignore_file_errors_name_the_line() -> None:
    with pytest.raises(IgnorePatternError, match=r"^line 3: ignore pattern 'vms:power_state': unknown kind"):
        load_ignore_file("# x\nvm:host\nvms:power_state\n")
