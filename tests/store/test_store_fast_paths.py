"""The store parses git's (normalised) paths, ~50,000 a run, with string operations instead of PurePosixPath;
they must agree."""

from __future__ import annotations

import re
from pathlib import PurePosixPath

from hypothesis import given, settings
from hypothesis import strategies as st

from driftguard.store import parse_object_path
from driftguard.store.reading import object_files

segments = st.sampled_from(
    ["vc01", "vms", "hosts", "Prod", "web01~vm-31.json", "a~b~c.json", ".", "", "x%2F~vm-1.json"]
)
paths = st.lists(segments, min_size=1, max_size=6).map("/".join) | st.text(alphabet="/.~abvm-json", max_size=30)


@settings(max_examples=500)
@given(paths)
def test_parse_object_path_agrees_with_purepath(path: str) -> None:
    assert parse_object_path(path) == parse_object_path(PurePosixPath(path))


@settings(max_examples=300)
@given(st.lists(paths, max_size=6), st.sampled_from(["vc01", "vc01/vms", "x"]))
def test_object_files_are_the_files_below_the_top(files: list[str], directory: str) -> None:
    mapping = dict.fromkeys(files, "sha")
    expected = {p: s for p, s in mapping.items() if PurePosixPath(p).parent != PurePosixPath(directory)}
    # git's own paths: below the directory, no empty or "." components
    under = {p for p in mapping if p.startswith(directory + "/") and "" not in p.split("/") and "." not in p.split("/")}
    got = object_files(mapping, directory)
    assert {p: s for p, s in got.items() if p in under} == {p: s for p, s in expected.items() if p in under}


_NAMEISH = st.text(alphabet="abcXYZ019_-. ", min_size=1, max_size=40) | st.sampled_from(
    ["CON", "con.txt", "nul", "LPT1", "COM1.log", ".git", "..", "a.", "a ", " a", "-", "x" * 300]
)


@settings(max_examples=400)
@given(_NAMEISH, st.sampled_from([(), ("manifest.json",), ("vms", "hosts")]))
def test_plain_names_take_the_fast_path_to_the_same_component(name: str, reserved: tuple[str, ...]) -> None:
    """Issue 12: a plain ASCII name is returned as it is without the per-character walk; the walk must agree."""
    from driftguard.store import layout

    slow = layout._sanitize.__wrapped__
    fast_result = layout.sanitize_component(name, reserved=reserved)
    saved = layout._PLAIN_NAME
    try:
        layout._PLAIN_NAME = re.compile(r"(?!)")  # never matches: the walk only
        assert slow(name, tuple(reserved), layout.MAX_COMPONENT_BYTES) == fast_result
    finally:
        layout._PLAIN_NAME = saved


@given(st.text(alphabet="abcxyz0129-_.", min_size=1, max_size=140))
def test_plain_morefs_take_the_fast_path_to_the_same_encoding(moref: str) -> None:
    from driftguard.store import layout

    saved = layout._PLAIN_MOREF
    try:
        fast = layout.encode_moref(moref)
        layout._PLAIN_MOREF = re.compile(r"(?!)")
        assert layout.encode_moref(moref) == fast
    finally:
        layout._PLAIN_MOREF = saved
