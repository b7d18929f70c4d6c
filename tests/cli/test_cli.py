"""The command line without a vCenter: stored diffs, the log, usage and operational errors, ignore files.

State repos are real git repositories written through the store; the snapshot is the one the normaliser
produced from the simulator (golden file), changed by hand the way a night's drift would change it.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from driftguard.cli import main
from driftguard.models import Snapshot
from driftguard.store import StateRepo
from tests.cli_runner import invoke
from tests.paths import FIXTURES

FIXTURE = FIXTURES / "normalize" / "snapshot" / "vcsim-default.json"


def base_snapshot() -> Snapshot:
    return Snapshot.model_validate(json.loads(FIXTURE.read_text())["expected"])


def changed(snapshot: Snapshot, started: str) -> Snapshot:
    data = snapshot.model_dump(mode="json")
    vm_id = sorted(data["vms"])[0]
    data["vms"][vm_id]["cpu"]["count"] = 8
    data["manifest"]["started_at"] = started
    data["manifest"]["finished_at"] = started
    return Snapshot.model_validate(data)


@pytest.fixture
def repo(tmp_path: Path) -> Path:
    path = tmp_path / "state"
    state = StateRepo.open(path, create=True)
    first = base_snapshot()
    assert state.write_snapshot(first, "first") is not None
    assert state.write_snapshot(changed(first, "2099-01-01T00:00:00+00:00"), "second") is not None
    state.close()
    return path


def test_diff_of_stored_snapshots_without_history_is_unknown_not_unattributed(repo: Path) -> None:
    # The second commit was written without history.json (by hand, not by `driftguard snapshot`): attribution
    # cannot know, and must not accuse anyone.
    result = invoke("diff", "--repo", repo, "--format", "json")
    assert result.exit_code == 0, result.output
    report = json.loads(result.stdout)
    (item,) = report["items"]
    assert (item["path"], item["old"], item["new"]) == ("cpu.count", 1, 8)
    assert item["attribution"]["status"] == "unknown"
    assert report["summary"] == {
        "items": 1,
        "objects": 1,
        "attributed": 0,
        "unattributed": 0,
        "unknown": 1,
        "approved": 0,
        "unapproved": 0,
    }
    assert item["approved"] is None  # no baselines in this repo: approval was not evaluated


def test_exit_code_flag_and_formats(repo: Path) -> None:
    assert invoke("diff", "--repo", repo, "--exit-code").exit_code == 1
    markdown = invoke("diff", "--repo", repo, "--format", "markdown")
    assert markdown.exit_code == 0 and "| ~ |" in markdown.stdout and "`cpu.count`" in markdown.stdout
    text = invoke("diff", "--repo", repo)
    assert "cpu.count" in text.stdout and "UNKNOWN [1]" in text.stdout


def test_log_lists_snapshots_newest_first(repo: Path) -> None:
    result = invoke("log", "--repo", repo, "--format", "json")
    assert result.exit_code == 0, result.output
    doc = json.loads(result.stdout)
    assert doc["schema"] == "driftguard.log/v1"
    assert [s["subject"] for s in doc["snapshots"]] == ["second", "first"]


def test_ignore_file_hides_drift_and_bad_pattern_names_file_and_line(repo: Path) -> None:
    (repo / ".driftguardignore").write_text("# CPU sizing is managed elsewhere\nvm:cpu.count\n")
    assert json.loads(invoke("diff", "--repo", repo, "--format", "json").stdout)["items"] == []
    (repo / ".driftguardignore").write_text("# comment\n\nnosuchkind:cpu.count\n")
    result = invoke("diff", "--repo", repo)
    assert result.exit_code == 2
    assert f"{repo / '.driftguardignore'}:3:" in result.stderr


def test_ignore_option_is_validated(repo: Path) -> None:
    result = invoke("diff", "--repo", repo, "--ignore", "cpu.count")
    assert result.exit_code == 2 and "--ignore" in result.stderr


@pytest.mark.parametrize(
    ("args", "code", "words"),
    [
        (("diff", "--repo", "{repo}", "no-such-rev", "HEAD"), 2, "no-such-rev"),
        (("diff", "--repo", "{missing}"), 3, "does not exist"),
        (("log", "--repo", "{missing}"), 3, "does not exist"),
        (("diff", "--repo", "{repo}", "--format", "yaml"), 2, "yaml"),
        (("diff", "--repo", "{repo}", "--live", "--vcenter", "https://vc.invalid", "HEAD~1", "HEAD"), 2, "NEW"),
        (("snapshot", "--repo", "{repo}", "--user", "u"), 2, "--vcenter"),
    ],
)
def test_usage_and_operational_errors(repo: Path, tmp_path: Path, args: tuple[str, ...], code: int, words: str) -> None:
    argv = [a.format(repo=repo, missing=tmp_path / "missing") for a in args]
    result = invoke(*argv)
    assert result.exit_code == code, result.output
    assert words in result.stderr or words in result.output
    assert "Traceback" not in result.output


def test_only_one_snapshot_is_a_usage_error(tmp_path: Path) -> None:
    path = tmp_path / "state"
    state = StateRepo.open(path, create=True)
    state.write_snapshot(base_snapshot(), "first")
    state.close()
    result = invoke("diff", "--repo", path)
    assert result.exit_code == 2 and "nothing to compare" in result.stderr


def test_locked_repo_is_operational_error(repo: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("DRIFTGUARD_PASSWORD", "pw")
    # the writer lock is an OS lock: only a live holder locks (a lock file left by a dead one does not)
    hold = (
        "import fcntl, os, sys, time; fd = os.open(sys.argv[1], os.O_RDWR | os.O_CREAT);"
        " fcntl.flock(fd, fcntl.LOCK_EX); os.ftruncate(fd, 0); os.write(fd, b'%d\\n' % os.getpid());"
        " print('locked', flush=True); time.sleep(600)"
    )
    holder = subprocess.Popen(
        [sys.executable, "-c", hold, str(repo / ".git" / "driftguard.lock")], stdout=subprocess.PIPE
    )
    try:
        assert holder.stdout is not None and holder.stdout.readline() == b"locked\n"
        result = invoke("snapshot", "--repo", repo, "--vcenter", "http://127.0.0.1:9/sdk", "--user", "u")
    finally:
        holder.kill()
        holder.wait()
        if holder.stdout is not None:
            holder.stdout.close()
    assert result.exit_code == 3
    assert f"locked by pid {holder.pid} " in result.stderr


def test_main_returns_exit_codes_instead_of_raising(repo: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["diff", "--repo", str(repo), "--exit-code", "--format", "json"]) == 1
    assert main(["diff", "--repo", str(repo), "--bogus"]) == 2
    assert main(["--version"]) == 0
    assert "driftguard" in capsys.readouterr().out


def test_unreachable_vcenter_is_exit_3_with_host(tmp_path: Path) -> None:
    result = invoke(
        "snapshot", "--repo", tmp_path / "state", "--vcenter", "https://127.0.0.1:9/sdk", "--user", "u",
        password="pw-never-shown",
    )  # fmt: skip
    assert result.exit_code == 3
    assert "127.0.0.1" in result.stderr and "pw-never-shown" not in result.output + result.stderr
    assert not (tmp_path / "state").exists()
