"""A small state repo for the incident-review tests, built with the store's own code: five nightly snapshots
of two VMs — alice changes web01's CPUs, web01 is renamed web01-old, carol changes its CPUs and back (a change and
its revert) and it moves from cluster C1 to C2; db01 changes once."""

from __future__ import annotations

import copy
from collections.abc import Sequence
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

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


def write(repo: StateRepo, frag: dict[str, Any], day: int, events: Sequence[Event] = ()) -> str:
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


def build_review_repo(path: Path) -> list[str]:
    """The five snapshot commits, oldest first (committed at 02:02 on 2026-11-24 ... 2026-11-28)."""
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
    return commits
