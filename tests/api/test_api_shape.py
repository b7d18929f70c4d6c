"""The shape issue 10 asked of :mod:`driftguard.api`, kept by a test: small modules, no private names imported
between them, and every state repo opened through the one with-scoped helper."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

from tests.paths import PACKAGE

API = PACKAGE / "api"
MODULES = sorted(API.glob("*.py"))


@pytest.mark.parametrize("module", MODULES, ids=lambda p: p.name)
def test_api_module_is_small_and_imports_no_private_names_of_its_siblings(module: Path) -> None:
    source = module.read_text(encoding="utf-8")
    assert len(source.splitlines()) < 300
    private = [
        f"{node.module}.{alias.name}"
        for node in ast.walk(ast.parse(source))
        if isinstance(node, ast.ImportFrom) and (node.module or "").startswith("driftguard.api")
        for alias in node.names
        if alias.name.startswith("_")
    ]
    assert private == []


@pytest.mark.parametrize("module", [m for m in MODULES if m.name != "_common.py"], ids=lambda p: p.name)
def test_state_repos_are_opened_only_through_the_closing_helpers(module: Path) -> None:
    assert "StateRepo.open(" not in module.read_text(encoding="utf-8")


def test_the_drift_sequence_is_written_once() -> None:
    """align → diff → attribute → approve appear together in one module: the pipeline, nowhere else in api."""
    calls = {"align_host_evidence(", "diff_snapshots(", "attribute(", ".approve("}
    holders = {m.name for m in MODULES if all(call in m.read_text(encoding="utf-8") for call in calls)}
    assert holders == {"drift.py"}
    attributing = {m.name for m in MODULES if "attribute(" in m.read_text(encoding="utf-8").replace("_attribute(", "")}
    assert attributing == {"drift.py"}
