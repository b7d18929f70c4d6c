"""Hypothesis properties of the diff: empty on itself, swap-symmetric, repeatable, canonical bytes stable."""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st

from driftguard.diff import diff_snapshots, same_content
from driftguard.models import Snapshot
from driftguard.models.canonical import canonical_bytes, content_hash
from tests.invariants import assert_canonical_stable, checked_diff
from tests.strategies import snapshot_pairs, snapshots

PROPERTY = settings(max_examples=40)


@PROPERTY
@given(snapshots())
def test_diff_with_itself_is_empty(snapshot: Snapshot) -> None:
    assert diff_snapshots(snapshot, snapshot) == []
    copy = Snapshot.model_validate_json(canonical_bytes(snapshot))
    assert diff_snapshots(snapshot, copy) == []


@PROPERTY
@given(snapshot_pairs())
def test_swapping_sides_swaps_old_and_new(pair: tuple[Snapshot, Snapshot]) -> None:
    old, new = pair
    checked_diff(old, new)


@PROPERTY
@given(snapshot_pairs())
def test_every_changed_object_is_reported_unless_unknown(pair: tuple[Snapshot, Snapshot]) -> None:
    old, new = pair
    changed = {
        (kind, oid)
        for kind in ("cluster", "host", "vm", "dvswitch", "datastore")
        for oid in old.collection(kind).keys() | new.collection(kind).keys()
        if (a := old.get(kind, oid)) is None
        or (b := new.get(kind, oid)) is None
        or (content_hash(a) != content_hash(b) and not a.unknowns and not b.unknowns and a.unknowns == b.unknowns)
    }
    reported = {(item.kind, item.id) for item in diff_snapshots(old, new, ignore=["!host:ha_state"])}
    assert changed <= reported
    for item in diff_snapshots(old, new):
        assert "[" not in item.path or not item.path.rstrip("]").split("[")[-1].isdigit(), item.path
        if item.change == "modified":
            assert item.old != item.new or type(item.old) is not type(item.new)


@PROPERTY
@given(snapshots(), st.sampled_from([0, 1]))
def test_canonical_bytes_are_stable(snapshot: Snapshot, _: int) -> None:
    assert_canonical_stable(snapshot)
    for obj in snapshot.objects():
        assert canonical_bytes(obj) == canonical_bytes(type(obj).model_validate_json(canonical_bytes(obj)))


@PROPERTY
@given(snapshot_pairs())
def test_same_content_is_equal_content_hash(pair: tuple[Snapshot, Snapshot]) -> None:
    old, new = pair
    for kind in ("cluster", "host", "vm", "dvswitch", "datastore"):
        for oid in old.collection(kind).keys() & new.collection(kind).keys():
            a, b = old.collection(kind)[oid], new.collection(kind)[oid]
            assert same_content(a, b) == (content_hash(a) == content_hash(b))
            reordered = type(b).model_validate_json(canonical_bytes(b))  # dict keys now in sorted order
            assert same_content(a, reordered) == (content_hash(a) == content_hash(b))
