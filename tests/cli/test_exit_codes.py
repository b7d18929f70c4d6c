"""Exit codes exactly as documented (README.md "Exit codes"), for the cases issue 13 (point 6) names: a password
prompt without a terminal, a vCenter URL of another scheme, and ``plan --exit-code`` for what a baseline change
makes newly out of compliance."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from pathlib import Path

import git
import pytest

from driftguard.cli import exits
from driftguard.cli.exits import EXIT_DRIFT, EXIT_OK, EXIT_USAGE
from driftguard.models import Snapshot
from driftguard.store import StateRepo
from tests.cli_runner import invoke
from tests.paths import FIXTURES, ROOT

UNREACHABLE = "https://127.0.0.1:9/sdk"
ISOLATION = """\
version: 1
expectations:
  - id: isolation-address
    select: {kind: cluster}
    path: ha.options["das.isolationaddress0"]
    equals: %s
    severity: high
    reason: HA pings the core router.
"""


def run(*args: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    """``driftguard ARGS`` as a real process with stdin not a terminal (cron, CI) and no password variable."""
    environ = {k: v for k, v in os.environ.items() if not k.startswith("DRIFTGUARD_")}
    environ |= {"PYTHONPATH": str(ROOT), "NO_COLOR": "1", **(env or {})}
    return subprocess.run(
        [sys.executable, "-m", "driftguard", *args],
        stdin=subprocess.DEVNULL,
        capture_output=True,
        text=True,
        env=environ,
        timeout=120,
        check=False,
    )


def test_no_password_and_no_terminal_is_a_usage_error_with_one_clear_line(tmp_path: Path) -> None:
    done = run("snapshot", "--repo", str(tmp_path / "state"), "--vcenter", UNREACHABLE, "--user", "audit")
    assert done.returncode == EXIT_USAGE
    assert done.stderr == "driftguard: error: no password: set DRIFTGUARD_PASSWORD or run interactively\n"
    assert "GetPassWarning" not in done.stderr and done.stdout == ""
    assert not (tmp_path / "state").exists()


def test_no_password_in_process_too(tmp_path: Path) -> None:
    for command in (["snapshot"], ["diff", "--live"], ["check", "--live"]):
        result = invoke(
            *command, "--repo", tmp_path, "--vcenter", UNREACHABLE, "--user", "audit", env={"DRIFTGUARD_PASSWORD": None}
        )
        assert result.exit_code == EXIT_USAGE, (command, result.output)
        assert "no password: set DRIFTGUARD_PASSWORD or run interactively" in result.stderr


@pytest.mark.parametrize("url", ["ftp://vc01.example.com/sdk", "vsphere://vc01", "file:///etc/passwd"])
def test_another_url_scheme_is_a_usage_error_from_flag_env_and_config(tmp_path: Path, url: str) -> None:
    flag = invoke("snapshot", "--repo", tmp_path / "a", "--vcenter", url, "--user", "u", password="x")
    assert flag.exit_code == EXIT_USAGE and "only https://" in flag.stderr, flag.output
    env = invoke("snapshot", "--repo", tmp_path / "a", "--user", "u", password="x", env={"DRIFTGUARD_VCENTER": url})
    assert env.exit_code == EXIT_USAGE, env.output
    state = tmp_path / "state"
    state.mkdir()
    git.Repo.init(state)
    (state / "driftguard.yaml").write_text(f"vcenters:\n  - name: vc1\n    url: {url}\n    user: u\n")
    config = invoke("snapshot", "--repo", state, password="x")
    assert config.exit_code == EXIT_USAGE and "driftguard.yaml:3:" in config.stderr, config.output


@pytest.fixture
def repo(tmp_path: Path) -> Path:
    data = json.loads((FIXTURES / "normalize" / "snapshot" / "vcsim-default.json").read_text())["expected"]
    path = tmp_path / "state"
    with StateRepo.open(path, create=True) as state:
        state.write_snapshot(Snapshot.model_validate(data), "first")
    return path


def commit(repo: Path, text: str, message: str) -> str:
    (repo / "baselines").mkdir(exist_ok=True)
    (repo / "baselines" / "site.yaml").write_text(text)
    r = git.Repo(repo)
    r.index.add(["baselines/site.yaml"])
    return r.index.commit(message).hexsha


def test_plan_exit_code_says_newly_out_of_compliance(repo: Path) -> None:
    data = json.loads((FIXTURES / "normalize" / "snapshot" / "vcsim-default.json").read_text())["expected"]
    (observed,) = {c["ha"]["options"].get("das.isolationaddress0") for c in data["clusters"].values()}
    base = commit(repo, ISOLATION % json.dumps(observed), "baselines: what is there")
    git.Repo(repo).git.checkout("-b", "pr")
    commit(repo, ISOLATION % '"10.9.9.9"', "move the isolation address")
    args = ("plan", "--repo", repo, "--base", base, "--head", "HEAD", "--format", "json")
    assert invoke(*args).exit_code == EXIT_OK  # without --exit-code the review never fails
    result = invoke(*args, "--exit-code")
    assert result.exit_code == EXIT_DRIFT, result.output
    assert json.loads(result.stdout)["summary"]["newly_noncompliant"] >= 1
    # a change that breaks nothing new exits 0 with --exit-code too
    same = invoke("plan", "--repo", repo, "--base", "HEAD", "--head", "HEAD", "--exit-code", "--format", "json")
    assert same.exit_code == EXIT_OK, same.output
    # invalid baselines stay a usage error (2), --exit-code or not
    (repo / "baselines" / "site.yaml").write_text("version: 1\nexpectations: [{id: x}]\n")
    assert invoke("plan", "--repo", repo, "--exit-code").exit_code == EXIT_USAGE


def test_the_documented_table_is_the_codes_the_cli_uses() -> None:
    table = (ROOT / "README.md").read_text().split("### Exit codes", 1)[1].split("\n## ", 1)[0]
    documented = {int(code) for code in re.findall(r"^\| (\d+) \|", table, flags=re.MULTILINE)}
    used = {value for name, value in vars(exits).items() if name.startswith("EXIT_")}
    assert documented == used == {0, 1, 2, 3, 4, 5, 130, 141, 143}
