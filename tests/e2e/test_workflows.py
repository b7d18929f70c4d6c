"""Workflows and hooks: this project's CI workflow and the ones `driftguard init` scaffolds pass actionlint; the
scaffold validates; this project's pre-commit hook runs on a sample state repo (offline: a local hook built from
`.pre-commit-hooks.yaml`, run by the real pre-commit)."""

from __future__ import annotations

import io
import os
import shutil
import subprocess
import sys
from pathlib import Path

import git
import pytest
from ruamel.yaml import YAML

from tests.cli_runner import invoke
from tests.paths import ROOT

BIN = Path(sys.executable).parent


def tool(name: str) -> str:
    found = shutil.which(name) or (str(BIN / name) if (BIN / name).exists() else None)
    assert found, f"{name} is a dev dependency (pip install -e '.[dev]')"
    return found


def actionlint(*files: Path, cwd: Path = ROOT) -> subprocess.CompletedProcess[str]:
    """actionlint on ``files``, run in ``cwd`` so it reads that repository's .github/actionlint.yaml."""
    args = [tool("actionlint"), "-no-color", *map(str, files)]
    return subprocess.run(args, capture_output=True, text=True, cwd=cwd)


def test_this_projects_workflows_pass_actionlint() -> None:
    workflows = sorted((ROOT / ".github" / "workflows").glob("*.yml"))
    assert workflows
    result = actionlint(*workflows)
    assert result.returncode == 0, result.stdout + result.stderr


def test_ci_runs_the_readme_test_command() -> None:
    ci = YAML(typ="safe").load((ROOT / ".github" / "workflows" / "ci.yml").read_text())
    runs = [step.get("run", "") for job in ci["jobs"].values() for step in job["steps"]]
    assert "make test" in runs
    assert "make test" in (ROOT / "README.md").read_text()


def test_actionlint_catches_a_broken_workflow(tmp_path: Path) -> None:
    broken = tmp_path / "broken.yml"
    broken.write_text("on: push\njobs:\n  x:\n    runs-on: ubuntu-latest\n    steps:\n      - run: echo ${{ nope }}\n")
    assert actionlint(broken).returncode != 0


@pytest.fixture
def scaffolded(tmp_path: Path) -> Path:
    state = tmp_path / "state"
    result = invoke("init", state)
    assert result.exit_code == 0, result.output
    return state


def test_init_scaffold_passes_actionlint_and_validate(scaffolded: Path) -> None:
    workflows = sorted((scaffolded / ".github" / "workflows").glob("*.yml"))
    assert [w.name for w in workflows] == ["driftguard-nightly.yml", "driftguard-pr.yml"]
    result = actionlint(*workflows, cwd=scaffolded)
    assert result.returncode == 0, result.stdout + result.stderr
    assert invoke("validate", scaffolded / "baselines" / "site.yaml").exit_code == 0
    site = YAML(typ="safe").load((scaffolded / "baselines" / "site.yaml").read_text())
    assert site["extends"] == "seed-security"
    nightly = (scaffolded / ".github" / "workflows" / "driftguard-nightly.yml").read_text()
    assert "self-hosted" in nightly and "secrets[matrix.password_secret]" in nightly
    assert "refs/notes/driftguard-verified" in nightly and "GITHUB_STEP_SUMMARY" in nightly
    pr = (scaffolded / ".github" / "workflows" / "driftguard-pr.yml").read_text()
    assert "baselines/**" in pr and "updateComment" in pr and "<!-- driftguard-plan -->" in pr
    config = YAML(typ="safe").load((scaffolded / ".pre-commit-config.yaml").read_text())
    assert config["repos"][0]["hooks"] == [{"id": "driftguard-validate"}]
    assert git.Repo(scaffolded).git_dir  # a git repository
    assert invoke("init", scaffolded).exit_code == 2  # never overwrites without --force


def _precommit(repo: Path, *args: str) -> subprocess.CompletedProcess[str]:
    env = {
        **os.environ,
        "PATH": f"{BIN}{os.pathsep}{os.environ.get('PATH', '')}",
        "PRE_COMMIT_HOME": str(repo.parent / "pre-commit-home"),
        "PRE_COMMIT_COLOR": "never",
    }
    return subprocess.run([tool("pre-commit"), *args], cwd=repo, capture_output=True, text=True, env=env)


def test_pre_commit_hook_runs_on_a_sample_repo(scaffolded: Path) -> None:
    manifest = ROOT / ".pre-commit-hooks.yaml"
    checked = _precommit(scaffolded, "validate-manifest", str(manifest))
    assert checked.returncode == 0, checked.stdout + checked.stderr
    assert _precommit(scaffolded, "validate-config", ".pre-commit-config.yaml").returncode == 0
    # The published hook installs driftguard from its repository (network); offline, the same hook definition
    # runs as a local hook against the driftguard installed here.
    (hook,) = YAML(typ="safe").load(manifest.read_text())
    local = {**hook, "language": "system"}
    buf = io.StringIO()
    YAML().dump({"repos": [{"repo": "local", "hooks": [local]}]}, buf)
    (scaffolded / ".pre-commit-config.yaml").write_text(buf.getvalue())
    bad = scaffolded / "baselines" / "site.yaml"
    bad.write_text("expectations:\n  - {id: a, select: {kind: cluster}, path: ha.nope, equals: 1, reason: r}\n")
    r = git.Repo(scaffolded)
    r.index.add([".pre-commit-config.yaml", "baselines/site.yaml"])
    failed = _precommit(scaffolded, "run", "--all-files")
    assert failed.returncode != 0, failed.stdout
    assert "baselines/site.yaml:2:" in failed.stdout and "unknown path 'ha.nope'" in failed.stdout
    bad.write_text("extends: seed-security\n")
    r.index.add(["baselines/site.yaml"])
    passed = _precommit(scaffolded, "run", "--all-files")
    assert passed.returncode == 0, passed.stdout + passed.stderr
    assert "driftguard validate" in passed.stdout and "Passed" in passed.stdout
