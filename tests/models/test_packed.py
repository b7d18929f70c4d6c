"""Issue 12: a live snapshot's VMs held as compressed canonical bytes (``PackedObjects``) are the same snapshot.

Built from the simulator's golden raw inventory, packed and not, the two must agree everywhere a consumer looks:
as mappings and models, in the manifest's counts, in the canonical bytes of each file, in the state repo's paths,
and in the tree the store commits (byte-identical files, so no state repo sees a noise commit)."""

from __future__ import annotations

import json
import subprocess
from pathlib import Path
from typing import Any

import pytest

from driftguard.diff import only_objects
from driftguard.models import VM, Kind, Snapshot
from driftguard.models.canonical import canonical_bytes
from driftguard.models.packed import PackedObjects
from driftguard.normalize.snapshot import normalize_pages
from driftguard.store import StateRepo
from driftguard.store.layout import snapshot_files, snapshot_paths
from tests import paths

RAW = paths.FIXTURES / "normalize" / "snapshot" / "vcsim-default.json"


def _snapshots() -> tuple[Snapshot, Snapshot]:
    raw: dict[str, Any] = json.loads(RAW.read_text())["raw"]
    objects = dict(raw["objects"])
    vms = objects.pop("VirtualMachine")
    small = {**raw, "objects": objects}
    pages = [vms[:1], vms[1:]]  # as the reader hands them over: more than one page
    plain = normalize_pages(small, pages, lambda: raw)
    packed = normalize_pages(small, pages, lambda: raw, pack=True)
    return plain, packed


def test_a_packed_snapshot_equals_the_plain_one() -> None:
    plain, packed = _snapshots()
    assert isinstance(packed.vms, PackedObjects)
    assert len(packed.vms) == len(plain.vms) >= 2
    assert list(packed.vms) == list(plain.vms)  # the same moref order
    assert packed.vms == plain.vms
    assert packed.manifest == plain.manifest  # counts and unknowns, counted without parsing
    assert packed == plain
    for oid, vm in plain.vms.items():
        assert isinstance(packed.vms[oid], VM)
        assert packed.vms.canonical(oid) == canonical_bytes(vm)
    assert list(packed.canonical_objects()) == list(plain.canonical_objects())


def test_paths_and_only_objects_agree_without_parsing_every_vm() -> None:
    plain, packed = _snapshots()
    expected = {path: (obj.kind, obj.id) for path, obj in snapshot_files(plain).items()}
    assert snapshot_paths(packed) == snapshot_paths(plain) == expected
    some = sorted(plain.vms)[:2]
    keys: set[tuple[Kind, str]] = {("vm", oid) for oid in some}
    assert only_objects(packed, keys).vms == only_objects(plain, keys).vms == {oid: plain.vms[oid] for oid in some}


def _tree(repo: Path) -> str:
    done = subprocess.run(["git", "-C", str(repo), "ls-tree", "-r", "HEAD"], capture_output=True, text=True, check=True)
    return done.stdout


@pytest.mark.parametrize("packed_first", [True, False])
def test_the_store_commits_the_same_files(tmp_path: Path, packed_first: bool) -> None:
    plain, packed = _snapshots()
    trees = []
    for name, snapshot in (("a", packed if packed_first else plain), ("b", plain if packed_first else packed)):
        with StateRepo.open(tmp_path / name, create=True) as repo:
            assert repo.write_snapshot(snapshot, "snapshot") is not None
        trees.append(_tree(tmp_path / name))
    assert trees[0] == trees[1]
    # the work tree holds the same bytes as the canonical encoding of each model
    for path, obj in snapshot_files(plain).items():
        assert (tmp_path / "a" / path).read_bytes() == canonical_bytes(obj)


@pytest.mark.parametrize("compress_after", [0, 1, 10_000])
def test_compressed_and_plain_entries_read_back_the_same(compress_after: int) -> None:
    plain, _ = _snapshots()
    packed: PackedObjects[VM] = PackedObjects(VM, compress_after=compress_after)
    for vm in plain.vms.values():
        packed.add(vm)
    held = packed.packed_size()
    total = sum(len(canonical_bytes(vm)) for vm in plain.vms.values())
    assert (held < total) == (compress_after < len(plain.vms))  # something was compressed
    assert packed == plain.vms
    assert all(packed.canonical(oid) == canonical_bytes(vm) for oid, vm in plain.vms.items())
    assert packed.unknowns() == sum(len(vm.unknowns) for vm in plain.vms.values())
