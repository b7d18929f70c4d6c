"""Regenerate docs/examples/pr-review.{json,md}: the pull-request review shown in docs/baselines.md and README.

Runs the real command line against the vCenter simulator (14 clusters): snapshot, a site baseline on main, a
branch that moves das.isolationaddress0, then `driftguard plan --base main --head HEAD`. Nothing is typed by
hand; tests/baseline/test_baseline.py re-renders the Markdown from the JSON so the example follows the renderer.
"""

from __future__ import annotations

import os
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

import git  # noqa: E402
from pyVmomi import vim  # noqa: E402

from tests.vcsim import harness, scenario  # noqa: E402

OUT = ROOT / "docs" / "examples"
DRIFTGUARD = [sys.executable, "-m", "driftguard"]
SITE = """\
version: 1
description: Production clusters on top of seed-security.
extends: seed-security
expectations:
  - id: isolation-address
    select: {kind: cluster, name: 'DC0_C*'}
    path: ha.options["das.isolationaddress0"]
    equals: %s
    severity: high
    reason: HA pings the core router of the management network.
"""


def driftguard(*args: str, cwd: Path | None = None) -> str:
    done = subprocess.run([*DRIFTGUARD, *args], capture_output=True, text=True, check=False, cwd=cwd)
    if done.returncode not in (0, 1):
        raise SystemExit(f"driftguard {' '.join(args)} failed: {done.stderr}")
    return done.stdout


def commit(repo: Path, text: str, message: str) -> str:
    (repo / "baselines").mkdir(exist_ok=True)
    (repo / "baselines" / "site.yaml").write_text(text)
    r = git.Repo(repo)
    r.index.add(["baselines/site.yaml"])
    return r.index.commit(message).hexsha


def main() -> int:
    harness.build()
    os.environ["DRIFTGUARD_PASSWORD"] = "example"  # noqa: S105 - the simulator accepts any password
    for var, value in {"GIT_AUTHOR_NAME": "alice", "GIT_AUTHOR_EMAIL": "alice@example.com",
                       "GIT_COMMITTER_NAME": "alice", "GIT_COMMITTER_EMAIL": "alice@example.com"}.items():  # fmt: skip
        os.environ[var] = value
    with harness.start(clusters=14, hosts=1, vms=1) as sim, tempfile.TemporaryDirectory() as tmp:
        with scenario.session(sim.url, "VSPHERE.LOCAL\\alice") as si:
            clusters = scenario.names(si, vim.ClusterComputeResource)
        for name in clusters:
            scenario.set_das_option(sim.url, "VSPHERE.LOCAL\\alice", name, "das.isolationaddress0", "10.0.0.1")
        repo = Path(tmp) / "state"
        driftguard("snapshot", "--vcenter", sim.url, "--user", "VSPHERE.LOCAL\\driftguard-audit", "--repo", str(repo))
        main_commit = commit(repo, SITE % "10.0.0.1", "baselines: site")
        git.Repo(repo).git.checkout("-b", "move-isolation")
        commit(repo, SITE % "10.0.0.2", "site: move the HA isolation address to 10.0.0.2")
        OUT.mkdir(parents=True, exist_ok=True)
        markdown = driftguard(
            "plan", "--repo", str(repo), "--base", main_commit, "--head", "HEAD",
            "--format", "markdown", "--json-out", str(OUT / "pr-review.json"),
        )  # fmt: skip
        (OUT / "pr-review.md").write_text(markdown)
    print(f"wrote {OUT / 'pr-review.md'} and {OUT / 'pr-review.json'}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
