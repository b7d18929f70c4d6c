"""Fleet runs on the simulator: `snapshot --all` over four vCenters of driftguard.yaml, one of them down, each with
its own credentials (variable, file, OS keyring); then `diff`, `log` and `check --all-vcenters` per vCenter."""

from __future__ import annotations

import json
import subprocess
from collections.abc import Callable, Iterator
from pathlib import Path

import keyring
import pytest
from keyring.backend import KeyringBackend
from pydantic import SecretStr

from driftguard import api
from driftguard.api import vcenter_name
from tests.cli_runner import invoke
from tests.vcsim import scenario
from tests.vcsim.harness import Vcsim

USER = "VSPHERE.LOCAL\\fleet-audit"
EXIT_PARTIAL = 5


class MemoryKeyring(KeyringBackend):
    """An OS keyring stand-in holding passwords in memory (keyring's documented backend interface)."""

    priority = 1  # type: ignore[assignment]

    def __init__(self) -> None:
        super().__init__()
        self.passwords: dict[tuple[str, str], str] = {}

    def get_password(self, service: str, username: str) -> str | None:
        return self.passwords.get((service, username))

    def set_password(self, service: str, username: str, password: str) -> None:
        self.passwords[(service, username)] = password

    def delete_password(self, service: str, username: str) -> None:
        self.passwords.pop((service, username), None)


@pytest.fixture
def memory_keyring() -> Iterator[MemoryKeyring]:
    previous = keyring.get_keyring()
    ring = MemoryKeyring()
    keyring.set_keyring(ring)
    try:
        yield ring
    finally:
        keyring.set_keyring(previous)


def git(repo: Path, *args: str) -> str:
    return subprocess.run(["git", *args], cwd=repo, check=True, capture_output=True, text=True).stdout


def write_config(repo: Path, sims: list[Vcsim], tmp_path: Path) -> None:
    """vc1 reads $VC1_PASSWORD, vc2 a password file, vc3 the OS keyring, vc4 (stopped) $VC4_PASSWORD."""
    secret = tmp_path / "vc2.password"
    secret.write_text("from-a-file\n")
    entries = [
        {"name": "vc1", "url": sims[0].url, "user": USER, "password_env": "VC1_PASSWORD"},
        {"name": "vc2", "url": sims[1].url, "user": USER, "password_file": "${FLEET_SECRETS}/vc2.password"},
        {"name": "vc3", "url": sims[2].url, "user": USER, "keyring": True},
        {"name": "vc4", "url": sims[3].url, "user": USER, "password_env": "VC4_PASSWORD", "timeout": 5.0},
    ]
    subprocess.run(["git", "init", "-q", "-b", "main", str(repo)], check=True)
    (repo / "driftguard.yaml").write_text(json.dumps({"version": 1, "vcenters": entries}, indent=2) + "\n")
    git(repo, "add", "driftguard.yaml")
    git(repo, "commit", "-q", "-m", "driftguard.yaml: four vCenters")


@pytest.fixture
def fleet(
    vcsim_factory: Callable[..., Vcsim], tmp_path: Path, memory_keyring: MemoryKeyring
) -> tuple[Path, list[Vcsim], dict[str, str | None]]:
    sims = [vcsim_factory(clusters=1, hosts=1, standalone_hosts=0, vms=1) for _ in range(4)]
    repo = tmp_path / "state"
    write_config(repo, sims, tmp_path)
    memory_keyring.set_password("driftguard", "vc3", "from-the-keyring")
    env: dict[str, str | None] = {
        "VC1_PASSWORD": "from-a-variable",
        "VC4_PASSWORD": "anything",
        "FLEET_SECRETS": str(tmp_path),
        "DRIFTGUARD_PASSWORD": None,
    }
    return repo, sims, env


