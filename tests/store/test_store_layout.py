"""Example cases of the state repo layout: sanitising names into path components, object paths, parsing back."""

from __future__ import annotations

from pathlib import PurePosixPath

import pytest

from driftguard.models import VM, Host
from driftguard.store import (
    StoreError,
    decode_component,
    encode_moref,
    object_path,
    parse_object_path,
    sanitize_component,
    vcenter_dir,
)
from driftguard.store.layout import MAX_COMPONENT_BYTES, snapshot_files
from tests.strategies import example_snapshot


@pytest.mark.parametrize(
    ("name", "component"),
    [
        ("web01", "web01"),
        ("esx01.example.com", "esx01.example.com"),
        ("../../etc", "%2E.%2F..%2Fetc"),
        ("a/b", "a%2Fb"),
        ("%2f", "%252f"),
        ("a\\b", "a%5Cb"),
        ("nul\x00byte", "nul%00byte"),
        ("tab\tnew\nline", "tab%09new%0Aline"),
        ("\x7fdel", "%7Fdel"),
        (".git", "%2Egit"),
        (".hidden", "%2Ehidden"),
        ("..", "%2E%2E"),
        (".", "%2E"),
        ("trailing dot.", "trailing dot%2E"),
        ("trailing space ", "trailing space%20"),
        ("CON", "%43ON"),
        ("con", "%63on"),
        ("nul.txt", "%6Eul.txt"),
        ("COM1", "%43OM1"),
        ("LPT9.log", "%4CPT9.log"),
        ("CONSOLE", "CONSOLE"),
        ("name~moref", "name%7Emoref"),
        ("a:b*c?", "a%3Ab%2Ac%3F"),
        ("café", "café"),
        ("Zürich-DC", "Zürich-DC"),
        ("東京", "東京"),
        ("\u202eevil", "%E2%80%AEevil"),
        ("zero\u200bwidth", "zero%E2%80%8Bwidth"),
    ],
)
def test_sanitize_examples(name: str, component: str) -> None:
    assert sanitize_component(name) == component
    assert decode_component(component) == name


def test_literal_percent_sequences_cannot_collide_with_escapes() -> None:
    assert sanitize_component("a%2Fb") != sanitize_component("a/b")
    assert sanitize_component("%252f") != sanitize_component("%2f")


def test_empty_name_gets_a_hashed_component() -> None:
    component = sanitize_component("")
    assert component.startswith("%-") and len(component) > 2


def test_non_nfc_name_is_normalised_and_marked() -> None:
    composed, decomposed = "caf\u00e9", "cafe\u0301"
    assert sanitize_component(composed) == "café"
    assert sanitize_component(decomposed).startswith("café%-")
    assert sanitize_component(decomposed) != sanitize_component(composed)


def test_combining_mark_after_an_escape_is_escaped_too() -> None:
    # "%2E" followed by U+0301 would compose "E" + acute into "É" on a normalising file system.
    component = sanitize_component(".\u0301x")
    assert component == "%2E%CC%81x"


def test_long_names_are_cut_on_a_character_boundary_with_a_hash() -> None:
    long_ascii = "v" * 300
    component = sanitize_component(long_ascii)
    assert len(component.encode()) <= MAX_COMPONENT_BYTES
    assert component.startswith("v" * 80) and "%-" in component
    assert sanitize_component("v" * 299 + "w") != component
    umlauts = sanitize_component("ü" * 300)
    assert len(umlauts.encode()) <= MAX_COMPONENT_BYTES
    umlauts.encode().decode("utf-8")  # never cut inside a character
    escaped = sanitize_component("/" * 300)
    assert escaped.split("%-")[0].count("%") * 3 == len(escaped.split("%-")[0])  # never cut inside an escape


def test_reserved_words_are_encoded_only_where_reserved() -> None:
    assert vcenter_dir("baselines") == "%62aselines"
    assert vcenter_dir("Baselines") == "%42aselines"
    assert sanitize_component("baselines") == "baselines"
    assert sanitize_component("_standalone", reserved=("_standalone",)) == "%5Fstandalone"


