"""``api.history`` and ``api.each`` on a state repo built with the store's own code: a change, a rename, a move
between clusters, a change and its revert — followed by moref through git's path-limited log."""

from __future__ import annotations

import copy
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from driftguard import api
from driftguard.models import Event, History
from driftguard.store import HISTORY_FILE, StateRepo
from tests.rule_cases import build_snapshot

DAY0 = datetime(2026, 11, 24, 2, 0, tzinfo=UTC)


def fragment() -> dict[str, Any]:
    return {
        "clusters": {"domain-c1": {"name": "C1"}, "domain-c2": {"name": "C2"}},
        "hosts": {
            "host-1": {"name": "esx1", "cluster": "domain-c1"},
            "host-2": {"name": "esx2", "cluster": "domain-c2"},
        },
        "vms": {
            "vm-1": {"name": "web01", "host": "host-1", "cpu": {"count": 2}},
            "vm-2": {"name": "db01", "host": "host-1", "cpu": {"count": 4}},
        },
    }


def write(repo: StateRepo, frag: dict[str, Any], day: int, events: list[Event] = ()) -> str:  # type: ignore[assignment]
    snapshot = build_snapshot(frag)
    at = DAY0 + timedelta(days=day)
    manifest = snapshot.manifest.model_copy(update={"started_at": at, "finished_at": at + timedelta(minutes=1)})
    history = History(begin=at - timedelta(days=1), end=at + timedelta(minutes=1), events=list(events))
    commit = repo.write_snapshot(
        snapshot.model_copy(update={"manifest": manifest}),
        f"snapshot day {day}",
        extra_files={HISTORY_FILE: history.model_dump_json().encode()},
        now=at + timedelta(minutes=2),
    )
    assert commit is not None
    return commit


def reconfigured(key: int, user: str, vm: str, day: int) -> Event:
    at = DAY0 + timedelta(days=day) - timedelta(hours=3)
    return Event(
        key=key, type="VmReconfiguredEvent", created=at, user=user, vm=vm, changed_paths=["config.hardware.numCPU"]
    )


@pytest.fixture
def state(tmp_path: Path) -> Iterator[tuple[Path, list[str]]]:
    path = tmp_path / "state"
    frag = fragment()
    commits = []
    with StateRepo.open(path, create=True) as repo:
        commits.append(write(repo, frag, 0))
        frag["vms"]["vm-1"]["cpu"]["count"] = 4
        frag["vms"]["vm-2"]["cpu"]["count"] = 8
        commits.append(write(repo, frag, 1, [reconfigured(1, "VSPHERE.LOCAL\\alice", "vm-1", 1)]))
        frag = copy.deepcopy(frag)
        frag["vms"]["vm-1"]["name"] = "web01-old"
        commits.append(write(repo, frag, 2))
        frag["vms"]["vm-1"]["cpu"]["count"] = 8
        commits.append(write(repo, frag, 3, [reconfigured(2, "carol", "vm-1", 3)]))
        frag["vms"]["vm-1"]["cpu"]["count"] = 4
        frag["vms"]["vm-1"]["host"] = "host-2"
        frag["vms"]["vm-1"]["cluster"] = "domain-c2"
        commits.append(write(repo, frag, 4, [reconfigured(3, "carol", "vm-1", 4)]))
    yield path, commits


def test_history_follows_renames_and_moves_by_moref_oldest_first(state: tuple[Path, list[str]]) -> None:
    path, commits = state
    result = api.history(path, "vm", "web01-old")
    assert result.id == "vm-1"
    assert result.schema_ == "driftguard.history/v1"
    assert result.names == ["web01", "web01-old"]
    changes = [(e.commit, e.item.path, e.item.old, e.item.new) for e in result.entries]
    assert (commits[1], "cpu.count", 2, 4) in changes
    assert (commits[3], "cpu.count", 4, 8) in changes
    assert (commits[4], "cpu.count", 8, 4) in changes
    assert (commits[4], "cluster", "domain-c1", "domain-c2") in changes
    assert [e.commit for e in result.entries] == sorted((e.commit for e in result.entries), key=commits.index)
    assert all(e.item.id == "vm-1" for e in result.entries)
    users = {(e.commit, e.item.path): e.item.attribution.user if e.item.attribution else None for e in result.entries}
    assert users[(commits[1], "cpu.count")] == "VSPHERE.LOCAL\\alice"
    assert users[(commits[3], "cpu.count")] == "carol"
    assert users[(commits[4], "cpu.count")] == "carol"
    by_moref = api.history(path, "vm", "vm-1")
    assert by_moref.entries == result.entries


def test_history_path_filter_and_time_bounds(state: tuple[Path, list[str]]) -> None:
    path, commits = state
    only_cpu = api.history(path, "vm", "vm-1", path="cpu.*")
    assert {e.item.path for e in only_cpu.entries} == {"cpu.count"}
    since = api.history(path, "vm", "vm-1", since=(DAY0 + timedelta(days=3)).date().isoformat())
    assert {e.commit for e in since.entries} == {commits[3], commits[4]}
    until = api.history(path, "vm", "vm-1", until=(DAY0 + timedelta(days=1)).date().isoformat())
    assert {e.commit for e in until.entries} == {commits[1]}
    by_revision = api.history(path, "vm", "vm-1", since=commits[3])
    assert {e.commit for e in by_revision.entries} == {commits[3], commits[4]}


def test_history_reads_only_the_commits_that_touched_the_object(state: tuple[Path, list[str]]) -> None:
    path, commits = state
    result = api.history(path, "vm", "db01")
    assert [(e.commit, e.item.path) for e in result.entries] == [(commits[1], "cpu.count")]


def test_each_shows_the_change_a_net_diff_hides(state: tuple[Path, list[str]]) -> None:
    path, commits = state
    reports = list(api.each(path, old_rev=commits[2], new_rev=commits[4]))
    assert [(r.from_.ref, r.to.ref) for r in reports] == [(commits[2], commits[3]), (commits[3], commits[4])]
    cpu = [(i.old, i.new) for r in reports for i in r.items if i.id == "vm-1" and i.path == "cpu.count"]
    assert cpu == [(4, 8), (8, 4)]
    net = api.diff(path, commits[2], commits[4])
    assert not [i for i in net.items if i.path == "cpu.count"]
    assert len(list(api.each(path))) == 4


def test_reversed_range_is_refused(state: tuple[Path, list[str]]) -> None:
    path, commits = state
    with pytest.raises(api.UsageError, match="is not older than"):
        list(api.each(path, old_rev=commits[4], new_rev=commits[2]))


def test_unknown_object_and_kind_are_usage_errors(state: tuple[Path, list[str]]) -> None:
    path, _ = state
    with pytest.raises(api.UsageError, match="no vm named"):
        api.history(path, "vm", "nope")
    with pytest.raises(api.UsageError, match="unknown kind"):
        api.history(path, "vmm", "web01")
