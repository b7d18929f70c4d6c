"""DeepDiff runs on both sides with their strictly equal dict entries pruned (``engine.pruned``): the drift must be
exactly what DeepDiff of the whole objects gives, including type changes between ``1``, ``1.0`` and ``True``."""

from __future__ import annotations

import json
from typing import Any

import pytest
from deepdiff import DeepDiff
from hypothesis import given, settings
from hypothesis import strategies as st

from driftguard.diff import diff_snapshots, engine
from driftguard.models import Snapshot
from tests.strategies import snapshot_pairs

leaves = st.sampled_from([0, 1, 1.0, True, False, None, "1", "", -0.0, 0.0]) | st.floats(allow_nan=True)
values = st.recursive(
    leaves,
    lambda children: st.lists(children, max_size=3) | st.dictionaries(st.sampled_from("abcd"), children, max_size=4),
    max_leaves=12,
)
objects = st.dictionaries(st.sampled_from("abcdef"), values, max_size=5)


def _report(before: Any, after: Any) -> set[tuple[str, str]]:
    result = DeepDiff(before, after, view="tree", verbose_level=2, threshold_to_diff_deeper=0)
    return {(kind, level.path()) for kind, levels in result.items() for level in levels}


@settings(max_examples=300)
@given(objects, objects)
def test_deepdiff_reports_the_same_on_pruned_json(before: dict[str, Any], after: dict[str, Any]) -> None:
    assert _report(*engine.pruned(before, after)) == _report(before, after)


@settings(max_examples=300)
@given(objects)
def test_a_value_is_pruned_away_against_itself(value: dict[str, Any]) -> None:
    pruned = engine.pruned(value, value)
    assert pruned == ({}, {}) or "NaN" in json.dumps(value)  # NaN is never equal to itself


@pytest.mark.parametrize(("a", "b"), [(1, True), (1, 1.0), (0, False), ([1], [True]), ({"x": 1}, {"x": 1.0})])
def test_equal_values_of_other_types_are_kept(a: Any, b: Any) -> None:
    assert not engine.strictly_equal(a, b)
    assert engine.pruned({"k": a, "same": 1}, {"k": b, "same": 1}) == ({"k": a}, {"k": b})


@settings(max_examples=40)
@given(snapshot_pairs())
def test_the_drift_is_that_of_the_whole_objects(pair: tuple[Snapshot, Snapshot]) -> None:
    fast = diff_snapshots(*pair)
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(engine, "pruned", lambda a, b: (a, b))
        whole = diff_snapshots(*pair)
    assert fast == whole
