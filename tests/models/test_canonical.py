"""The orjson canonical encoder writes exactly the bytes of the reference ``json.dumps`` encoder.

Every state repo already holds files written by the reference encoder; a single differing byte would make the next
snapshot a noise commit of the whole estate. Compared on every golden snapshot file (each object file and manifest
the store would write for the golden snapshots), every JSON file of the repository, and generated data, including
the inputs where orjson differs and the fallback must decide.
"""

from __future__ import annotations

import json
import math
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from driftguard.models import KIND_MODELS, Snapshot
from driftguard.models.canonical import canonical_bytes, canonical_dumps, orjson_safe, reference_dumps
from driftguard.store import snapshot_files
from tests import paths
from tests.strategies import snapshots

GOLDEN = sorted((paths.FIXTURES / "normalize").glob("*/*.json"))
VERBATIM = paths.ROOT / "tests" / "fixtures" / "real-events"
"""Third-party captures kept byte for byte as published (VEBA's templates carry bare ``REPLACE-ME`` placeholders, so
some are not JSON until tests/attribute/real_events.py fills them): not ours to canonicalise."""
REPO_JSON = sorted(
    p
    for top in ("tests/fixtures", "schemas", "docs", "baselines")
    for p in (paths.ROOT / top).rglob("*.json")
    if not p.is_relative_to(VERBATIM)
)


def _same(data: Any) -> None:
    try:
        expected: bytes | BaseException = reference_dumps(data)
    except (ValueError, TypeError, UnicodeError, RecursionError) as exc:
        expected = exc
    try:
        got: bytes | BaseException = canonical_dumps(data)
    except (ValueError, TypeError, UnicodeError, RecursionError) as exc:
        got = exc
    if isinstance(expected, BaseException):
        assert type(got) is type(expected), (data, got)
    else:
        assert got == expected


def _golden_models(path: Path) -> list[Any]:
    expected = json.loads(path.read_text(encoding="utf-8"))["expected"]
    if path.parent.name == "snapshot":
        snapshot = Snapshot.model_validate(expected)
        return [snapshot.manifest, *snapshot_files(snapshot).values()]
    return [KIND_MODELS[path.parent.name].model_validate(obj) for obj in expected.values()]  # type: ignore[index]


def test_the_golden_files_are_there() -> None:
    assert len(GOLDEN) >= 15 and any(p.parent.name == "snapshot" for p in GOLDEN)
    assert len(REPO_JSON) >= 40


@pytest.mark.parametrize("path", GOLDEN, ids=lambda p: f"{p.parent.name}/{p.stem}")
def test_every_golden_snapshot_file_is_byte_identical(path: Path) -> None:
    models = _golden_models(path)
    assert models
    for model in models:
        data = model.model_dump(mode="json")
        assert orjson_safe(data), "a golden object took the slow fallback: the fast path is not exercised"
        assert canonical_bytes(model) == reference_dumps(data)


@pytest.mark.parametrize("path", REPO_JSON, ids=lambda p: str(p.relative_to(paths.ROOT)))
def test_every_json_file_of_the_repository_is_byte_identical(path: Path) -> None:
    _same(json.loads(path.read_text(encoding="utf-8")))


@pytest.mark.parametrize(
    "data",
    [
        1e-05,  # orjson: 0.00001
        [0.00003, 1e16, 1e-7, 5e-324, -0.0, 1.5e300],
        float("nan"),
        {"x": float("inf")},
        2**64,
        -(2**63) - 1,
        2**64 - 1,
        "\ud800",  # lone surrogate: both raise
        {1: "int key"},
        {"a": (1, 2)},  # tuple: json writes a list
        '\x00\x1f\x7f\u2028\u2029\ufeff é 🦀 "\\/',
        {"é": 1, "e": 2, "🦀": 3, "\x7f": 4, "Z": 5, "": 6},
        {},
        [],
        {"a": {}, "b": []},
        True,
        None,
    ],
)
def test_the_cases_where_orjson_differs_fall_back(data: Any) -> None:
    _same(data)


@pytest.mark.parametrize("depth", [300, 5000])  # orjson stops at 255 levels, the type walk at Python's limit
def test_deep_nesting_falls_back(depth: int) -> None:
    deep: Any = 1
    for _ in range(depth):
        deep = [deep] if depth % 2 else {"k": deep}
    _same(deep)


def test_non_json_values_behave_as_before() -> None:
    import enum
    from datetime import UTC, datetime

    class Colour(enum.StrEnum):
        RED = "red"

    for value in (datetime(2026, 1, 1, tzinfo=UTC), Colour.RED, {"k": Colour.RED}, object(), b"bytes"):
        _same(value)


json_values = st.recursive(
    st.none()
    | st.booleans()
    | st.integers(min_value=-(2**70), max_value=2**70)
    | st.floats(allow_nan=True, allow_infinity=True)
    | st.text(),
    lambda children: st.lists(children, max_size=4) | st.dictionaries(st.text(max_size=6), children, max_size=4),
    max_leaves=30,
)


@settings(max_examples=400)
@given(json_values)
def test_generated_json_is_byte_identical(data: Any) -> None:
    _same(data)


@settings(max_examples=60)
@given(snapshots())
def test_generated_snapshots_are_byte_identical(snapshot: Snapshot) -> None:
    for model in [snapshot.manifest, *snapshot_files(snapshot).values()]:
        assert canonical_bytes(model) == reference_dumps(model.model_dump(mode="json"))


def test_finite_floats_take_the_fast_path_when_orjson_agrees() -> None:
    assert orjson_safe({"a": [0.5, 1e16, 123456789.123]})
    assert not orjson_safe({"a": [1e-05]})
    assert not orjson_safe(math.nan)


def test_only_models_whose_types_prove_it_skip_the_walk() -> None:
    """``canonical_bytes`` trusts a model's field types to skip :func:`orjson_safe` (issue 12: 1.6 s of a 5,500-VM
    snapshot); a float, ``Any`` or a custom serializer anywhere inside keeps the walk."""
    from pydantic import BaseModel, field_serializer

    from driftguard.models import VM, Cluster, Host, Manifest
    from driftguard.models.canonical import plain_model

    class Floaty(BaseModel):
        ratio: float | None = None

    class Nested(BaseModel):
        inner: list[dict[str, Floaty]] = []

    class Loose(BaseModel):
        value: Any = None

    class Custom(BaseModel):
        name: str = ""

        @field_serializer("name")
        def _shout(self, name: str) -> Any:
            return 1e-05

    assert plain_model(VM) and plain_model(Manifest)
    assert not plain_model(Cluster) and not plain_model(Host)  # advanced options may be floats
    assert not any(plain_model(cls) for cls in (Floaty, Nested, Loose, Custom))
    for model in (Floaty(ratio=1e-05), Nested(inner=[{"k": Floaty(ratio=1e-05)}]), Loose(value=1e-05), Custom()):
        assert canonical_bytes(model) == reference_dumps(model.model_dump(mode="json"))
