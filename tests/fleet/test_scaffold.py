"""`driftguard init --target github|kubernetes|systemd`: one job per vCenter of driftguard.yaml, each file checked
by the tool its engine trusts - actionlint, the Kubernetes JSON schemas (kubernetes-validate, offline),
`systemd-analyze verify` - and the image's Containerfile by hadolint."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

import kubernetes_validate
import pytest
from ruamel.yaml import YAML

from driftguard import __version__
from driftguard.api import vcenter_name
from tests.cli_runner import invoke
from tests.paths import ROOT

BIN = Path(sys.executable).parent
VCENTERS = [
    {"name": "vc01", "url": "https://vc01.example.com/sdk", "password_env": "VC01_PASSWORD"},
    {"name": "Lab VC", "url": "https://10.0.0.5:8443/sdk"},
]


def tool(name: str) -> str:
    found = shutil.which(name) or (str(BIN / name) if (BIN / name).exists() else None)
    assert found, f"{name} is installed by `make deps` (dev dependency or Debian package)"
    return found


def state_repo(tmp_path: Path, vcenters: list[dict[str, Any]] = VCENTERS) -> Path:
    repo = tmp_path / "state"
    subprocess.run(["git", "init", "-q", "-b", "main", str(repo)], check=True)
    (repo / "driftguard.yaml").write_text(json.dumps({"version": 1, "vcenters": vcenters}) + "\n")
    return repo


def load(path: Path) -> Any:
    return YAML(typ="safe").load(path.read_text())


# -- GitHub Actions --------------------------------------------------------------------------------------------


def test_github_nightly_is_a_matrix_over_the_vcenters_with_sarif_per_vcenter(tmp_path: Path) -> None:
    repo = state_repo(tmp_path)
    result = invoke("init", repo, "--target", "github")
    assert result.exit_code == 0, result.output
    nightly_file = repo / ".github" / "workflows" / "driftguard-nightly.yml"
    checked = subprocess.run([tool("actionlint"), "-no-color", str(nightly_file)], cwd=repo, capture_output=True)
    assert checked.returncode == 0, checked.stdout
    nightly = load(nightly_file)
    job = nightly["jobs"]["snapshot"]
    assert job["strategy"]["matrix"]["include"] == [
        {
            "vcenter": "vc01",
            "directory": "vc01.example.com",
            "password_env": "VC01_PASSWORD",
            "password_secret": "VC01_PASSWORD",
        },
        {
            "vcenter": "Lab VC",
            "directory": vcenter_name("https://10.0.0.5:8443/sdk"),
            "password_env": "DRIFTGUARD_PASSWORD",
            "password_secret": "LAB_VC_PASSWORD",
        },
    ]
    assert job["concurrency"]["group"] == "driftguard-${{ matrix.vcenter }}"
    assert nightly["permissions"] == {"contents": "write", "security-events": "write"}
    runs = "\n".join(step.get("run", "") for step in job["steps"])
    assert "pip install --user" not in runs and "vsphere-driftguard==" not in runs  # PEP 668; not on PyPI
    assert "python3 -m venv" in runs and 'pip" wheel --quiet --no-deps' in runs
    source = next(s for s in job["steps"] if s.get("with", {}).get("repository") == "driftguard/driftguard")
    assert source["with"]["ref"] == f"v{__version__}"  # the pinned release
    assert "--push --wait 900" in runs and 'check --repo state --vcenter-name "$DIRECTORY" --format sarif' in runs
    upload = next(s for s in job["steps"] if str(s.get("uses", "")).startswith("github/codeql-action/upload-sarif"))
    assert upload["with"] == {"sarif_file": "driftguard.sarif", "category": "driftguard-${{ matrix.vcenter }}"}
    pr = load(repo / ".github" / "workflows" / "driftguard-pr.yml")
    paths = pr[True]["pull_request"]["paths"] if True in pr else pr["on"]["pull_request"]["paths"]
    assert {"baselines/**", "driftguard.yaml", "zones.yaml", ".driftguardignore", "driftguard.toml"} <= set(paths)
    assert "commit them:" in result.stdout and "git -C" in result.stdout and "next:" in result.stdout


def test_the_printed_git_command_commits_exactly_the_scaffold(tmp_path: Path) -> None:
    repo = state_repo(tmp_path)
    subprocess.run(["git", "-C", str(repo), "add", "driftguard.yaml"], check=True)
    subprocess.run(["git", "-C", str(repo), "commit", "-q", "-m", "config"], check=True)
    result = invoke("init", repo, "--target", "systemd")
    command = result.stdout.split("commit them:\n", 1)[1].splitlines()[0].strip()
    subprocess.run(command, shell=True, check=True, capture_output=True)  # noqa: S602 - the line a person pastes
    assert (
        subprocess.run(["git", "-C", str(repo), "status", "--porcelain"], capture_output=True, text=True).stdout == ""
    )
    assert invoke("init", repo, "--target", "systemd").exit_code == 2  # never overwrites without --force
    assert invoke("init", repo, "--target", "systemd", "--force").exit_code == 0


def test_more_vcenters_than_one_matrix_runs_is_a_usage_error(tmp_path: Path) -> None:
    many = [{"name": f"vc{i:03}", "url": f"https://vc{i:03}.example.com/sdk"} for i in range(257)]
    result = invoke("init", state_repo(tmp_path, many), "--target", "github")
    assert result.exit_code == 2 and "at most 256 jobs" in result.stderr


# -- Kubernetes ------------------------------------------------------------------------------------------------


def cronjobs(tmp_path: Path) -> dict[str, Any]:
    repo = state_repo(tmp_path)
    result = invoke("init", repo, "--target", "kubernetes", "--remote-url", "git@git.corp:infra/state.git")
    assert result.exit_code == 0, result.output
    return {p.name: load(p) for p in sorted((repo / "deploy" / "kubernetes").glob("*.yaml"))}


def test_one_cronjob_per_vcenter_passes_the_kubernetes_schemas(tmp_path: Path) -> None:
    jobs = cronjobs(tmp_path)
    assert len(jobs) == 2 and "cronjob-vc01.yaml" in jobs
    for manifest in jobs.values():
        kubernetes_validate.validate(manifest, "1.30", strict=True)
        spec = manifest["spec"]
        assert spec["concurrencyPolicy"] == "Forbid" and spec["startingDeadlineSeconds"] > 0
        pod = spec["jobTemplate"]["spec"]["template"]["spec"]
        (container,) = pod["containers"]
        assert container["resources"]["limits"]["memory"] == "1536Mi"
        env = {e["name"]: e for e in container["env"]}
        assert env["STATE_REPO"]["value"] == "git@git.corp:infra/state.git"
        assert "StrictHostKeyChecking=yes" in env["GIT_SSH_COMMAND"]["value"]
        assert "UserKnownHostsFile=/etc/driftguard/ssh/known_hosts" in env["GIT_SSH_COMMAND"]["value"]
        secret_refs = [e["valueFrom"]["secretKeyRef"] for e in container["env"] if "valueFrom" in e]
        assert [ref["name"] for ref in secret_refs] == ["driftguard-vcenters"]
        assert "--push --wait 900" in container["args"][0]
    lab = next(
        m
        for m in jobs.values()
        if m["spec"]["jobTemplate"]["spec"]["template"]["spec"]["containers"][0]["env"][0]["value"] == "Lab VC"
    )
    assert lab["metadata"]["name"].startswith("driftguard-lab-vc-")  # a DNS label, and unique


def test_the_schema_check_catches_a_broken_cronjob(tmp_path: Path) -> None:
    manifest = cronjobs(tmp_path)["cronjob-vc01.yaml"]
    manifest["spec"]["startingDeadlineSeconds"] = "an hour"
    with pytest.raises(kubernetes_validate.ValidationError):
        kubernetes_validate.validate(manifest, "1.30", strict=True)


def test_kubernetes_validate_needs_no_network(tmp_path: Path) -> None:
    repo = state_repo(tmp_path)
    assert invoke("init", repo, "--target", "kubernetes").exit_code == 0
    manifest = repo / "deploy" / "kubernetes" / "cronjob-vc01.yaml"
    offline = subprocess.run(
        ["unshare", "-n", tool("kubernetes-validate"), "--strict", "-k", "1.30", str(manifest)],
        capture_output=True,
        text=True,
    )
    assert offline.returncode == 0 and "passed" in offline.stdout, offline.stdout + offline.stderr


def test_the_containerfile_passes_hadolint() -> None:
    checked = subprocess.run([tool("hadolint"), str(ROOT / "packaging" / "Containerfile")], capture_output=True)
    assert checked.returncode == 0, checked.stdout


# -- systemd ---------------------------------------------------------------------------------------------------


def test_systemd_service_and_timer_pass_systemd_analyze_verify(tmp_path: Path) -> None:
    repo = state_repo(tmp_path)
    assert invoke("init", repo, "--target", "systemd").exit_code == 0
    units = repo / "deploy" / "systemd"
    service = (units / "driftguard@.service").read_text()
    assert "ExecStart=" in service and "--vcenter %i --push --wait 900" in service
    assert "LoadCredential=vcenter-password:/etc/driftguard/credentials/%i" in service
    # verify needs instances of the templates, as `systemctl enable driftguard@vc01.timer` makes
    verify = tmp_path / "units"
    verify.mkdir()
    for template in ("driftguard@.service", "driftguard@.timer"):
        shutil.copy(units / template, verify / template)
        shutil.copy(units / template, verify / template.replace("@.", "@vc01."))
    checked = subprocess.run(
        [
            tool("systemd-analyze"),
            "verify",
            str(verify / "driftguard@vc01.timer"),
            str(verify / "driftguard@vc01.service"),
        ],
        capture_output=True,
        text=True,
    )
    assert checked.returncode == 0, checked.stderr
    broken = verify / "driftguard@vc01.service"
    broken.write_text(broken.read_text().replace("ExecStart=/", "ExecStart=relative/"))
    again = subprocess.run([tool("systemd-analyze"), "verify", str(broken)], capture_output=True, text=True)
    assert again.returncode != 0  # the check can fail


def test_an_unknown_target_is_a_usage_error(tmp_path: Path) -> None:
    result = invoke("init", tmp_path / "s", "--target", "nomad")
    assert result.exit_code == 2
