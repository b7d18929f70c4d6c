"""The committed JSON Schemas are exactly what the models generate (regenerate with `make schemas`)."""

from __future__ import annotations

import json

import pytest

from driftguard.schemas import SCHEMAS, render
from tests import paths

SCHEMA_DIR = paths.SCHEMAS


@pytest.mark.parametrize("filename", sorted(SCHEMAS))
def test_committed_schema_is_current(filename: str) -> None:
    committed = SCHEMA_DIR / filename
    assert committed.exists(), f"{committed} is missing: run `make schemas`"
    assert committed.read_bytes() == render()[filename], f"{committed} is stale: run `make schemas`"


def test_no_orphan_schema_files() -> None:
    assert {p.name for p in SCHEMA_DIR.glob("*.json")} == set(SCHEMAS)


def test_diff_report_schema_uses_contract_names() -> None:
    schema = json.loads(render()["diff-report.schema.json"])
    assert {"schema", "from", "to", "items", "summary"} <= set(schema["properties"])
