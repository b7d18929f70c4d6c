"""Where things are, for every test module: the repository root and the test data directories.

Tests live one or two directories deep (tests/<stage>/test_*.py), so a module never computes these from its own
``__file__``; moving a test file cannot break its data paths."""

from __future__ import annotations

from pathlib import Path

TESTS = Path(__file__).resolve().parent
ROOT = TESTS.parent
FIXTURES = TESTS / "fixtures"
DATA = TESTS / "data"
DOCS = ROOT / "docs"
SCHEMAS = ROOT / "schemas"
PACKAGE = ROOT / "driftguard"
