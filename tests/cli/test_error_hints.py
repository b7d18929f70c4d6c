"""Every ``--flag`` an error message suggests exists (issue 13, point 6).

The messages are found by reading driftguard's source: string literals (f-string parts included) inside ``raise``
statements, inside calls that construct an exception (a callee named ``...Error``, ``BadParameter`` ...) or print a
message (``print``, ``echo``, ``say``, logging calls). Each ``--name`` in them must be an option of some command of
the Typer app — a hint naming a flag that does not exist (``--init``, ``--vcenter`` for ``--vcenter-name``) sends a
user in an incident nowhere.
"""

from __future__ import annotations

import ast
import re
from collections.abc import Iterator
from pathlib import Path

import typer.main
from typer import _click as click

from driftguard.cli import app
from tests.paths import PACKAGE

FLAG = re.compile(r"(?<![\w-])--[a-z][a-z0-9-]*")
MESSAGE_CALLS = frozenset(
    {"print", "echo", "secho", "say", "warning", "error", "info", "exception", "fail", "prompt", "BadParameter", "Exit"}
)


def cli_options(command: click.Command) -> set[str]:
    """Every long option of ``command`` and its subcommands, recursively."""
    names = {opt for param in command.params for opt in (*param.opts, *param.secondary_opts) if opt.startswith("--")}
    for sub in getattr(command, "commands", {}).values():  # a group (Typer's Click has no separate Group class)
        names |= cli_options(sub)
    return names | {"--help"}


def _callee(call: ast.Call) -> str:
    func = call.func
    return func.attr if isinstance(func, ast.Attribute) else getattr(func, "id", "")


def _message_nodes(tree: ast.AST) -> Iterator[ast.AST]:
    for node in ast.walk(tree):
        if isinstance(node, ast.Raise) and node.exc is not None:
            yield node.exc
        elif isinstance(node, ast.Call):
            name = _callee(node)
            if name in MESSAGE_CALLS or name.endswith(("Error", "Exception")):
                yield node


def hinted_flags(root: Path) -> dict[str, set[str]]:
    """Flag → the ``file:line`` places whose message names it."""
    found: dict[str, set[str]] = {}
    for path in sorted(root.rglob("*.py")):
        tree = ast.parse(path.read_text(encoding="utf-8"))
        for node in _message_nodes(tree):
            for literal in ast.walk(node):
                if isinstance(literal, ast.Constant) and isinstance(literal.value, str):
                    for flag in FLAG.findall(literal.value):
                        found.setdefault(flag, set()).add(f"{path.relative_to(root.parent)}:{literal.lineno}")
    return found


def test_the_scan_sees_the_messages_it_must() -> None:
    hints = hinted_flags(PACKAGE)
    # known messages: the TLS hint, the multi-vCenter hint, the --tls-fingerprint hints
    assert {"--ca-file", "--insecure", "--vcenter-name", "--tls-fingerprint"} <= set(hints)


def test_every_flag_an_error_message_names_exists() -> None:
    options = cli_options(typer.main.get_command(app))
    missing = {flag: sorted(places) for flag, places in hinted_flags(PACKAGE).items() if flag not in options}
    assert missing == {}, f"messages suggest flags no command has: {missing}"


def test_the_scan_catches_a_made_up_flag(tmp_path: Path) -> None:
    package = tmp_path / "pkg"
    package.mkdir()
    (package / "m.py").write_text(
        'def f(root):\n    raise StoreError(f"state repo {root} does not exist (create it with --init)")\n'
        'def g():\n    return LookupError("see --nope")\n'
    )
    assert set(hinted_flags(package)) == {"--init", "--nope"}
