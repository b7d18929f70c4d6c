"""The one path grammar (driftguard.models.paths): properties over hostile keys, and its users agreeing on it."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from driftguard.attribute import lookup
from driftguard.baseline import paths as baseline_paths
from driftguard.diff import diff_snapshots
from driftguard.models import Snapshot
from driftguard.models.paths import (
    WILDCARD,
    Key,
    Path,
    PathError,
    Segment,
    is_under,
    matches,
    overlaps,
    parse,
    parse_spans,
    prefix_matches,
    render,
    render_key,
)
from tests.strategies import example_snapshot, snapshot_pairs

HOSTILE = st.sampled_from(['"', "'", "[", "]", ".", "\\", "*", "\\u0000", "\n", "\x00", "é", "漢", "\U0001f600", " "])
keys_text = st.lists(HOSTILE | st.text(max_size=3), max_size=6).map("".join)
names = st.from_regex(r"[A-Za-z_][A-Za-z0-9_]{0,6}", fullmatch=True)
keys = st.builds(Key, keys_text | st.integers(-(10**12), 10**12))
segments: st.SearchStrategy[Segment] = names | keys
paths = st.lists(segments, max_size=6).map(tuple)
patterns = st.lists(names | keys | st.just(WILDCARD), max_size=6).map(tuple)


@given(paths)
def test_parse_inverts_render(path: Path) -> None:
    assert parse(render(path)) == path


@given(paths)
def test_render_is_canonical(path: Path) -> None:
    text = render(path)
    assert render(parse(text)) == text


@given(patterns)
def test_patterns_round_trip_and_wildcard_differs_from_a_star_key(pattern: Path) -> None:
    assert parse(render(pattern)) == pattern
    assert parse('x["*"]') != parse("x[*]")


@given(paths, paths)
def test_is_under_is_segment_prefix(path: Path, tail: Path) -> None:
    """The cheap text test agrees with the definition (a segment prefix), for hostile keys too."""
    whole = (*path, *tail)
    assert is_under(render(whole), render(path))
    for ancestor in (path, tail):
        expected = whole[: len(ancestor)] == ancestor
        assert is_under(render(whole), render(ancestor)) is expected


@given(paths, paths)
def test_is_under_arbitrary_pairs(a: Path, b: Path) -> None:
    assert is_under(render(a), render(b)) is (a[: len(b)] == b)
    assert overlaps(render(a), render(b)) is (a[: len(b)] == b or b[: len(a)] == a)


@given(patterns, paths)
def test_wildcard_matching(pattern: Path, path: Path) -> None:
    concrete = tuple(Key("k") if s == WILDCARD else s for s in pattern)
    assert matches(pattern, concrete)
    assert prefix_matches(pattern, (*concrete, *path))
    assert matches(pattern, path) is (
        len(pattern) == len(path)
        and all(w == g or (w == WILDCARD and isinstance(g, Key)) for w, g in zip(pattern, path, strict=True))
    )


@given(keys_text | st.integers())
def test_render_key_is_json_for_text(value: int | str) -> None:
    assert parse(f"x[{render_key(value)}]") == ("x", Key(value))


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("cpu.count", ("cpu", "count")),
        ('devices["CD/DVD drive 1"].backing.file_name', ("devices", Key("CD/DVD drive 1"), "backing", "file_name")),
        ('ha.options["a\\"b]c"]', ("ha", "options", Key('a"b]c'))),
        ("config.hardware.device[3002]", ("config", "hardware", "device", Key(3002))),
        ("x[-1]", ("x", Key(-1))),
        ("x[*]", ("x", WILDCARD)),
        ("", ()),
    ],
)
def test_parse_examples(text: str, expected: Path) -> None:
    assert parse(text) == expected
    assert render(expected) == text


@pytest.mark.parametrize(
    ("text", "offset"),
    [
        ('x["open', 2),
        ("x[open]", 1),
        ("x['single']", 1),
        ('x["a"b]', 5),
        ("x[²]", 1),
        ("a..b", 2),
        ("a.1b", 2),
        ("a b", 1),
        ("a[1", 3),
    ],
)
def test_malformed_paths_name_the_offset(text: str, offset: int) -> None:
    with pytest.raises(PathError) as caught:
        parse_spans(text)
    assert caught.value.offset == offset


def test_segment_boundaries() -> None:
    assert is_under("config.hardware.device[3002]", "config.hardware.device")
    assert not is_under("config.hardware.device[3002]", "config.hardware.device[30]")
    assert not is_under("config.hardware.numCoresPerSocket", "config.hardware.numCPU")
    assert is_under("anything", "")
    assert not is_under("", "ha")


@pytest.mark.parametrize("key", ['a"b', "x]y", "d.o.t", "back\\slash", "*", "ünïcode 漢", "[", "12"])
def test_diff_attribute_and_baseline_agree_on_hostile_keys(key: str) -> None:
    """A path the diff writes parses back to the key, the attribution table finds its rule, and a baseline path
    written for that key selects exactly it (a ``["*"]`` key is not the ``[*]`` wildcard)."""
    old = example_snapshot()
    host = old.hosts["host-21"]
    options = {**host.advanced_options, key: 1, "other": 1}
    before = host.model_copy(update={"advanced_options": options})
    old = old.model_copy(update={"hosts": {**old.hosts, "host-21": before}})
    changed = host.model_copy(update={"advanced_options": {**options, key: 2, "other": 2}})
    new = old.model_copy(update={"hosts": {**old.hosts, "host-21": changed}})

    items = [i for i in diff_snapshots(old, new) if i.id == "host-21"]
    paths_by_key = {parse(i.path)[-1]: i.path for i in items}
    assert Key(key) in paths_by_key
    assert paths_by_key[Key(key)] == render(("advanced_options", Key(key)))
    rule = lookup("host", paths_by_key[Key(key)], "modified")
    assert rule is not None and rule.path == "advanced_options[*]"

    data = changed.model_dump(mode="json")
    found = list(baseline_paths.expand(data, parse(render(("advanced_options", Key(key))))))
    assert found == [(("advanced_options", Key(key)), 2)]
    every = list(baseline_paths.expand(data, parse("advanced_options[*]")))
    assert len(every) == len(options)


@settings(max_examples=40, deadline=None)
@given(snapshot_pairs())
def test_every_diff_path_is_canonical(pair: tuple[Snapshot, Snapshot]) -> None:
    for item in diff_snapshots(*pair):
        assert render(parse(item.path)) == item.path
