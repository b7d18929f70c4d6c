"""What the CLI fault tests share: a real state repo, and driftguard run as a real process."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Mapping
from pathlib import Path

from driftguard.models import Snapshot
from driftguard.store import StateRepo
from tests.paths import ROOT

"""The repository root (the worktree in development, the checkout in CI): what PYTHONPATH must point at."""
FIXTURE = ROOT / "tests" / "fixtures" / "normalize" / "snapshot" / "vcsim-default.json"
SECRET = "s3cr3t/p#ss-never-shown"  # a '/' and a '#' on purpose: they broke URL parsing before (issue 8.13)


def make_repo(path: Path) -> Path:
    """A state repo holding one complete snapshot (the simulator's default inventory, from the golden file)."""
    snapshot = Snapshot.model_validate(json.loads(FIXTURE.read_text())["expected"])
    state = StateRepo.open(path, create=True)
    assert state.write_snapshot(snapshot, "first") is not None
    state.close()
    return path


def cli_env(tmp_path: Path, extra: Mapping[str, str] | None = None, *, password: str | None = None) -> dict[str, str]:
    """The environment of a driftguard process: this checkout first on the path, crash reports under tmp_path."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("DRIFTGUARD_")}
    env.update(
        {
            "PYTHONPATH": os.pathsep.join(
                [str(ROOT), *([extra["PYTHONPATH"]] if extra and "PYTHONPATH" in extra else [])]
            ),
            "XDG_STATE_HOME": str(tmp_path / "state-home"),
            "COLUMNS": "200",
            "NO_COLOR": "1",
            "TERM": "dumb",
        }
    )
    env.update({k: v for k, v in (extra or {}).items() if k != "PYTHONPATH"})
    if password is not None:
        env["DRIFTGUARD_PASSWORD"] = password
    return env


def run_cli(
    tmp_path: Path, *args: str | Path, env: Mapping[str, str] | None = None, password: str | None = SECRET
) -> subprocess.CompletedProcess[str]:
    """``python -m driftguard ARGS`` with stdin closed (as under cron), to completion."""
    return subprocess.run(
        [sys.executable, "-m", "driftguard", *map(str, args)],
        env=cli_env(tmp_path, env, password=password),
        stdin=subprocess.DEVNULL,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )


def crash_reports(tmp_path: Path) -> list[Path]:
    return sorted((tmp_path / "state-home" / "driftguard").glob("driftguard-crash-*.txt"))
