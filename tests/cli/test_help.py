"""``--help`` that reads well and shell completion (issue 13, point 6): readable placeholders, full command
summaries, ``-h`` everywhere, and completion scripts for bash, zsh and fish — the bash one sourced and asked for
completions in a real bash."""

from __future__ import annotations

import re
import shutil
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
import typer.main
from typer import _click as click

from driftguard.cli import app
from driftguard.cli.help import polish
from tests.cli_runner import invoke
from tests.paths import ROOT

TYPER_PLACEHOLDER = re.compile(r"<(?:str|int|float|bool|path|Path|datetime|list\[.*?\]|tuple\[.*?\]|[a-z]+ range)>")
READABLE = re.compile(r"^(?:[A-Z][A-Z0-9_]*(?:=[A-Z]+)?(?:\|[A-Z][A-Z0-9_]*)*|[a-z0-9-]+(?:\|[a-z0-9-]+)*)$")


def commands(command: click.Command, path: tuple[str, ...] = ()) -> Iterator[tuple[tuple[str, ...], click.Command]]:
    yield path, command
    for name, sub in getattr(command, "commands", {}).items():
        yield from commands(sub, (*path, name))


TREE = list(commands(polish(typer.main.get_command(app))))
IDS = [" ".join(path) or "driftguard" for path, _ in TREE]


@pytest.mark.parametrize(("path", "command"), TREE, ids=IDS)
def test_help_and_h_alike_with_readable_placeholders(path: tuple[str, ...], command: click.Command) -> None:
    long, short = invoke(*path, "--help"), invoke(*path, "-h")
    assert long.exit_code == short.exit_code == 0, long.output
    assert long.stdout == short.stdout
    assert TYPER_PLACEHOLDER.search(long.stdout) is None, long.stdout
    for param in command.params:
        if not getattr(param, "is_flag", False) and param.metavar is not None:
            assert READABLE.fullmatch(param.metavar), (param.opts, param.metavar)
            assert param.metavar in long.stdout


@pytest.mark.parametrize(("path", "command"), [(p, c) for p, c in TREE if getattr(c, "commands", None)], ids=str)
def test_group_lists_show_whole_summaries(path: tuple[str, ...], command: click.Command) -> None:
    # compared without whitespace: the list wraps long summaries, at spaces and after hyphens
    shown = "".join(invoke(*path, "--help").stdout.split())
    for sub in getattr(command, "commands", {}).values():
        first = "".join((sub.help or "").strip().split("\n\n")[0].split())
        assert first and first in shown, f"{sub.name}: {first!r} cut in the list"
    assert "..." not in shown.replace("[ARGS]...", "")


def test_the_placeholders_the_issue_names() -> None:
    by_option = {opt: param.metavar for _, c in TREE for param in c.params for opt in param.opts}
    assert by_option["--ca-file"] == "PATH"
    assert by_option["--page-size"] == "N"
    assert by_option["--timeout"] == by_option["--deadline"] == "SECONDS"
    assert by_option["--host-files-hosts"] == "GLOB"
    formats = {param.metavar for _, c in TREE for param in c.params if "--format" in param.opts}
    assert formats == {"text|json|markdown", "text|json|markdown|jsonl", "text|json|markdown|sarif|jsonl", "yaml|json"}


@pytest.mark.parametrize("shell", ["bash", "zsh", "fish"])
def test_completion_script_for_each_shell(shell: str) -> None:
    result = invoke("completion", shell)
    assert result.exit_code == 0, result.output
    assert "_DRIFTGUARD_COMPLETE" in result.stdout and "driftguard" in result.stdout
    assert {"bash": "complete -o default -F", "zsh": "#compdef driftguard", "fish": "complete --command driftguard"}[
        shell
    ] in result.stdout


def test_an_unknown_shell_is_a_usage_error() -> None:
    result = invoke("completion", "powershell")
    assert result.exit_code == 2 and "bash" in result.stderr


def test_completion_answers_in_process() -> None:
    env = {"_DRIFTGUARD_COMPLETE": "complete_bash", "COMP_WORDS": "driftguard snapshot --tls", "COMP_CWORD": "2"}
    result = invoke(env=env)
    assert result.exit_code == 0 and result.stdout.split() == ["--tls-fingerprint"]


def test_bash_sources_the_script_and_completes(tmp_path: Path) -> None:
    bash = shutil.which("bash")
    assert bash is not None, "bash is part of every supported platform"
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    wrapper = bin_dir / "driftguard"
    wrapper.write_text(f'#!/bin/sh\nPYTHONPATH="{ROOT}" exec "{sys.executable}" -m driftguard "$@"\n')
    wrapper.chmod(0o755)
    script = (
        'set -e; eval "$(driftguard completion bash)"; complete -p driftguard; '
        "COMP_WORDS=(driftguard sna); COMP_CWORD=1; _driftguard_completion driftguard; "
        'echo "words: ${COMPREPLY[*]}"; '
        "COMP_WORDS=(driftguard check --fail); COMP_CWORD=2; _driftguard_completion driftguard; "
        'echo "words: ${COMPREPLY[*]}"'
    )
    done = subprocess.run(
        [bash, "--norc", "--noprofile", "-c", script],
        capture_output=True,
        text=True,
        env={"PATH": f"{bin_dir}:/usr/bin:/bin", "HOME": str(tmp_path)},
        timeout=120,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    assert done.stderr == ""
    lines = done.stdout.splitlines()
    assert lines[0].startswith("complete -o default -F _driftguard_completion driftguard")
    assert lines[1:] == ["words: snapshot", "words: --fail-on"]
