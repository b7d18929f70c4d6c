"""``api.history`` and ``api.each`` on a state repo built with the store's own code: a change, a rename, a move
between clusters, a change and its revert — followed by moref through git's path-limited log."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from driftguard import api
from driftguard.models.times import parse_when
from tests.api.review_repo import DAY0, build_review_repo


@pytest.fixture
def state(tmp_path: Path) -> tuple[Path, list[str]]:
    path = tmp_path / "state"
    return path, build_review_repo(path)


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
    by_old_name = api.history(path, "vm", "web01")  # the name it had before the rename: the whole trail still
    assert by_old_name.entries == result.entries


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


def test_times_people_write() -> None:
    at = DAY0 + timedelta(hours=10)
    assert parse_when("2026-11-29", at=at) == datetime(2026, 11, 29, tzinfo=UTC)
    assert parse_when("2026-11-29", at=at, end=True) == datetime(2026, 11, 29, 23, 59, 59, 999999, tzinfo=UTC)
    assert parse_when("yesterday", at=at) == datetime(2026, 11, 23, tzinfo=UTC)
    assert parse_when("today", at=at) == datetime(2026, 11, 24, tzinfo=UTC)
    assert parse_when("7d", at=at) == at - timedelta(days=7)
    assert parse_when("12h", at=at) == at - timedelta(hours=12)
    assert parse_when("2w", at=at) == at - timedelta(weeks=2)
    assert parse_when("2026-11-29T10:00:00Z", at=at) == datetime(2026, 11, 29, 10, tzinfo=UTC)
    assert parse_when("HEAD~2", at=at) is None
    assert parse_when("2026-13-45", at=at) is None


def test_diff_since_until_pick_the_snapshots_in_force(state: tuple[Path, list[str]]) -> None:
    path, commits = state
    report = api.diff(path, since="2026-11-26", until="2026-11-27")
    assert (report.from_.ref, report.to.ref) == (commits[1], commits[3])
    with pytest.raises(api.UsageError, match=r"no snapshot of vc\.example at or before --until"):
        api.diff(path, until="2026-01-01")
    with pytest.raises(api.UsageError, match="is not older than"):
        api.diff(path, commits[3], commits[1])


def test_show_returns_the_state_of_that_day(state: tuple[Path, list[str]]) -> None:
    path, commits = state
    day1 = api.show(path, "vm", "web01-old", at="2026-11-25")
    assert (day1.commit, day1.name, day1.object["cpu"]["count"]) == (commits[1], "web01", 4)
    day3 = api.show(path, "vm", "vm-1", at="2026-11-27")
    assert (day3.commit, day3.object["cpu"]["count"]) == (commits[3], 8)
    latest = api.show(path, "vm", "web01-old")
    assert latest.file == "vc.example/vms/C2/web01-old~vm-1.json" and latest.object["cpu"]["count"] == 4
    assert api.show(path, "vm", "web01", at=commits[0]).object["cpu"]["count"] == 2
    with pytest.raises(api.UsageError, match="--at 'someday'"):
        api.show(path, "vm", "web01", at="someday")
    with pytest.raises(api.UsageError, match=r"no snapshot of vc\.example at or before --at"):
        api.show(path, "vm", "web01", at="2020-01-01")
