"""What must hold after every fault: the state repo is the truth, nothing half-way, no litter, no traceback."""

from __future__ import annotations

import json
import subprocess
from pathlib import Path

LITTER = ("driftguard.lock", "index.lock", "HEAD.lock", "driftguard-tmp-undo")
"""Files under .git that a run must never leave behind (a held flock file may exist only while its holder lives)."""


def git(repo: Path, *args: str) -> str:
    result = subprocess.run(["git", "-C", str(repo), *args], capture_output=True, text=True, check=False)
    assert result.returncode == 0, f"git {' '.join(args)} failed: {result.stderr}"
    return result.stdout


def head(repo: Path) -> str | None:
    result = subprocess.run(
        ["git", "-C", str(repo), "rev-parse", "-q", "--verify", "HEAD"], capture_output=True, text=True
    )
    return result.stdout.strip() or None


def assert_no_traceback(*outputs: str | bytes) -> None:
    for output in outputs:
        text = output.decode(errors="replace") if isinstance(output, bytes) else output
        assert "Traceback (most recent call last)" not in text, text
        assert not any(line.startswith(('  File "', "    raise ")) for line in text.splitlines()), text


def assert_healthy(repo: Path, head_before: str | None = None, *, allow_new_snapshot: bool = True) -> None:
    """``git fsck --full`` clean, work tree clean, no lock or litter, HEAD unchanged or a complete snapshot."""
    if not (repo / ".git").exists() and not (repo / "HEAD").exists():
        return  # nothing was ever created: nothing can be half-way
    fsck = subprocess.run(["git", "-C", str(repo), "fsck", "--full", "--strict"], capture_output=True, text=True)
    assert fsck.returncode == 0, f"git fsck: {fsck.stdout}{fsck.stderr}"
    git_dir = repo / ".git" if (repo / ".git").is_dir() else repo
    left = [name for name in LITTER if (git_dir / name).exists() and name != "driftguard.lock"]
    assert not left, f"left behind in {git_dir}: {left}"
    crash = list(git_dir.glob("fast_import_crash_*"))
    assert not crash, crash
    if (repo / ".git").is_dir():
        status = git(repo, "status", "--porcelain", "--untracked-files=all")
        assert status == "", f"work tree not clean:\n{status}"
    now = head(repo)
    if now != head_before:
        assert allow_new_snapshot, f"HEAD moved from {head_before} to {now}"
        assert now is not None
        for name in git(repo, "ls-tree", "--name-only", now).split():
            manifest = subprocess.run(
                ["git", "-C", str(repo), "show", f"{now}:{name}/manifest.json"], capture_output=True, text=True
            )
            if manifest.returncode == 0:
                data = json.loads(manifest.stdout)
                assert data.get("complete") is True, f"{name}: committed an incomplete snapshot"
