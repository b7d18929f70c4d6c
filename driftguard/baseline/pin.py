"""``driftguard baseline pin``: a baseline from observed state — "approve what is there now".

For every path (matching the ``--paths`` globs) of the selected objects: one ``equals`` expectation for all of them
when they agree, else one per object (selected by vCenter and exact name). The text is validated by the loader
before anyone writes it.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from typing import Any

from driftguard.baseline import paths
from driftguard.baseline.evaluate import selected
from driftguard.baseline.format import Selector
from driftguard.baseline.loader import BaselineError, parse_file
from driftguard.baseline.yamlio import dump_plain
from driftguard.models import KIND_MODELS, Severity, Snapshot
from driftguard.models.paths import under_any
from driftguard.models.patterns import glob_match


def _slug(text: str) -> str:
    return re.sub(r"[^a-z0-9]+", "-", text.lower()).strip("-")[:60] or "value"


def pin(
    snapshots: Sequence[Snapshot],
    selector: Selector,
    path_globs: Sequence[str] = ("*",),
    *,
    name: str = "pinned",
    source: str = "",
    severity: Severity = "medium",
) -> str:
    """YAML text of a baseline expecting the values the selected objects have now."""
    model = KIND_MODELS[selector.kind]
    values: dict[str, list[tuple[str, str, Any]]] = {}
    for snapshot in snapshots:
        vcenter = snapshot.manifest.vcenter.name
        for obj in selected(snapshot, selector):
            for path, value in paths.leaves(obj.model_dump(mode="json"), model):
                if under_any(path, obj.unknowns):
                    continue
                if any(glob_match(g, path) for g in path_globs):
                    values.setdefault(path, []).append((vcenter, obj.name, value))
    base_select = selector.model_dump(mode="json", exclude_none=True)
    reason = f"Pinned from the observed state{f' of {source}' if source else ''} (driftguard baseline pin)."
    expectations: list[dict[str, Any]] = []
    used: set[str] = set()

    def new_id(text: str) -> str:
        slug = _slug(text)
        candidate, n = slug, 2
        while candidate in used:
            candidate, n = f"{slug}-{n}", n + 1
        used.add(candidate)
        return candidate

    for path in sorted(values):
        rows = values[path]
        distinct = {repr(v) for _, _, v in rows}
        if len(distinct) == 1:
            groups: list[tuple[dict[str, Any], Any, str]] = [(base_select, rows[0][2], path)]
        else:
            groups = [
                ({**base_select, "vcenter": vc, "name": obj_name}, value, f"{obj_name}-{path}")
                for vc, obj_name, value in rows
            ]
        for select, value, label in groups:
            expectations.append(
                {
                    "id": new_id(label),
                    "select": dict(select),
                    "path": path,
                    "equals": value,
                    "severity": severity,
                    "reason": reason,
                }
            )
    doc = {
        "version": 1,
        "description": f"Observed state pinned by `driftguard baseline pin`{f' from {source}' if source else ''}.",
        "expectations": expectations,
    }
    text = f"# {name}: pinned from observed state; review before merging (docs/baselines.md)\n" + dump_plain(doc)
    _, issues = parse_file(name, f"baselines/{name}.yaml", text)
    if issues:
        raise BaselineError(issues)
    return text
