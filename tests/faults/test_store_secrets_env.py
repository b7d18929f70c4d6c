"""Issue 8.13 (git part): no git child of the store, hence no hook of the state repo, sees a secret from the
environment: ``DRIFTGUARD_PASSWORD`` and every ``DRIFTGUARD_*`` variable whose name says PASSWORD, SECRET or TOKEN.

Real hooks (``reference-transaction``, ``post-index-change``, ``post-commit``) dump their environment to a file. The
store never runs ``git commit`` (it commits with ``commit-tree`` and a compare-and-swap ``update-ref``), so
``post-commit`` stays silent; the first two run on every write.
"""

from __future__ import annotations

import subprocess
from pathlib import Path
from typing import Any

import pytest

from driftguard.store import StateRepo
from driftguard.store.gitrun import child_env, is_secret_name
from tests.faults._store_support import SECRET, run_snapshot
from tests.faults.health import assert_healthy, assert_no_traceback, head
from tests.strategies import example_snapshot

SECRETS = {
    "DRIFTGUARD_PASSWORD": "pw-8c1f-never-in-a-hook",
    "DRIFTGUARD_VCENTER_PASSWORD": "pw-2-9a7e",
    "DRIFTGUARD_API_TOKEN": "tok-5d2b",
    "DRIFTGUARD_SSH_SECRET": "sec-77e0",
    "driftguard_password": "pw-lower-41aa",
}
KEPT = {"DRIFTGUARD_USER": "VSPHERE.LOCAL\\auditor", "DRIFTGUARD_REPO": "/srv/state"}
HOOKS = ("reference-transaction", "post-commit", "post-index-change")


def _install_hooks(repo: Path, dumps: Path) -> None:
    dumps.mkdir()
    for name in HOOKS:
        hook = repo / ".git" / "hooks" / name
        hook.write_text(f'#!/bin/sh\ncat >/dev/null 2>&1 || true\nenv >> "{dumps}/{name}.env"\n')
        hook.chmod(0o755)


def _dumped(dumps: Path) -> dict[str, str]:
    return {path.stem: path.read_text() for path in dumps.glob("*.env")}


def test_secret_names() -> None:
    for name in SECRETS:
        assert is_secret_name(name), name
    for name in (*KEPT, "PASSWORD", "GITHUB_TOKEN", "DRIFTGUARD_FORMAT"):
        assert not is_secret_name(name), name
    env = child_env({"GIT_INDEX_FILE": "/tmp/x"}, base={**SECRETS, **KEPT, "GIT_DIR": "/elsewhere", "PATH": "/bin"})
    assert env == {**KEPT, "PATH": "/bin", "GIT_INDEX_FILE": "/tmp/x", "GIT_TERMINAL_PROMPT": "0"}


def test_hooks_of_the_state_repo_never_see_a_secret(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    for name, value in {**SECRETS, **KEPT}.items():
        monkeypatch.setenv(name, value)
    path = tmp_path / "state"
    StateRepo.open(path, create=True).close()
    _install_hooks(path, tmp_path / "dumps")
    snapshot = example_snapshot()
    with StateRepo.open(path) as repo:
        assert repo.write_snapshot(snapshot, "first") is not None
        assert repo.write_snapshot(snapshot.model_copy(), "again") is None  # the verification note
        assert repo.write_files("evidence", {"evidence/vc/a.json": b"{}\n"}, "evidence") is not None
    dumps = _dumped(tmp_path / "dumps")
    # post-commit is installed too, but the store commits with commit-tree and update-ref, which never run it
    assert "reference-transaction" in dumps and "post-index-change" in dumps, sorted(dumps)
    for hook, text in dumps.items():
        for value in SECRETS.values():
            assert value not in text, f"{hook} saw a secret"
        assert "DRIFTGUARD_USER=VSPHERE.LOCAL\\auditor" in text, hook
    assert_healthy(path, head(path))


@pytest.mark.vcsim
def test_a_real_snapshot_hands_no_password_to_a_hook(vcsim: Any, tmp_path: Path) -> None:
    path = tmp_path / "state"
    StateRepo.open(path, create=True).close()
    _install_hooks(path, tmp_path / "dumps")
    run = run_snapshot(vcsim.url, path, DRIFTGUARD_API_TOKEN=SECRETS["DRIFTGUARD_API_TOKEN"])
    assert run.returncode == 0, run.stdout + run.stderr
    assert_no_traceback(run.stdout, run.stderr)
    dumps = _dumped(tmp_path / "dumps")
    assert "reference-transaction" in dumps, sorted(dumps)
    everything = "".join(dumps.values()) + run.stdout + run.stderr
    objects = subprocess.run(
        ["git", "-C", str(path), "cat-file", "--batch-all-objects", "--batch"], capture_output=True, check=True
    ).stdout
    for value in (SECRET, SECRETS["DRIFTGUARD_API_TOKEN"]):
        assert value not in everything
        assert value.encode() not in objects
    assert_healthy(path, None)
