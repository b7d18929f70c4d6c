"""Issue 9, point 7: one event of a type the client does not know never loses the others.

A newer vCenter, or a plugin posting its own ``EventEx`` subclass, sends event classes that are in no WSDL
pyVmomi ships; pyVmomi's deserialiser then fails the whole history read (pyVmomi issues #746, #872, #1016). The
simulator's extension (tests/vcsim/unknown_event_ext.go) posts such an event on request: an ``EventEx`` whose
``eventTypeId`` starts with ``driftguard.unknown-type:`` goes out as ``xsi:type="DriftguardPluginEvent"``.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import git
import pytest
from pyVmomi import vim

from driftguard.collect import collect_history, connect
from driftguard.collect.events import unknown_types
from driftguard.normalize.events import normalize_history
from driftguard.store import StateRepo
from tests.cli_runner import invoke
from tests.vcsim import scenario

pytestmark = pytest.mark.vcsim

ALICE = "VSPHERE.LOCAL\\alice"
PLUGIN = "VSPHERE.LOCAL\\backup-plugin"
UNKNOWN = "DriftguardPluginEvent"


def post_unknown_event(url: str, user: str, detail: str = "com.acme.backup.JobFinished") -> None:
    """Post one event of a type pyVmomi does not know (through the simulator extension)."""
    with scenario.session(url, user) as si:
        event = vim.event.EventEx(
            key=0,
            chainId=0,
            createdTime=datetime.now(UTC),
            userName=user,
            eventTypeId=f"driftguard.unknown-type:{detail}",
            severity="info",
        )
        si.RetrieveContent().eventManager.PostEvent(eventToPost=event)


def _first_vm(sim: Any) -> str:
    return str(sim.info["datacenters"][0]["clusters"][0]["hosts"][0]["vms"][0]["name"])


def test_pyvmomi_fails_the_whole_read_on_one_unknown_type(vcsim: Any) -> None:
    # The failure this guards against, shown on the same simulator: pyVmomi cannot read the page at all.
    post_unknown_event(vcsim.url, PLUGIN)
    with scenario.session(vcsim.url, PLUGIN) as si, pytest.raises(KeyError, match=UNKNOWN):
        si.RetrieveContent().eventManager.QueryEvents(vim.event.EventFilterSpec())


def test_history_with_an_unknown_type_is_read_whole(vcsim: Any) -> None:
    begin = datetime.now(UTC) - timedelta(seconds=1)
    scenario.set_vm_cpus(vcsim.url, ALICE, _first_vm(vcsim), 2)
    post_unknown_event(vcsim.url, PLUGIN)
    with connect(vcsim.url, vcsim.username, vcsim.password) as session:
        raw = collect_history(session, begin=begin - timedelta(days=1))
    kinds = [event["_type"] for event in raw["events"]]
    assert UNKNOWN in kinds and "VmReconfiguredEvent" in kinds, kinds
    plugin = next(event for event in raw["events"] if event["_type"] == UNKNOWN)
    # Read as the Event it extends: the declared properties keep their types, its own element is kept as text.
    assert isinstance(plugin["key"], int) and plugin["createdTime"].endswith("+00:00")
    assert plugin["userName"] == PLUGIN
    assert plugin["eventTypeId"] == "driftguard.unknown-type:com.acme.backup.JobFinished"
    assert plugin["pluginDetail"] == "com.acme.backup.JobFinished"
    assert unknown_types(raw["notes"]) == [UNKNOWN]

    history = normalize_history(raw)  # the unknown one is an event like any other to normalisation
    assert any(event.user == ALICE for event in history.events)
    assert unknown_types(history.notes) == [UNKNOWN]


def test_snapshot_attributes_the_rest_and_lists_the_unknown_type(vcsim: Any, tmp_path: Path) -> None:
    repo = tmp_path / "state"
    first = invoke("snapshot", "--vcenter", vcsim.url, "--user", "audit", "--repo", repo, password="x")
    assert first.exit_code == 0, first.output
    scenario.set_vm_cpus(vcsim.url, ALICE, _first_vm(vcsim), 3)
    post_unknown_event(vcsim.url, PLUGIN)

    second = invoke("snapshot", "--vcenter", vcsim.url, "--user", "audit", "--repo", repo, password="x")
    assert second.exit_code == 0, second.output
    message = git.Repo(repo).head.commit.message
    assert "1 attributed (alice)" in message, message
    with StateRepo.open(repo) as state:
        manifest = state.load().manifest
    assert manifest.unknown_event_types == [UNKNOWN]