def test_morefs_are_encoded_reversibly() -> None:
    for moref in ("vm-42", "domain-c7", "host-1/../x", "a~b", "%41", ""):
        assert decode_component(encode_moref(moref)) == moref
    with pytest.raises(StoreError, match="too long"):
        encode_moref("x" * 200)


def test_object_paths_follow_the_layout() -> None:
    snapshot = example_snapshot()
    paths = {str(p) for p in snapshot_files(snapshot)}
    assert paths == {
        "vc01.example.com/clusters/DC1/Prod~domain-c7.json",
        "vc01.example.com/hosts/Prod/esx01.example.com~host-21.json",
        "vc01.example.com/hosts/Prod/esx02.example.com~host-22.json",
        "vc01.example.com/vms/Prod/web01~vm-31.json",
        "vc01.example.com/vms/Prod/web01~vm-32.json",
        "vc01.example.com/vms/Prod/db01~vm-33.json",
        "vc01.example.com/dvswitches/DC1/dvs-prod~dvs-41.json",
        "vc01.example.com/datastores/DC1/ds1~datastore-11.json",
    }


def test_standalone_and_datacenterless_objects() -> None:
    snapshot = example_snapshot()
    standalone = VM(id="vm-9", name="tmpl", cluster=None)
    assert object_path(snapshot, standalone) == PurePosixPath("vc01.example.com/vms/_standalone/tmpl~vm-9.json")
    odd = VM(id="vm-10", name="x", cluster="domain-c99")  # cluster not in the snapshot: its id
    assert object_path(snapshot, odd).parts[2] == "domain-c99"
    host = Host(id="host-9", name="esx09", cluster="domain-c99", cluster_name="Lab")
    assert object_path(snapshot, host).parts[2] == "Lab"
    cluster = snapshot.clusters["domain-c7"].model_copy(update={"datacenter": None})
    assert object_path(snapshot, cluster).parts[2] == "_nodatacenter"
    named_like_placeholder = snapshot.clusters["domain-c7"].model_copy(update={"name": "_standalone"})
    moved = snapshot.model_copy(update={"clusters": {"domain-c7": named_like_placeholder}})
    assert object_path(moved, moved.vms["vm-31"]).parts[2] == "%5Fstandalone"


def test_hostile_names_stay_inside_the_vcenter_directory() -> None:
    snapshot = example_snapshot()
    for name in ("../../etc/passwd", "/abs", "..", "a/../../b", "\\..\\..\\x"):
        vm = snapshot.vms["vm-31"].model_copy(update={"name": name})
        path = object_path(snapshot, vm)
        assert len(path.parts) == 4 and path.parts[0] == "vc01.example.com"
        assert all(part not in ("..", ".", "") for part in path.parts)
    assert vcenter_dir("../x") == "%2E.%2Fx"


def test_same_name_different_moref_gives_different_files_and_a_rename_moves_the_file() -> None:
    snapshot = example_snapshot()
    first, second = snapshot.vms["vm-31"], snapshot.vms["vm-32"]
    assert first.name == second.name
    assert object_path(snapshot, first) != object_path(snapshot, second)
    renamed = first.model_copy(update={"name": "web01-old"})
    assert object_path(snapshot, renamed).name == "web01-old~vm-31.json"
    assert parse_object_path(object_path(snapshot, renamed)) == parse_object_path(object_path(snapshot, first))


def test_parse_object_path() -> None:
    key = parse_object_path("vc01/vms/Prod/web%2F01~vm-42.json")
    assert key is not None and (key.vcenter_dir, key.kind, key.id) == ("vc01", "vm", "vm-42")
    assert parse_object_path("vc01/manifest.json") is None
    assert parse_object_path("vc01/vms/Prod/no-separator.json") is None
    assert parse_object_path("vc01/widgets/Prod/a~b.json") is None
    assert parse_object_path("vc01/vms/Prod/a~b.txt") is None
    assert parse_object_path("vc01/vms/Prod/a~%zz.json") is None
