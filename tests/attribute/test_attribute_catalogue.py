"""Every event type and task id of the attribution table is one a real vCenter posts, or is marked simulator-only.

The catalogues are compact copies (one id per line, source repository, commit and path in each file's header) of
the event ids of vCenter 6.7u3, 7.0u3 and 8.0u3 (lamw/vcenter-event-mapping) and of the task ids of a real
vCenter's TaskManager description (govmomi's ``simulator/vpx/task_manager.go``).
"""

from __future__ import annotations

from functools import cache
from pathlib import Path

import pytest

from driftguard.attribute.catalogue import SIMULATOR_ONLY
from driftguard.attribute.table import TABLE
from driftguard.models.patterns import glob_any
from tests import paths

CATALOGUE = paths.FIXTURES / "catalogue"
VERSIONS = ("6.7u3", "7.0u3", "8.0u3")


def _ids(path: Path) -> frozenset[str]:
    lines = path.read_text(encoding="utf-8").splitlines()
    return frozenset(line.strip() for line in lines if line.strip() and not line.startswith("#"))


@cache
def events(version: str) -> frozenset[str]:
    return _ids(CATALOGUE / f"vcenter-events-{version}.txt")


@cache
def tasks() -> frozenset[str]:
    return _ids(CATALOGUE / "vcenter-tasks.txt")


def real(name: str) -> bool:
    """Whether a real catalogue has the id (for ``prefix.*``, at least one id with that prefix)."""
    catalogues = [*(events(v) for v in VERSIONS), tasks()]
    if name.endswith("*"):
        return any(glob_any(frozenset({name}), known) for catalogue in catalogues for known in catalogue)
    return any(name in catalogue for catalogue in catalogues)


def _table_ids() -> list[str]:
    names: set[str] = set()
    for rule in TABLE:
        for source in rule.sources:
            names |= source.events | source.tasks
        names |= rule.exact.union(*(types for _, types in rule.exact_by_value))
    return sorted(names)


def test_catalogues_are_whole() -> None:
    # the 8.0u3 file says "Number of Events: 2194"
    assert len(events("8.0u3")) == 2194
    assert len(events("6.7u3")) > 1500 and len(events("7.0u3")) > 1800 and len(tasks()) > 1500
    for path in CATALOGUE.glob("*.txt"):
        assert "source: github.com/" in path.read_text(encoding="utf-8").splitlines()[1]


@pytest.mark.parametrize("name", _table_ids())
def test_table_id_is_real_or_simulator_only(name: str) -> None:
    if name in SIMULATOR_ONLY:
        assert not real(name), f"{name} is in a real catalogue: it is not simulator-only"
    else:
        assert real(name), f"no real vCenter catalogue has {name!r}; mark it simulator-only or fix it"


def test_simulator_only_ids_are_all_used() -> None:
    assert set(SIMULATOR_ONLY) <= set(_table_ids())


def test_host_network_prefix_covers_only_firewall_and_lacp() -> None:
    """Why the table has no esx.audit.net.* source for host networking (issue 9, point 2)."""
    for version in VERSIONS:
        net = {e for e in events(version) if e.startswith("esx.audit.net.")}
        assert net and all(e.startswith(("esx.audit.net.firewall.", "esx.audit.net.lacp.")) for e in net)


def test_vmfs_created_event_spelling_and_no_snapshot_events() -> None:
    for version in VERSIONS:
        assert "VMFSDatastoreCreatedEvent" in events(version)
        assert "VmfsDatastoreCreatedEvent" not in events(version)
        assert not any(e.startswith("com.vmware.vc.vm.VmSnapshot") for e in events(version))
        assert "com.vmware.vc.vm.VmStateRevertedToSnapshot" in events(version)
