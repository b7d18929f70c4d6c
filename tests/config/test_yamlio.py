"""The bounded reader's limits at their edges: what is still accepted, and the first thing refused."""

from __future__ import annotations

import pytest

from driftguard.baseline import yamlio


def refused(data: bytes | str, file: str = "f.yaml") -> str:
    with pytest.raises(yamlio.ReadError) as info:
        yamlio.load_yaml(data, file)
    return str(info.value)


def test_anchors_for_a_shared_block_keep_working() -> None:
    text = "a: &sel {kind: host, cluster: prod}\nb: {select: *sel}\nc: {select: *sel}\n"
    tree = yamlio.load_yaml(text, "f.yaml")
    assert yamlio.plain(tree)["c"] == {"select": {"kind": "host", "cluster": "prod"}}


def test_alias_count_limit() -> None:
    ok = "a: &x 1\nb: [" + ", ".join(["*x"] * yamlio.MAX_ALIASES) + "]\n"
    assert len(yamlio.plain(yamlio.load_yaml(ok, "f.yaml"))["b"]) == yamlio.MAX_ALIASES
    over = "a: &x 1\nb: [" + ", ".join(["*x"] * (yamlio.MAX_ALIASES + 1)) + "]\n"
    assert refused(over) == f"f.yaml:2:{5 + 4 * yamlio.MAX_ALIASES}: more than {yamlio.MAX_ALIASES} aliases"


def test_expansion_limit_catches_few_aliases_of_big_blocks() -> None:
    block = "[" + ", ".join(["1"] * 20_000) + "]"
    text = f"a: &big {block}\nb: [" + ", ".join(["*big"] * 60) + "]\n"
    assert "aliases expand the document beyond 1,000,000 nodes" in refused(text)


def test_depth_limit_at_its_edge() -> None:
    depth = yamlio.MAX_DEPTH
    assert yamlio.load_yaml("[" * depth + "]" * depth, "f.yaml") is not None
    assert refused("[" * (depth + 1) + "]" * (depth + 1)) == f"f.yaml:1:{depth + 1}: nested more than 64 levels deep"


def test_aliases_count_towards_depth() -> None:
    deep = "[" * 40 + "]" * 40
    text = f"a: &d {deep}\nb: " + "[" * 30 + "*d" + "]" * 30 + "\n"
    assert "aliases nest it more than 64 levels deep" in refused(text)


def test_encoding_bom_duplicates_and_timestamps() -> None:
    assert yamlio.plain(yamlio.load_yaml("\ufeffa: 1\n".encode(), "f.yaml")) == {"a": 1}
    assert refused(b"a: 1\nb: \xff\n") == "f.yaml:2:4: not UTF-8 text: byte 0xff cannot be decoded (invalid start byte)"
    assert refused("a: 1\nb: 2\na: 3\n").startswith("f.yaml:3:1: not valid YAML")
    assert yamlio.plain(yamlio.load_yaml("d: 2026-13-45\n", "f.yaml")) == {"d": "2026-13-45"}
    assert refused("a: \x07\n").startswith("f.yaml:1:4: not valid YAML")


def test_size_limit() -> None:
    # exactly the limit passes the size check (decoding only: parsing 5 MiB in pure Python takes tens of seconds)
    assert len(yamlio.decode(b"#" * yamlio.MAX_BYTES, "f.yaml")) == yamlio.MAX_BYTES
    message = "f.yaml:1:1: file is more than 5,242,880 bytes; the limit is 5,242,880 bytes (5 MiB)"
    assert refused(b"#" * (yamlio.MAX_BYTES + 1)) == message


def test_toml_depth() -> None:
    yamlio.check_toml_depth('a = "[[[[" # [[[[\nb = [[1]]\n', "f.toml")  # brackets in strings/comments: not nesting
    with pytest.raises(yamlio.ReadError, match=r"f.toml:2:69: nested more than 64 levels deep"):
        yamlio.check_toml_depth("x = 1\ny = " + "[" * 65 + "]" * 65, "f.toml")
