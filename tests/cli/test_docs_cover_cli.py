"""Every command and every flag of the CLI is documented in README.md or docs/ (people read docs, not code)."""

from __future__ import annotations

from collections.abc import Iterator

import typer.main

from driftguard.cli import app
from tests.paths import ROOT

DOCS = "\n".join(p.read_text(encoding="utf-8") for p in [ROOT / "README.md", *sorted((ROOT / "docs").glob("*.md"))])


def _walk(command: object, path: tuple[str, ...] = ()) -> Iterator[tuple[tuple[str, ...], object]]:
    yield path, command
    for name, sub in getattr(command, "commands", {}).items():
        yield from _walk(sub, (*path, name))


def test_every_command_and_flag_is_documented() -> None:
    root = typer.main.get_command(app)
    missing = []
    checked = 0
    for path, command in _walk(root):
        if path and f"driftguard {' '.join(path)}" not in DOCS and f"`{' '.join(path)}" not in DOCS:
            missing.append("driftguard " + " ".join(path))
        for param in getattr(command, "params", []):
            for flag in (o for o in param.opts if o.startswith("--") and o not in ("--help", "--version")):
                checked += 1
                if flag not in DOCS:
                    missing.append(f"driftguard {' '.join(path)} {flag}")
    assert checked > 50, checked  # the walk reached the commands' flags
    assert not missing, f"undocumented: {missing}"
