"""Issue 8, point 6: unbounded input. Hostile baselines, zone files, ignore files and config files given to the real
CLI (a subprocess under a 1 GiB address-space limit): exit 2, one ``file:line:column: message`` line, no traceback,
nothing written — instead of MemoryError after 39 s, RecursionError, gigabytes of RSS, or an error without a name."""

from __future__ import annotations

import re
import subprocess
from collections.abc import Callable
from pathlib import Path

import pytest

from tests.faults._config_support import (
    NOT_UTF8,
    big_yaml,
    billion_laughs,
    commit,
    deep_nesting,
    run,
    state_repo,
)
from tests.faults.health import assert_healthy, assert_no_traceback, head

MiB = 1024 * 1024

HOSTILE_YAML: dict[str, Callable[[], bytes]] = {
    "billion-laughs": billion_laughs,
    "deep-nesting": deep_nesting,
    "over-5-MiB": lambda: big_yaml(6 * MiB),
    "not-utf8": lambda: NOT_UTF8,
}
MESSAGES = {
    "billion-laughs": "aliases",
    "deep-nesting": "nested more than 64 levels deep",
    "over-5-MiB": "the limit is 5,242,880 bytes",
    "not-utf8": "not UTF-8 text",
}


def assert_refused(
    result: subprocess.CompletedProcess[str], file: str, message: str, repo: Path, head_before: str | None
) -> None:
    """Exit 2 with a ``file:line:column:`` line saying ``message`` (on stderr; ``plan`` reports on stdout)."""
    stdout, stderr = result.stdout, result.stderr
    assert_no_traceback(stdout, stderr)
    assert result.returncode == 2, (result.returncode, stderr[-2000:])
    output = stderr + stdout
    lines = [line for line in output.splitlines() if re.search(rf"{re.escape(file)}:\d+:\d+: ", line)]
    assert lines, output[-2000:]
    assert any(message in line for line in lines), lines
    assert_healthy(repo, head_before, allow_new_snapshot=False)


@pytest.fixture
def repo(tmp_path: Path) -> Path:
    path = state_repo(tmp_path / "state")
    commit(path, {"README.md": b"state repo\n"})  # a second commit, so --base HEAD~1 names the one before
    return path


@pytest.mark.parametrize("case", list(HOSTILE_YAML))
@pytest.mark.parametrize("command", ["validate", "check", "plan"])
def test_hostile_baseline(repo: Path, case: str, command: str) -> None:
    before = commit(repo, {"baselines/evil.yaml": HOSTILE_YAML[case]()})
    commands: dict[str, list[str | Path]] = {
        "validate": ["validate", repo / "baselines" / "evil.yaml"],
        "check": ["check", "--repo", repo, "--baseline", "evil"],
        "plan": ["plan", "--repo", repo, "--base", "HEAD~1", "--head", "HEAD", "--format", "text"],
    }
    result = run(*commands[command])
    assert_refused(result, "evil.yaml", MESSAGES[case], repo, before)


def test_not_utf8_names_line_and_column(repo: Path) -> None:
    before = commit(repo, {"baselines/evil.yaml": NOT_UTF8})
    result = run("validate", repo / "baselines" / "evil.yaml")
    assert_refused(result, "evil.yaml", "evil.yaml:2:17: not UTF-8 text: byte 0xe9", repo, before)


def test_fifty_megabytes_are_not_read(repo: Path) -> None:
    evil = repo.parent / "evil.yaml"  # outside the repo: nothing to commit, the file is only named
    evil.write_bytes(big_yaml(50 * MiB))
    before = head(repo)
    result = run("validate", evil)
    assert_refused(result, "evil.yaml", "evil.yaml:1:1: file is more than 5,242,880 bytes", repo, before)


@pytest.mark.parametrize("case", list(HOSTILE_YAML))
def test_hostile_zones_file(repo: Path, case: str) -> None:
    before = commit(repo, {"zones.yaml": HOSTILE_YAML[case]()})
    result = run("check", "--repo", repo)
    assert_refused(result, "zones.yaml", MESSAGES[case], repo, before)


@pytest.mark.parametrize(
    ("case", "body", "message"),
    [
        ("over-5-MiB", b"host:ha_state\n" * (6 * MiB // 14 + 1), "the limit is 5,242,880 bytes"),
        ("not-utf8", b'host:ha_state\nvm:devices["caf\xe9"]\n', "not UTF-8 text"),
    ],
)
def test_hostile_ignore_file(repo: Path, case: str, body: bytes, message: str) -> None:
    before = commit(repo, {".driftguardignore": body})
    result = run("check", "--repo", repo)
    assert_refused(result, ".driftguardignore", message, repo, before)


@pytest.mark.parametrize("case", list(HOSTILE_YAML))
def test_hostile_driftguard_yaml(repo: Path, case: str) -> None:
    before = commit(repo, {"driftguard.yaml": HOSTILE_YAML[case]()})
    commands: list[list[str | Path]] = [["config", "validate", "--repo", repo], ["check", "--repo", repo]]
    for args in commands:
        result = run(*args)
        assert_refused(result, "driftguard.yaml", MESSAGES[case], repo, before)


@pytest.mark.parametrize(
    ("case", "body", "message"),
    [
        ("deep-nesting", b"[ssh]\nredact = " + b"[" * 5000 + b"]" * 5000 + b"\n", "nested more than 64 levels deep"),
        ("over-5-MiB", b"[ssh]\n" + b"# padding\n" * (6 * MiB // 10 + 1), "the limit is 5,242,880 bytes"),
        ("not-utf8", b'[ssh]\nuser = "caf\xe9"\n', "not UTF-8 text"),
    ],
)
def test_hostile_driftguard_toml(repo: Path, case: str, body: bytes, message: str) -> None:
    before = commit(repo, {"driftguard.toml": body})
    result = run("config", "validate", "--repo", repo)
    assert_refused(result, "driftguard.toml", message, repo, before)