def test_snapshot_all_with_one_vcenter_down_commits_three_and_exits_partial(
    fleet: tuple[Path, list[Vcsim], dict[str, str | None]],
) -> None:
    repo, sims, env = fleet
    sims[3].stop()
    result = invoke("snapshot", "--all", "--repo", repo, "--jobs", "4", env=env)
    assert result.exit_code == EXIT_PARTIAL, result.output
    errors = [line for line in result.stderr.splitlines() if line.startswith("driftguard: error:")]
    assert len(errors) == 1 and errors[0].startswith("driftguard: error: vc4: "), result.stderr
    subjects = git(repo, "log", "--format=%s", "HEAD~3..").splitlines()
    assert len(subjects) == 3 and git(repo, "log", "-1", "--format=%s", "HEAD~3").startswith("driftguard.yaml")
    directories = {vcenter_name(sim.url) for sim in sims[:3]}
    changed = {line.split("/")[0] for line in git(repo, "log", "--name-only", "--format=", "HEAD~3..").split()}
    assert changed == directories  # one commit per vCenter, each touching only its own directory
    cells = [[c.strip() for c in line.split("│")] for line in result.stdout.splitlines()]
    rows = {row[0]: row for row in cells if row[0].startswith("vc")}
    assert [rows[n][1] for n in ("vc1", "vc2", "vc3", "vc4")] == ["committed", "committed", "committed", "failed"]
    assert "3 of 4 vCenters snapshotted" in result.stdout
    assert git(repo, "status", "--porcelain") == ""


def test_diff_log_and_check_stay_with_each_vcenter(fleet: tuple[Path, list[Vcsim], dict[str, str | None]]) -> None:
    repo, sims, env = fleet
    sims[3].stop()
    assert invoke("snapshot", "--all", "--repo", repo, env=env).exit_code == EXIT_PARTIAL
    scenario.set_vm_cpus(sims[0].url, "VSPHERE.LOCAL\\alice", "DC0_C0_H0_VM0", 4)
    again = invoke("snapshot", "--all", "--repo", repo, "--format", "json", env=env)
    assert again.exit_code == EXIT_PARTIAL, again.output
    summary = {run["name"]: run for run in json.loads(again.stdout)["vcenters"]}
    assert summary["vc1"]["result"] == "committed" and summary["vc1"]["changes"] >= 1
    assert summary["vc2"]["result"] == summary["vc3"]["result"] == "unchanged"
    assert summary["vc4"]["result"] == "failed" and summary["vc4"]["exit_code"] == 3
    vc1, vc2 = vcenter_name(sims[0].url), vcenter_name(sims[1].url)
    # HEAD~1 is another vCenter's commit; diff compares vc1's two snapshots, not vc1 with vc3
    diffed = invoke("diff", "--repo", repo, "--vcenter-name", vc1, "--format", "json")
    assert diffed.exit_code == 0, diffed.output
    items = json.loads(diffed.stdout)["items"]
    assert items and {i["vcenter"] for i in items} == {vc1}
    assert any(i["path"] == "cpu.count" and i["new"] == 4 for i in items)
    assert invoke("diff", "--repo", repo, "--vcenter-name", vc2).exit_code == 2  # vc2 has one snapshot only
    logged = json.loads(invoke("log", "--repo", repo, "--vcenter-name", vc1, "--format", "json").stdout)["snapshots"]
    assert [e["vcenter"] for e in logged] == [vc1, vc1]
    checked = invoke("check", "--repo", repo, "--all-vcenters", "--format", "json")
    assert checked.exit_code == 0, checked.output
    assert {f["vcenter"] for f in json.loads(checked.stdout)["findings"]} == directories_of(sims[:3])


def directories_of(sims: list[Vcsim]) -> set[str]:
    return {vcenter_name(sim.url) for sim in sims}


def test_snapshot_all_pushes_once_and_reports_in_markdown(
    fleet: tuple[Path, list[Vcsim], dict[str, str | None]], tmp_path: Path
) -> None:
    repo, _, env = fleet
    remote = tmp_path / "remote.git"
    subprocess.run(["git", "init", "-q", "--bare", "-b", "main", str(remote)], check=True)
    git(repo, "remote", "add", "origin", str(remote))
    result = invoke("snapshot", "--all", "--repo", repo, "--push", "--format", "markdown", "--jobs", "2", env=env)
    assert result.exit_code == 0, result.output
    assert "| vCenter | result | commit | changes | time |" in result.stdout
    assert result.stdout.count("| committed |") == 4
    assert "pushed to origin/main in 1 attempt(s)" in result.stdout
    assert git(remote, "rev-parse", "main") == git(repo, "rev-parse", "HEAD")


