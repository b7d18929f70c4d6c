"""Help that reads like a Unix tool's, and shell completion.

- :func:`polish` runs on the command tree before every parse (:func:`driftguard.cli.boundary.run`): each option
  that takes a value and has no placeholder of its own gets a readable one (``PATH``, ``N``, ``SECONDS``, ``GLOB``
  ..., never Typer's ``<list[str]>`` or ``<int range>``), and each command's summary in its group's list is its
  whole first paragraph, not cut with ``...``. Options added later get the same treatment without a line here.
- ``-h`` is an alias of ``--help`` everywhere (the root's ``context_settings``, inherited by every subcommand).
- ``driftguard completion bash|zsh|fish`` prints the completion script; the script calls driftguard back with
  ``_DRIFTGUARD_COMPLETE`` set, answered by :func:`complete` before anything else runs.
"""

from __future__ import annotations

import os
from enum import StrEnum
from typing import Any

import typer
from typer import _click as click
from typer._completion_classes import completion_init
from typer._completion_shared import get_completion_script
from typer.completion import shell_complete

PROG = "driftguard"
COMPLETE_VAR = "_DRIFTGUARD_COMPLETE"
HELP_OPTIONS = {"help_option_names": ["-h", "--help"]}
"""Context settings of the root command: ``-h`` and ``--help``."""

PLACEHOLDERS: dict[str, str] = {
    "--repo": "DIR",
    "--vcenter": "URL",
    "--user": "USER",
    "--vcenter-name": "NAME",
    "--rev": "REV",
    "--base": "REV",
    "--head": "REV",
    "--ignore": "PATTERN",
    "--host-files": "ssh",
    "--host-files-hosts": "GLOB",
    "--rules": "IDS",
    "--skip": "IDS",
    "--baseline": "NAME",
    "--select": "FIELD=VALUE",
    "--paths": "GLOB",
    "--fail-on": "SEVERITY",
    "--artifact": "NAME",
}
"""Placeholders by option name, where the value's type alone says too little."""
_SECONDS_WORDS = ("timeout", "deadline", "wait", "window", "interval")


def placeholder(param: Any) -> str | None:
    """The readable placeholder of a Typer parameter; None for flags and parameters that set their own."""
    if param.metavar is not None or getattr(param, "is_flag", False):
        return None  # flags take no value
    if param.param_type_name != "option":
        return str(param.name or "value").upper()  # an argument is named for what it is: OLD, NEW, FILES
    long_names = [opt for opt in param.opts if opt.startswith("--")]
    for name in long_names:
        if name in PLACEHOLDERS:
            return PLACEHOLDERS[name]
    desc = param.type_descriptor
    if desc.is_choice:
        return "|".join(str(getattr(choice, "value", choice)) for choice in desc.choices or ())
    if desc.is_path or desc.is_file:
        return "PATH"
    bare = param.bare_type()
    if bare == "int":
        return "N"
    if bare == "float":
        named = " ".join(long_names)
        return "SECONDS" if any(word in named for word in _SECONDS_WORDS) else "NUMBER"
    return (long_names[0] if long_names else param.name or "value").lstrip("-").upper().replace("-", "_")


def _no_type(ctx: click.Context) -> None:
    return None


def _summary(help_text: str) -> str:
    """The first paragraph of a help text on one line: the full summary a group's command list shows."""
    return " ".join(help_text.strip().split("\n\n", 1)[0].split())


def polish(command: click.Command) -> click.Command:
    """Readable placeholders and full summaries on ``command`` and every subcommand (idempotent)."""
    # The parameters are Typer's (TyperOption, TyperArgument): what Click's types do not declare is read as Any.
    params: list[Any] = list(command.params)
    for param in params:
        shown = placeholder(param)
        if shown is not None:
            param.metavar = shown
        if param.param_type_name == "argument":
            param.display_type_rich = _no_type  # "OLD  Older snapshot ...", not "OLD <str>"
    if command.help and not command.short_help:
        command.short_help = _summary(command.help)
    for sub in getattr(command, "commands", {}).values():
        polish(sub)
    return command


def complete(command: click.Command, prog_name: str) -> int | None:
    """Answer the completion script's request (``_DRIFTGUARD_COMPLETE`` set) and return the exit code; None when
    this run is not one."""
    instruction = os.environ.get(COMPLETE_VAR)
    if not instruction:
        return None
    completion_init()
    return shell_complete(command, {}, prog_name, COMPLETE_VAR, instruction)


class Shell(StrEnum):
    bash = "bash"
    zsh = "zsh"
    fish = "fish"


SHELL = typer.Argument(..., help="bash, zsh or fish.")


def completion(shell: Shell = SHELL) -> int:
    """Print the shell completion script for bash, zsh or fish.

    Load it from ~/.bashrc with `eval "$(driftguard completion bash)"`, or save it where the shell looks:
    `driftguard completion zsh > "${fpath[1]}/_driftguard"`, `driftguard completion fish >
    ~/.config/fish/completions/driftguard.fish`."""
    typer.echo(get_completion_script(prog_name=PROG, complete_var=COMPLETE_VAR, shell=shell.value))
    return 0
