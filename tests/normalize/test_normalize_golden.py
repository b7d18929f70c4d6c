"""Golden files for normalisation: ``tests/fixtures/normalize/<kind>/<case>.json`` = ``{"raw", "expected"}``.

``raw`` is a (partial) raw inventory as ``driftguard.collect`` writes it (``docs/raw-format.md``);
``expected`` is the normaliser's output as JSON: ``{id: model}`` for a kind, the whole snapshot for
``snapshot``. Cases named ``vcsim-*`` were captured from the simulator by ``scripts/capture_raw.py``; the
others are hand-made edge cases.

To regenerate after an intended change: ``UPDATE_GOLDEN=1 pytest tests/normalize/test_normalize_golden.py``, then
review ``git diff tests/fixtures/normalize`` line by line before committing: the files are the spec.
"""

from __future__ import annotations

import json
import os
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any

import pytest
from pydantic import BaseModel

from driftguard.models import Snapshot
from driftguard.normalize import (
    Inventory,
    normalize_clusters,
    normalize_datastores,
    normalize_dvswitches,
    normalize_hosts,
    normalize_snapshot,
    normalize_vms,
)
from tests import paths

FIXTURES = paths.FIXTURES / "normalize"

NORMALIZERS: dict[str, Callable[[Mapping[str, Any]], Mapping[str, BaseModel] | Snapshot]] = {
    "cluster": lambda raw: normalize_clusters(Inventory(raw)),
    "host": lambda raw: normalize_hosts(Inventory(raw)),
    "vm": lambda raw: normalize_vms(Inventory(raw)),
    "dvswitch": lambda raw: normalize_dvswitches(Inventory(raw)),
    "datastore": lambda raw: normalize_datastores(Inventory(raw)),
    "snapshot": normalize_snapshot,
}

CASES = sorted(FIXTURES.glob("*/*.json"))


def _dump(result: Mapping[str, BaseModel] | Snapshot) -> Any:
    if isinstance(result, Snapshot):
        data = result.model_dump(mode="json")
        data["manifest"]["tool_version"] = "<tool version>"  # not the normaliser's business
        return data
    return {key: model.model_dump(mode="json") for key, model in sorted(result.items())}


@pytest.mark.parametrize("path", CASES, ids=[f"{p.parent.name}/{p.stem}" for p in CASES])
def test_golden(path: Path) -> None:
    case = json.loads(path.read_text(encoding="utf-8"))
    normalize = NORMALIZERS[path.parent.name]
    actual = _dump(normalize(case["raw"]))

    if os.environ.get("UPDATE_GOLDEN"):
        case["expected"] = actual
        path.write_text(json.dumps(case, indent=2, sort_keys=True, ensure_ascii=False) + "\n", encoding="utf-8")

    assert actual == case["expected"]
    # Invariants on every case: pure (same input, same output) and the output is a valid model again.
    assert _dump(normalize(case["raw"])) == actual
    result = normalize(case["raw"])
    models = [result] if isinstance(result, Snapshot) else list(result.values())
    for model in models:
        assert type(model).model_validate(model.model_dump(mode="json")) == model


def test_every_kind_has_cases_including_one_from_the_simulator() -> None:
    kinds = {path.parent.name for path in CASES}
    assert kinds == set(NORMALIZERS), "a normaliser without golden cases, or a case directory without one"
    for kind in NORMALIZERS:
        captured = [p for p in CASES if p.parent.name == kind and p.stem.startswith("vcsim-")]
        assert captured, f"no simulator-captured case for {kind} (run scripts/capture_raw.py)"