def test_a_fleet_needs_vcenters_and_names_its_missing_passwords(
    fleet: tuple[Path, list[Vcsim], dict[str, str | None]], tmp_path: Path
) -> None:
    repo, _, env = fleet
    missing = invoke("snapshot", "--all", "--repo", repo, "--format", "json", env={**env, "VC1_PASSWORD": None})
    runs = {run["name"]: run for run in json.loads(missing.stdout)["vcenters"]}
    assert runs["vc1"]["exit_code"] == 2 and runs["vc1"]["error"].startswith("no password: set VC1_PASSWORD")
    assert missing.exit_code == EXIT_PARTIAL
    empty = tmp_path / "empty"
    subprocess.run(["git", "init", "-q", str(empty)], check=True)
    refused = invoke("snapshot", "--all", "--repo", empty)
    assert refused.exit_code == 2 and "lists none" in refused.stderr
    both = invoke("snapshot", "--all", "--vcenter", "https://vc.example.com", "--repo", repo)
    assert both.exit_code == 2 and "--all" in both.stderr


def test_every_vcenter_failing_exits_with_their_code(
    fleet: tuple[Path, list[Vcsim], dict[str, str | None]],
) -> None:
    repo, sims, env = fleet
    for sim in sims:
        sim.stop()
    result = invoke("snapshot", "--all", "--repo", repo, env=env)
    assert result.exit_code == 3, result.output
    assert result.stderr.count("driftguard: error: vc") == 4
    assert "0 of 4 vCenters snapshotted" in result.stdout


def test_check_all_vcenters_refuses_live_and_an_empty_repo(tmp_path: Path) -> None:
    empty = tmp_path / "empty"
    subprocess.run(["git", "init", "-q", str(empty)], check=True)
    assert invoke("check", "--repo", empty, "--all-vcenters").exit_code == 2
    both = invoke("check", "--repo", empty, "--all-vcenters", "--vcenter-name", "x")
    assert both.exit_code == 2 and "--all-vcenters" in both.stderr


def test_snapshot_push_of_one_vcenter(vcsim: Vcsim, tmp_path: Path) -> None:
    remote = tmp_path / "remote.git"
    subprocess.run(["git", "init", "-q", "--bare", "-b", "main", str(remote)], check=True)
    repo = tmp_path / "state"
    subprocess.run(["git", "init", "-q", "-b", "main", str(repo)], check=True)
    git(repo, "remote", "add", "origin", str(remote))
    args = ("snapshot", "--vcenter", vcsim.url, "--user", USER, "--repo", repo, "--push", "--wait", "5")
    result = invoke(*args, password="pw")
    assert result.exit_code == 0, result.output
    assert "pushed " in result.stderr and "to origin/main (attempt 1)" in result.stderr
    assert git(remote, "rev-parse", "main") == git(repo, "rev-parse", "HEAD")


def test_a_snapshot_of_the_same_vcenter_committed_meanwhile_is_not_overwritten(vcsim: Vcsim, tmp_path: Path) -> None:
    """The writer lock is held only to commit; a run that finds its vCenter committed by another run while it
    collected commits nothing (exit 3) rather than diff against a snapshot it never saw."""
    repo = tmp_path / "state"
    subprocess.run(["git", "init", "-q", "-b", "main", str(repo)], check=True)
    conn = api.Connection(url=vcsim.url, user=USER, password=SecretStr("pw"))
    api.snapshot(conn, repo)
    scenario.set_vm_cpus(vcsim.url, "VSPHERE.LOCAL\\alice", "DC0_C0_H0_VM0", 4)
    other: list[str | None] = []

    def meanwhile(stage: str, done: int, total: int | None) -> None:
        if not other:  # another run of the same vCenter commits while this one is collecting
            other.append(api.snapshot(conn, repo).commit)

    with pytest.raises(api.OperationalError, match="while this one collected; run again"):
        api.snapshot(conn, repo, progress=meanwhile)
    assert other[0] is not None and git(repo, "rev-parse", "HEAD").strip() == other[0]


def test_a_failed_push_keeps_the_commits_and_exits_operational(
    fleet: tuple[Path, list[Vcsim], dict[str, str | None]], tmp_path: Path
) -> None:
    repo, _, env = fleet
    git(repo, "remote", "add", "origin", str(tmp_path / "no-such-remote.git"))
    result = invoke("snapshot", "--all", "--repo", repo, "--push", "--format", "json", env=env)
    assert result.exit_code == 3, result.output
    assert json.loads(result.stdout)["push_error"].startswith(f"cannot push state repo {repo} to origin: ")
    assert len(git(repo, "log", "--format=%H").split()) == 5  # driftguard.yaml and four snapshots, kept locally
