"""Helpers of the state-repo fault families: a real ``python -m driftguard snapshot`` against the simulator, a base
repo whose next snapshot has work to do, and the completeness check of a stored snapshot."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

from driftguard.store import StateRepo
from tests.faults.health import git, head
from tests.paths import ROOT

USER = "VSPHERE.LOCAL\\driftguard-audit"
SECRET = "s3cret-store-faults"


def cli_env(**extra: str) -> dict[str, str]:
    env = {name: value for name, value in os.environ.items() if not name.startswith("DRIFTGUARD_")}
    env.update(
        {
            "PYTHONPATH": str(ROOT),
            "DRIFTGUARD_PASSWORD": SECRET,
            "NO_COLOR": "1",
            "COLUMNS": "200",
            "TERM": "dumb",
            **extra,
        }
    )
    return env


def snapshot_command(url: str, repo: Path, *extra: str) -> list[str]:
    return [
        sys.executable,
        "-m",
        "driftguard",
        "snapshot",
        "--vcenter",
        url,
        "--user",
        USER,
        "--repo",
        str(repo),
        *extra,
    ]


def run_snapshot(url: str, repo: Path, *extra: str, **env: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        snapshot_command(url, repo, *extra), env=cli_env(**env), capture_output=True, text=True, timeout=300
    )


def start_snapshot(url: str, repo: Path, *extra: str, **env: str) -> subprocess.Popen[str]:
    return subprocess.Popen(
        snapshot_command(url, repo, *extra),
        env=cli_env(**env),
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )


def make_base(url: str, directory: Path) -> tuple[Path, str]:
    """A state repo holding one snapshot whose object files were then re-indented and committed, plus a tracked
    ``notes/todo.txt`` for a person to edit: the next snapshot rewrites every object file (a publish with real work,
    same objects), however often a trial starts from a copy of it."""
    repo = directory / "base"
    first = run_snapshot(url, repo)
    assert first.returncode == 0, first.stdout + first.stderr
    for path in repo.glob("*/*/*/*.json"):
        path.write_text(json.dumps(json.loads(path.read_text()), indent=1, sort_keys=True) + "\n")
    (repo / "notes").mkdir()
    (repo / "notes" / "todo.txt").write_text("start\n")
    git(repo, "add", "-A")
    git(repo, "commit", "-q", "-m", "an older state: the same objects, other bytes")
    now = head(repo)
    assert now is not None
    return repo, now


def copy_repo(base: Path, dest: Path) -> Path:
    shutil.copytree(base, dest, symlinks=True)
    return dest


def assert_complete_head(repo: Path) -> None:
    """HEAD's snapshot loads (every file valid) and holds as many objects as its manifest counted."""
    with StateRepo.open(repo) as state:
        for vcenter in state.vcenters():
            snapshot = state.load("HEAD", vcenter)
            assert snapshot.manifest.counts, vcenter
            for kind, count in snapshot.manifest.counts.items():
                stored = len(snapshot.collection(kind))  # type: ignore[arg-type]
                assert stored == count, f"{vcenter}: {stored} {kind} files, the manifest counted {count}"


def error_line(stderr: str) -> str:
    """The one line that says what went wrong (progress lines before it are fine)."""
    lines = [line for line in stderr.splitlines() if "error" in line.lower()]
    assert len(lines) == 1, stderr
    assert stderr.rstrip().splitlines()[-1] == lines[0], stderr
    return lines[0]
