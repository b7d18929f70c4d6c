"""Helpers of the configuration fault tests: a committed state repo, hostile file bodies, and the real CLI run as a
subprocess under a 1 GiB address-space limit (a safety net: a regression fails the test, not the machine).
"""

from __future__ import annotations

import os
import resource
import subprocess
import sys
from pathlib import Path

from tests.faults.health import git
from tests.paths import ROOT
from tests.rule_cases import build_snapshot

ADDRESS_SPACE = 1024**3
SAFETY_TIMEOUT = 120  # seconds: a hang fails the test instead of blocking the suite (not a timing assertion)

BASE = {
    "clusters": {"c1": {"name": "C1"}},
    "hosts": {"host-1": {"name": "esx01", "cluster": "c1"}},
    "vms": {"vm-1": {"name": "web01", "host": "host-1"}},
}


def _limit() -> None:
    resource.setrlimit(resource.RLIMIT_AS, (ADDRESS_SPACE, ADDRESS_SPACE))


def run(*args: str | Path) -> subprocess.CompletedProcess[str]:
    """``driftguard ARGS`` in a child process with the address-space limit."""
    module = "driftguard"
    env = {**os.environ, "PYTHONPATH": str(ROOT), "COLUMNS": "200", "NO_COLOR": "1", "TERM": "dumb"}
    env.pop("DRIFTGUARD_REPO", None)
    return subprocess.run(
        [sys.executable, "-m", module, *map(str, args)],
        capture_output=True,
        text=True,
        env=env,
        preexec_fn=_limit,  # setrlimit only; no threads in the parent at fork time matter here
        timeout=SAFETY_TIMEOUT,
        check=False,
        cwd=ROOT,
    )


def state_repo(path: Path) -> Path:
    """A state repo with one committed snapshot."""
    from driftguard.store import StateRepo

    StateRepo.open(path, create=True).write_snapshot(build_snapshot(BASE), "first")
    return path


def commit(repo: Path, files: dict[str, bytes]) -> str:
    """Write and commit ``files`` (so the work tree is clean again); the new HEAD."""
    for name, data in files.items():
        target = repo / name
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_bytes(data)
    git(repo, "add", "-A")
    git(repo, "commit", "-q", "-m", "hostile input")
    return git(repo, "rev-parse", "HEAD").strip()


def billion_laughs(levels: int = 9) -> bytes:
    lines = ['a0: &a0 ["lol", "lol", "lol", "lol", "lol", "lol", "lol", "lol", "lol"]']
    for level in range(1, levels):
        refs = ", ".join([f"*a{level - 1}"] * 9)
        lines.append(f"a{level}: &a{level} [{refs}]")
    return ("\n".join(lines) + "\n").encode()


def deep_nesting(levels: int = 5000) -> bytes:
    return b"x: " + b"[" * levels + b"]" * levels + b"\n"


def big_yaml(size: int) -> bytes:
    line = b'  - host:advanced_options["Config.HostAgent.log.level"]\n'
    return b"ignore:\n" + line * (size // len(line) + 1)


NOT_UTF8 = b"version: 1\ndescription: caf\xe9 au lait\n"
"""Latin-1 bytes: the 0xe9 is line 2, column 17."""
