"""Hypothesis properties of the store: load(save(s)) == s through a real Git repo; path sanitising."""

from __future__ import annotations

import unicodedata
from collections.abc import Iterator

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from driftguard.models import Snapshot
from driftguard.store import decode_component, object_path, parse_object_path, sanitize_component
from driftguard.store.layout import MAX_COMPONENT_BYTES, encode_moref, snapshot_files
from tests.invariants import assert_roundtrip
from tests.strategies import snapshots


@pytest.fixture(autouse=True, scope="module")
def _isolated_git() -> Iterator[None]:
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("GIT_CONFIG_GLOBAL", "/dev/null")
        patch.setenv("GIT_CONFIG_NOSYSTEM", "1")
        yield


@settings(max_examples=20)
@given(snapshots())
def test_load_of_save_is_identity(snapshot: Snapshot) -> None:
    assert_roundtrip(snapshot)


@settings(max_examples=40)
@given(snapshots())
def test_object_paths_are_unique_and_parse_back(snapshot: Snapshot) -> None:
    files = snapshot_files(snapshot)
    assert len(files) == sum(
        len(snapshot.collection(kind)) for kind in ("cluster", "host", "vm", "dvswitch", "datastore")
    )
    for path, obj in files.items():
        key = parse_object_path(path)
        assert key is not None and (key.kind, key.id) == (obj.kind, obj.id)
        assert path == object_path(snapshot, obj)
        for part in path.parts:
            assert part not in ("", ".", "..") and "/" not in part and "\\" not in part
            assert unicodedata.is_normalized("NFC", part)
            assert len(part.encode()) < 255


SEGMENT = settings(max_examples=400)


@SEGMENT
@given(st.text())
def test_sanitized_component_is_one_safe_segment(name: str) -> None:
    component = sanitize_component(name)
    assert component not in ("", ".", "..")
    assert "/" not in component and "\\" not in component and "\x00" not in component
    assert not component.startswith(".") and not component.endswith((".", " "))
    assert all(unicodedata.category(c) not in ("Cc", "Cf", "Cs", "Zl", "Zp") for c in component)
    assert len(component.encode()) <= MAX_COMPONENT_BYTES
    assert unicodedata.is_normalized("NFC", component)
    assert sanitize_component(name) == component
    if "%-" not in component:
        assert decode_component(component) == name


@SEGMENT
@given(st.text(), st.text())
def test_distinct_names_give_distinct_components(a: str, b: str) -> None:
    if a != b:
        assert sanitize_component(a) != sanitize_component(b)


@SEGMENT
@given(st.text(alphabet="a/%2fF.~ \\e\u0301é", max_size=6), st.text(alphabet="a/%2fF.~ \\e\u0301é", max_size=6))
def test_distinct_confusable_names_give_distinct_components(a: str, b: str) -> None:
    if a != b:
        assert sanitize_component(a) != sanitize_component(b)


@SEGMENT
@given(st.text(max_size=11))
def test_moref_encoding_is_reversible(moref: str) -> None:
    # 11 characters of at most 4 UTF-8 bytes, each byte escaped as 3 characters, fit the 140-byte limit
    encoded = encode_moref(moref)
    assert decode_component(encoded) == moref
    assert "/" not in encoded and "~" not in encoded
