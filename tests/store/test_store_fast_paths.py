"""The store parses git's (normalised) paths, ~50,000 a run, with string operations instead of PurePosixPath;
they must agree."""

from __future__ import annotations

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
