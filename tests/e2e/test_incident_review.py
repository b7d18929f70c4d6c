"""Issue 11's acceptance scenario against the simulator, through the command line: five snapshots committed on
five days, changes by alice, bob and carol, one change and its revert, one rename, one VM moved between clusters.
``history`` lists every change of the VM with the right users (the reverted one too), ``diff --each`` shows the
revert a net diff hides, ``diff --by carol`` only carol's, ``--since`` bounds hold, ``show --at`` returns the
state of that day."""

from __future__ import annotations

import json
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from pyVmomi import vim

import driftguard.store.repo as store_repo
from tests.cli_runner import invoke
from tests.e2e.test_e2e import ALICE, AUDITOR, BOB, CAROL, SECRET
from tests.vcsim import scenario

pytestmark = pytest.mark.vcsim

DAY = datetime(2026, 11, 23, 2, 0, tzinfo=UTC)
"""The commit date of the first snapshot (a Monday night); snapshot n is committed n days later."""


def run(*args: str | Path) -> Any:
    return invoke(*args, env={"COLUMNS": "80"})


def test_incident_review_scenario(vcsim: Any, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    repo = tmp_path / "state"
    days: list[datetime] = []

    def nightly(change: Callable[[], None] | None = None) -> str:
        if change is not None:
            change()
        at = DAY + timedelta(days=len(days))
        days.append(at)
        monkeypatch.setattr(store_repo, "clock_now", lambda: at)  # the store's clock: the commit date
        result = invoke("snapshot", "--vcenter", vcsim.url, "--user", AUDITOR, "--repo", repo, password=SECRET)
        assert result.exit_code == 0, result.output
        return json.loads(run("log", "--repo", repo, "--format", "json", "-n", "1").stdout)["snapshots"][0]["commit"]

    with scenario.session(vcsim.url, AUDITOR) as si:
        vms = scenario.names(si, vim.VirtualMachine)
        hosts = scenario.names(si, vim.HostSystem)
    vm = next(v for v in vms if v.startswith("DC0_C0_"))
    other = next(v for v in vms if v.startswith("DC0_C1_"))
    target_host = next(h for h in hosts if h.startswith("DC0_C1_"))
    url = vcsim.url

    c0 = nightly()
    c1 = nightly(lambda: scenario.set_vm_cpus(url, ALICE, vm, 4))  # Tuesday: alice
    c2 = nightly(lambda: (scenario.set_vm_memory(url, BOB, vm, 2048), scenario.set_vm_cpus(url, BOB, other, 3)))
    c3 = nightly(lambda: scenario.set_vm_cpus(url, CAROL, vm, 8))  # Thursday: carol changes ...
    c4 = nightly(  # ... and reverts it on Friday, renames the VM and moves it to the other cluster
        lambda: (
            scenario.set_vm_cpus(url, CAROL, vm, 4),
            scenario.rename_vm(url, CAROL, vm, "web-renamed"),
            scenario.move_vm(url, CAROL, "web-renamed", target_host),
        )
    )
    assert len({c0, c1, c2, c3, c4}) == 5

    # history: every change of the VM with the right users, the reverted one included, followed through the
    # rename and the move by moref
    result = run("history", "vm", "web-renamed", "--repo", repo, "--format", "json")
    assert result.exit_code == 0, result.output
    history = json.loads(result.stdout)
    assert history["names"] == [vm, "web-renamed"]
    changes = [
        (e["commit"], e["item"]["path"], e["item"]["old"], e["item"]["new"], e["item"]["attribution"]["user"])
        for e in history["entries"]
    ]
    cpu = [(commit, old, new, user) for commit, path, old, new, user in changes if path == "cpu.count"]
    assert [(commit, new) for commit, _, new, _ in cpu] == [(c1, 4), (c3, 8), (c4, 4)]
    assert [user for *_, user in cpu] == [ALICE, CAROL, CAROL]
    assert [(c, u) for c, p, *_, u in changes if p == "memory.size_mb"] == [(c2, BOB)]
    assert any(c == c4 and p == "name" for c, p, *_ in changes)
    assert any(c == c4 and p == "cluster" for c, p, *_ in changes)
    assert {c for c, *_ in changes} <= {c1, c2, c3, c4}
    text = run("history", "vm", vm, "--repo", repo)  # the old name finds it too
    assert text.exit_code == 0 and "web-renamed" in text.stdout
    assert all(len(line) <= 80 for line in text.stdout.splitlines())

    # diff --each shows the revert the net diff hides
    net = json.loads(run("diff", c2, c4, "--repo", repo, "--format", "json").stdout)
    assert not [i for i in net["items"] if i["name"] == "web-renamed" and i["path"] == "cpu.count"]
    each = json.loads(run("diff", c2, c4, "--each", "--repo", repo, "--format", "json").stdout)
    reverted = [
        (i["old"], i["new"]) for r in each for i in r["items"] if i["id"] == history["id"] and i["path"] == "cpu.count"
    ]
    assert reverted == [(4, 8), (8, 4)]

    # --by carol: only carol's changes, whatever the domain prefix
    by_carol = run("diff", "--each", "--by", "carol", "--repo", repo, "--format", "jsonl")
    users = {json.loads(line)["attribution"]["user"] for line in by_carol.stdout.splitlines()}
    assert users == {CAROL}

    # --since bounds: nothing committed before Thursday
    since = json.loads(
        run("history", "vm", "web-renamed", "--since", "2026-11-26", "--repo", repo, "--format", "json").stdout
    )
    assert {e["commit"] for e in since["entries"]} == {c3, c4}
    until = json.loads(
        run("history", "vm", "web-renamed", "--until", "2026-11-24", "--repo", repo, "--format", "json").stdout
    )
    assert {e["commit"] for e in until["entries"]} == {c1}
    log = json.loads(run("log", "--since", "2026-11-25", "--repo", repo, "--format", "json").stdout)
    assert [s["commit"] for s in log["snapshots"]] == [c4, c3, c2]

    # show --at: the state of that day
    wednesday = json.loads(
        run("show", "vm", "web-renamed", "--at", "2026-11-25", "--repo", repo, "--format", "json").stdout
    )
    assert wednesday["commit"] == c2 and wednesday["name"] == vm
    assert wednesday["object"]["cpu"]["count"] == 4 and wednesday["object"]["memory"]["size_mb"] == 2048
    thursday = json.loads(run("show", "vm", vm, "--at", "2026-11-26", "--repo", repo, "--format", "json").stdout)
    assert thursday["commit"] == c3 and thursday["object"]["cpu"]["count"] == 8
    assert days[2].date().isoformat() == "2026-11-25"
