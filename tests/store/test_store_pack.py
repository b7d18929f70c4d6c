"""Blobs of a large write go into one pack (written by :mod:`driftguard.store.plumbing`), not thousands of loose
objects: git must read it, ``git fsck --strict`` and ``git verify-pack`` must accept it, and a failure or kill at
any point of writing it leaves nothing git would trip over."""

from __future__ import annotations

import json
import os
import struct
import subprocess
from pathlib import Path

import pytest

from driftguard.models import Snapshot
from driftguard.store import DiskFullError, StateRepo, StoreError
from driftguard.store.plumbing import PACK_THRESHOLD, pack_index
from tests import paths

GOLDEN = paths.FIXTURES / "normalize" / "snapshot" / "vcsim-default.json"


def _estate(vms: int, memory: int = 0) -> Snapshot:
    snapshot = Snapshot.model_validate(json.loads(GOLDEN.read_text(encoding="utf-8"))["expected"])
    template = next(iter(snapshot.vms.values()))
    size = template.memory.model_copy(update={"size_mb": 1024 + memory})
    extra = {
        f"vm-9{i:03}": template.model_copy(update={"id": f"vm-9{i:03}", "name": f"app{i:03}", "memory": size})
        for i in range(vms)
    }
    return snapshot.model_copy(update={"vms": {**snapshot.vms, **extra}}).with_counts()


def _git(repo: Path, *args: str) -> str:
    return subprocess.run(["git", "-C", str(repo), *args], check=True, capture_output=True, text=True).stdout


def _counts(repo: Path) -> dict[str, int]:
    lines = _git(repo, "count-objects", "-v").splitlines()
    return {key: int(value) for key, value in (line.split(": ") for line in lines)}


def _litter(repo: Path) -> list[str]:
    pack = repo / ".git" / "objects" / "pack"
    names = sorted(p.name for p in pack.iterdir()) if pack.exists() else []
    stems = {name.rsplit(".", 1)[0] for name in names if name.endswith(".idx")}
    return [n for n in names if n.startswith("tmp_") or (n.endswith(".pack") and n[:-5] not in stems)]


def test_a_large_write_is_one_pack_git_reads_and_verifies(tmp_path: Path) -> None:
    repo_path = tmp_path / "state"
    snapshot = _estate(PACK_THRESHOLD + 50)
    with StateRepo.open(repo_path, create=True) as repo:
        repo.write_snapshot(snapshot, "first")
        assert repo.load() == snapshot
    counts = _counts(repo_path)
    assert counts["packs"] == 1 and counts["in-pack"] >= PACK_THRESHOLD + 50, counts
    assert counts["count"] < 20, counts  # only the trees and the commit are loose
    pack = next((repo_path / ".git" / "objects" / "pack").glob("pack-*.pack"))
    verified = _git(repo_path, "verify-pack", "-v", str(pack.with_suffix(".idx")))
    assert f"non delta: {counts['in-pack']} objects" in verified
    _git(repo_path, "fsck", "--full", "--strict")
    assert _git(repo_path, "status", "--porcelain") == ""
    _git(repo_path, "gc", "-q")  # git repacks our pack like its own
    with StateRepo.open(repo_path) as repo:
        assert repo.load() == snapshot


def test_a_small_write_stays_loose(tmp_path: Path) -> None:
    repo_path = tmp_path / "state"
    with StateRepo.open(repo_path, create=True) as repo:
        repo.write_snapshot(_estate(PACK_THRESHOLD + 50), "first")
        loose = _counts(repo_path)["count"]
        repo.write_snapshot(_estate(3, memory=2), "small")
        assert repo.load() == _estate(3, memory=2)
    counts = _counts(repo_path)
    assert counts["packs"] == 1 and counts["count"] >= loose + 4, counts  # 3 VMs and the manifest, loose


def test_the_index_records_offsets_beyond_2_gib_in_the_64_bit_table() -> None:
    entries = [(bytes([0x10]) + b"\0" * 19, 7, 12), (bytes([0xF0]) + b"\1" * 19, 9, 0x80000005)]
    index = pack_index(entries, b"\xaa" * 20)
    assert index[:8] == b"\xfftOc\0\0\0\2"
    fanout = struct.unpack(">256I", index[8 : 8 + 1024])
    assert fanout[0x0F] == 0 and fanout[0x10] == 1 and fanout[0xEF] == 1 and fanout[0xF0] == 2 and fanout[255] == 2
    tail = index[8 + 1024 + 2 * 20 + 2 * 4 :]
    small = struct.unpack(">2I", tail[:8])
    assert small == (12, 0x80000000)  # the second points into the 64-bit table, entry 0
    assert struct.unpack(">Q", tail[8:16])[0] == 0x80000005
    assert tail[16:36] == b"\xaa" * 20 and len(tail) == 56


