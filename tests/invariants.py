"""Invariants checked on every diff test (style.md practice 6), shared by the store and diff suites.

``checked_diff(old, new)`` returns ``diff_snapshots(old, new)`` after asserting: each side diffs empty against
itself; swapping sides swaps old/new and added/removed on the same paths; the result is sorted and repeatable;
canonical bytes of both snapshots are stable. ``assert_roundtrip(snapshot)`` checks ``load(save(s)) == s``
through a real Git repo in a fresh temporary directory.
"""

from __future__ import annotations

import tempfile
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from driftguard.diff import diff_snapshots
from driftguard.models import KINDS, DriftItem, Snapshot
from driftguard.models.canonical import canonical_bytes
from driftguard.store import StateRepo

SWAPPED = {"added": "removed", "removed": "added", "modified": "modified", "renamed": "renamed"}


def _key(item: DriftItem) -> tuple[str, str, str]:
    return (item.kind, item.id, item.path)


def assert_swap_symmetric(forward: list[DriftItem], backward: list[DriftItem]) -> None:
    ahead = {_key(item): item for item in forward}
    behind = {_key(item): item for item in backward}
    assert len(ahead) == len(forward), "two items share a (kind, id, path)"
    assert ahead.keys() == behind.keys()
    for key, item in ahead.items():
        other = behind[key]
        assert other.change == SWAPPED[item.change], key
        assert (other.old, other.new) == (item.new, item.old), key
        assert (other.category, other.severity) == (item.category, item.severity) or item.change in (
            "added",
            "removed",
        ), key


def assert_canonical_stable(snapshot: Snapshot) -> None:
    first = canonical_bytes(snapshot)
    assert canonical_bytes(snapshot) == first
    assert canonical_bytes(Snapshot.model_validate_json(first)) == first


def _sort_key(item: DriftItem) -> tuple[Any, ...]:
    return (KINDS.index(item.kind), item.name, item.id, item.path)


def checked_diff(old: Snapshot, new: Snapshot, *, ignore: Sequence[str] = ()) -> list[DriftItem]:
    forward = diff_snapshots(old, new, ignore=ignore)
    assert diff_snapshots(old, old, ignore=ignore) == []
    assert diff_snapshots(new, new, ignore=ignore) == []
    assert_swap_symmetric(forward, diff_snapshots(new, old, ignore=ignore))
    assert diff_snapshots(old, new, ignore=ignore) == forward
    assert [_sort_key(i) for i in forward] == sorted(_sort_key(i) for i in forward)
    assert_canonical_stable(old)
    assert_canonical_stable(new)
    return forward


def assert_roundtrip(snapshot: Snapshot) -> None:
    with tempfile.TemporaryDirectory() as tmp, StateRepo.open(Path(tmp) / "state", create=True) as repo:
        commit = repo.write_snapshot(snapshot, "roundtrip")
        assert commit is not None
        assert repo.load(commit, snapshot.manifest.vcenter.name) == snapshot
        assert repo.load() == snapshot
