"""The one error boundary (issue 8 points 7, 8, 13 and 15; issue 10 "CLI"): every way a run can go wrong ends in
its documented exit code with one line on stderr, never a traceback, never the password.

driftguard runs as a real process against a real state repo; the one injected fault is an api function raising
RuntimeError, which is how a bug looks from the outside.
"""

from __future__ import annotations

import re
import stat
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

import driftguard.api
from driftguard.cli import app, main
from tests.faults._cli_support import SECRET, crash_reports, make_repo, run_cli
from tests.faults.health import assert_healthy, assert_no_traceback, head

INTERNAL = re.compile(
    r"driftguard: internal error: RuntimeError: (?P<message>.*); full report written to (?P<path>\S+)\n"
)


@pytest.fixture
def repo(tmp_path: Path) -> Path:
    return make_repo(tmp_path / "state")


def _bug(*_: Any, **__: Any) -> Any:
    raise RuntimeError(f"injected bug with {SECRET} and https://admin:{SECRET}@vc01.example.com/sdk inside")


def _assert_internal_error(stderr: str, tmp_path: Path) -> Path:
    match = INTERNAL.fullmatch(stderr)
    assert match, stderr
    path = Path(match["path"])
    assert path.is_file() and path.parent == tmp_path / "state-home" / "driftguard", path
    assert crash_reports(tmp_path) == [path]
    report = path.read_text()
    assert "Traceback (most recent call last)" in report and "RuntimeError: injected bug" in report
    assert SECRET not in report and SECRET not in stderr
    assert "https://***@vc01.example.com/sdk" in report
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    return path


# -- 8: an unexpected exception ---------------------------------------------------------------------------------------