@pytest.mark.parametrize("fail_at", ["pack", "idx"])
def test_an_interruption_at_either_rename_leaves_no_pack_behind(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, fail_at: str
) -> None:
    repo_path = tmp_path / "state"
    with StateRepo.open(repo_path, create=True) as repo:
        real = Path.replace

        def interrupted(self: Path, target: str | os.PathLike[str]) -> Path:
            if str(target).endswith(f".{fail_at}") and "/objects/pack/" in str(target):
                raise KeyboardInterrupt
            return real(self, target)

        monkeypatch.setattr(Path, "replace", interrupted)
        with pytest.raises(KeyboardInterrupt):
            repo.write_snapshot(_estate(PACK_THRESHOLD), "first")
        monkeypatch.undo()
        assert repo.head() is None and _litter(repo_path) == []
        assert not list((repo_path / ".git" / "objects" / "pack").glob("pack-*"))
        repo.write_snapshot(_estate(PACK_THRESHOLD), "first")
    _git(repo_path, "fsck", "--full", "--strict")


def test_a_pack_left_without_index_by_a_kill_is_removed_by_the_next_write(tmp_path: Path) -> None:
    repo_path = tmp_path / "state"
    with StateRepo.open(repo_path, create=True) as repo:
        repo.write_snapshot(_estate(PACK_THRESHOLD), "first")
    pack_dir = repo_path / ".git" / "objects" / "pack"
    pack = next(pack_dir.glob("pack-*.pack"))
    orphan = pack_dir / "pack-0123456789abcdef0123456789abcdef01234567.pack"
    orphan.write_bytes(pack.read_bytes())  # what a SIGKILL between the two renames leaves
    (pack_dir / "tmp_obj_driftguard_pending").write_text(orphan.stem + "\n")
    (pack_dir / "tmp_obj_driftguard_idx").write_bytes(b"half")
    with StateRepo.open(repo_path) as repo:
        repo.write_snapshot(_estate(PACK_THRESHOLD, memory=5), "second")
    assert _litter(repo_path) == [] and not orphan.exists()
    _git(repo_path, "fsck", "--full", "--strict")


@pytest.mark.skipif(os.geteuid() != 0, reason="mounting a tiny tmpfs for a full disk needs root")
@pytest.mark.parametrize("leave", [4096, 12288, 24576])
def test_a_full_disk_while_writing_the_pack_is_one_clean_error(tmp_path: Path, leave: int) -> None:
    mount = tmp_path / "tiny"
    mount.mkdir()
    subprocess.run(["mount", "-t", "tmpfs", "-o", "size=8m", "tmpfs", str(mount)], check=True)
    try:
        repo_path = mount / "state"
        with StateRepo.open(repo_path, create=True) as repo:
            free = os.statvfs(mount).f_bavail * os.statvfs(mount).f_frsize
            (mount / "filler").write_bytes(b"\0" * (free - leave))
            with pytest.raises(DiskFullError, match=f"^no space left on {repo_path}"):
                repo.write_snapshot(_estate(400), "first")
            assert repo.head() is None and _litter(repo_path) == []
            (mount / "filler").unlink()
            repo.write_snapshot(_estate(400), "first")
        _git(repo_path, "fsck", "--full", "--strict")
        assert _litter(repo_path) == [] and _counts(repo_path)["packs"] == 1
    finally:
        subprocess.run(["umount", "-l", str(mount)], check=True)


def test_store_error_is_the_base_of_disk_full() -> None:
    assert issubclass(DiskFullError, StoreError)


def test_git_gc_auto_runs_after_a_commit(tmp_path: Path) -> None:
    """Its loose-object estimate samples one directory (objects/17), so the pack limit is what a test can pass."""
    repo_path = tmp_path / "state"
    with StateRepo.open(repo_path, create=True) as repo:
        repo.write_snapshot(_estate(PACK_THRESHOLD), "first")
        _git(repo_path, "config", "gc.autoPackLimit", "2")  # git's default is 50 packs
        packs = []
        for night in range(1, 5):
            repo.write_snapshot(_estate(PACK_THRESHOLD, memory=night), f"night {night}")  # a pack each
            packs.append(_counts(repo_path)["packs"])
    assert max(packs) <= 2 and packs[-1] >= 1, packs  # 5 packs written, consolidated along the way
    assert not (repo_path / ".git" / "gc.pid").exists()  # in the foreground, finished
    _git(repo_path, "fsck", "--full", "--strict")
    assert _git(repo_path, "status", "--porcelain") == ""
