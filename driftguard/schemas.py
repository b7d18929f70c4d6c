"""JSON Schemas generated from the models: ``python -m driftguard.schemas [DIR]`` (``make schemas``).

The files in ``schemas/`` are artefacts of the models; ``tests/models/test_schemas.py`` regenerates them and fails when
the committed copies are stale, so editors and other tools can trust them.
"""

from __future__ import annotations

import sys
from pathlib import Path

from pydantic import BaseModel
from pydantic.json_schema import JsonSchemaMode

from driftguard.baseline.format import BaselineFile
from driftguard.models import VM, CheckReport, Cluster, Datastore, DiffReport, DvSwitch, Host, Manifest
from driftguard.models.canonical import canonical_dumps
from driftguard.models.plan import IgnorePreview, PlanReport
from driftguard.models.review import DiffItemLine, FindingLine, HistoryEntryLine, ObjectHistory, StoredObject

SCHEMAS: dict[str, tuple[type[BaseModel], JsonSchemaMode]] = {
    "cluster.schema.json": (Cluster, "validation"),
    "host.schema.json": (Host, "validation"),
    "vm.schema.json": (VM, "validation"),
    "dvswitch.schema.json": (DvSwitch, "validation"),
    "datastore.schema.json": (Datastore, "validation"),
    "manifest.schema.json": (Manifest, "validation"),
    "diff-report.schema.json": (DiffReport, "serialization"),
    "check-report.schema.json": (CheckReport, "serialization"),
    "plan-report.schema.json": (PlanReport, "serialization"),
    "history-report.schema.json": (ObjectHistory, "serialization"),
    "object.schema.json": (StoredObject, "serialization"),
    "ignored-report.schema.json": (IgnorePreview, "serialization"),
    # --format jsonl: the schema of one line
    "diff-item.line.schema.json": (DiffItemLine, "serialization"),
    "history-entry.line.schema.json": (HistoryEntryLine, "serialization"),
    "finding.line.schema.json": (FindingLine, "serialization"),
    # baseline files are YAML written by people: editors validate them while typing against this schema
    "baseline.schema.json": (BaselineFile, "validation"),
}
"""File name → (model, pydantic schema mode). The diff and check reports are described as they are written (by
alias, with the findings' derived ``fingerprint``)."""

SCHEMA_BASE_URI = "https://driftguard.invalid/schemas/"


def render() -> dict[str, bytes]:
    """Every schema file's canonical bytes, by file name."""
    out: dict[str, bytes] = {}
    for filename, (model, mode) in SCHEMAS.items():
        body = model.model_json_schema(mode=mode)
        schema = {"$schema": "https://json-schema.org/draft/2020-12/schema", "$id": SCHEMA_BASE_URI + filename, **body}
        out[filename] = canonical_dumps(schema)
    return out


def write(directory: Path) -> list[Path]:
    directory.mkdir(parents=True, exist_ok=True)
    written = []
    for filename, data in render().items():
        path = directory / filename
        path.write_bytes(data)
        written.append(path)
    return written


if __name__ == "__main__":
    target = Path(sys.argv[1]) if len(sys.argv) > 1 else Path(__file__).resolve().parent.parent / "schemas"
    for p in write(target):
        print(p)