def test_unexpected_exception_in_process_is_exit_4_with_one_line_and_a_scrubbed_report(
    repo: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    before = head(repo)
    monkeypatch.setenv("XDG_STATE_HOME", str(tmp_path / "state-home"))
    monkeypatch.setenv("DRIFTGUARD_PASSWORD", SECRET)
    monkeypatch.setattr(driftguard.api, "log", _bug)  # the one acceptable monkeypatch: it simulates a bug
    assert main(["log", "--repo", str(repo)]) == 4
    out, err = capsys.readouterr()
    assert out == ""
    _assert_internal_error(err, tmp_path)
    assert_healthy(repo, before)
    assert_no_traceback(out, err)


def test_unexpected_exception_under_clirunner_is_exit_4_too(
    repo: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # The other test modules drive `app` through CliRunner: the root group's main is the same boundary.
    before = head(repo)
    monkeypatch.setenv("XDG_STATE_HOME", str(tmp_path / "state-home"))
    monkeypatch.setenv("DRIFTGUARD_PASSWORD", SECRET)  # main() never ran to take it: still scrubbed
    monkeypatch.setattr(driftguard.api, "diff", _bug)
    result = CliRunner().invoke(app, ["diff", "--repo", str(repo)])
    assert result.exit_code == 4, result.output
    _assert_internal_error(result.stderr, tmp_path)
    assert_healthy(repo, before)
    assert_no_traceback(result.stdout, result.stderr)


def test_unexpected_exception_in_a_real_process_is_exit_4_with_one_line(repo: Path, tmp_path: Path) -> None:
    # sitecustomize runs before driftguard's main(): it plants the bug in the real process.
    inject = tmp_path / "inject"
    inject.mkdir()
    (inject / "sitecustomize.py").write_text(
        "import driftguard.api\n"
        "def _bug(*args, **kwargs):\n"
        f"    raise RuntimeError('injected bug with {SECRET} and https://admin:{SECRET}@vc01.example.com/sdk inside')\n"
        "driftguard.api.log = _bug\n"
    )
    before = head(repo)
    result = run_cli(tmp_path, "log", "--repo", repo, env={"PYTHONPATH": str(inject)})
    assert result.returncode == 4, result.stderr
    assert result.stdout == ""
    _assert_internal_error(result.stderr, tmp_path)
    assert_healthy(repo, before)
    assert_no_traceback(result.stdout, result.stderr)


# -- 7: malformed values are usage errors -----------------------------------------------------------------------------


@pytest.mark.parametrize(
    "url",
    [
        "http://[::1",
        "https://127.0.0.1:99999",
        "https://127.0.0.1:abc",
        "https://127.0.0.1:-1",
        "https://127.0.0.1:0/sdk",
        "ftp://127.0.0.1/sdk",
        f"https://admin:{SECRET}@127.0.0.1/sdk",  # '/' and '#' in the password: never echoed (13)
        "https:///sdk",
    ],
)
def test_malformed_vcenter_url_is_exit_2_with_one_error_line(repo: Path, tmp_path: Path, url: str) -> None:
    _assert_bad_url(repo, tmp_path, url, "snapshot")


@pytest.mark.parametrize("command", ["diff --live", "check --live"])
def test_every_command_that_talks_to_vcenter_validates_the_url(repo: Path, tmp_path: Path, command: str) -> None:
    _assert_bad_url(repo, tmp_path, "https://127.0.0.1:99999", command)
    _assert_bad_url(repo, tmp_path, f"https://admin:{SECRET}@127.0.0.1:99999/sdk", command)


def _assert_bad_url(repo: Path, tmp_path: Path, url: str, command: str) -> None:
    before = head(repo)
    result = run_cli(tmp_path, *command.split(), "--repo", repo, "--user", "u", "--vcenter", url)
    assert result.returncode == 2, result.stderr
    assert len(result.stderr.splitlines()) == 1, result.stderr
    assert result.stderr.startswith("driftguard: error: Invalid value for '--vcenter'"), result.stderr
    assert f"(see 'driftguard {command.split()[0]} --help')" in result.stderr
    assert SECRET not in result.stderr + result.stdout and "admin" not in result.stderr
    assert_healthy(repo, before)
    assert_no_traceback(result.stdout, result.stderr)


@pytest.mark.parametrize(
    ("flag", "value"),
    [
        ("--page-size", "99999999999999999999999"),
        ("--page-size", "10001"),
        ("--page-size", "0"),
        ("--deadline", "0"),
        ("--deadline", "soon"),
        ("--timeout", "0"),
        ("--timeout", "-5"),
    ],
)
def test_out_of_range_numbers_never_reach_vcenter(repo: Path, tmp_path: Path, flag: str, value: str) -> None:
    # Port 9 (discard) is closed: reaching it would be exit 3, not 2.
    before = head(repo)
    args: list[str | Path] = [
        "snapshot",
        "--repo",
        repo,
        "--user",
        "u",
        "--vcenter",
        "http://127.0.0.1:9/sdk",
        flag,
        value,
    ]
    result = run_cli(tmp_path, *args)
    assert result.returncode == 2, result.stderr
    assert f"Invalid value for '{flag}'" in result.stderr
    assert_healthy(repo, before)
    assert_no_traceback(result.stdout, result.stderr)


# -- 15: no password and no terminal ----------------------------------------------------------------------------------


def test_no_password_and_no_tty_is_exit_2_saying_how_to_give_one(repo: Path, tmp_path: Path) -> None:
    before = head(repo)
    args: list[str | Path] = ["snapshot", "--repo", repo, "--user", "u", "--vcenter", "http://127.0.0.1:9/sdk"]
    result = run_cli(tmp_path, *args, password=None)
    assert result.returncode == 2, result.stderr
    assert result.stderr == "driftguard: error: no password: set DRIFTGUARD_PASSWORD or run interactively\n"
    assert_healthy(repo, before)
    assert_no_traceback(result.stdout, result.stderr)


# -- usage errors are one line with the hint; --help still works -------------------------------------------------


@pytest.mark.parametrize(
    ("args", "line", "hint"),
    [
        (("diff", "--repo", "{repo}", "--bogus"), "No such option: --bogus", "(see 'driftguard diff --help')"),
        (
            ("diff", "--repo", "{repo}", "--format", "sarif"),
            "Invalid value for '--format'",
            "(see 'driftguard diff --help')",
        ),
        (("check", "--repo", "{repo}", "--fail-on", "severe"), "Invalid value for '--fail-on'", "check --help')"),
        (("nosuchcommand",), "No such command 'nosuchcommand'.", "(see 'driftguard --help')"),
    ],
)
def test_click_usage_errors_are_exit_2_with_one_error_line_and_the_hint(
    repo: Path, tmp_path: Path, args: tuple[str, ...], line: str, hint: str
) -> None:
    before = head(repo)
    result = run_cli(tmp_path, *(a.format(repo=repo) for a in args))
    assert result.returncode == 2, result.stderr
    assert len(result.stderr.splitlines()) == 1, result.stderr
    assert result.stderr.startswith(f"driftguard: error: {line}"), result.stderr
    assert hint in result.stderr
    assert_healthy(repo, before)
    assert_no_traceback(result.stdout, result.stderr)


def test_driftguard_errors_are_one_line_with_their_code(repo: Path, tmp_path: Path) -> None:
    before = head(repo)
    unknown = run_cli(tmp_path, "rules", "show", "DG-NOPE-001")
    assert (unknown.returncode, unknown.stderr) == (
        2,
        "driftguard: error: no rule 'DG-NOPE-001' (see `driftguard rules list`)\n",
    )
    missing = run_cli(tmp_path, "log", "--repo", tmp_path / "missing")
    assert missing.returncode == 3 and missing.stderr.startswith("driftguard: error: ")
    assert len(missing.stderr.splitlines()) == 1
    for result in (unknown, missing):
        assert_no_traceback(result.stdout, result.stderr)
    assert_healthy(repo, before)


def test_help_still_works_and_exits_0(repo: Path, tmp_path: Path) -> None:
    for args in (["--help"], ["snapshot", "--help"], ["rules", "--help"], ["--version"]):
        result = run_cli(tmp_path, *args)
        assert result.returncode == 0, result.stderr
        assert result.stdout and result.stderr == ""
    snapshot_help = run_cli(tmp_path, "snapshot", "--help").stdout
    for flag in ("--deadline", "--timeout", "--force", "--page-size"):
        assert flag in snapshot_help
    assert_healthy(repo, head(repo))


def test_an_output_file_that_cannot_be_written_is_operational(repo: Path, tmp_path: Path) -> None:
    before = head(repo)
    target = tmp_path / "no-such-dir" / "plan.json"
    result = run_cli(tmp_path, "plan", "--repo", repo, "--json-out", target)
    assert result.returncode == 3, result.stderr
    assert result.stderr == f"driftguard: error: No such file or directory: {target}\n"
    assert crash_reports(tmp_path) == []
    assert_healthy(repo, before)
    assert_no_traceback(result.stdout, result.stderr)


# -- 13: the password never reaches a child process ------------------------------------------------------------------


def test_git_hooks_never_see_the_password(vcsim: Any, tmp_path: Path) -> None:
    repo = make_repo(tmp_path / "state")
    seen = tmp_path / "hook-env"
    hook = repo / ".git" / "hooks" / "reference-transaction"
    hook.write_text(f"#!/bin/sh\nenv >> '{seen}'\n")
    hook.chmod(0o755)
    before = head(repo)
    result = run_cli(tmp_path, "snapshot", "--repo", repo, "--user", "auditor", "--vcenter", vcsim.url)
    assert result.returncode == 0, result.stderr
    assert seen.is_file(), "the hook never ran: the test proves nothing"
    text = seen.read_text()
    assert "PYTHONPATH=" in text  # the hook saw driftguard's environment...
    assert SECRET not in text and "DRIFTGUARD_PASSWORD" not in text  # ...but not the password
    assert_healthy(repo, before)
    assert_no_traceback(result.stdout, result.stderr)
