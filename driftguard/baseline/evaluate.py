"""Baselines against a snapshot: selection, compliance drift, and approval of history drift.

- :func:`compliance` — every place the snapshot differs from what the baselines expect: drift items in the
  ``diff`` shape plus ``baseline``, ``expected``, ``reason``. ``old`` is the observed value; ``new`` the value to
  set when the expectation names one (``equals``), else None. ``change`` says what vCenter would need: ``modified``,
  ``added`` (a required value is missing) or ``removed`` (a value that must be absent is there).
- :func:`approve` — marks history drift ``approved`` when an expectation in force selects the object, names the
  item's path exactly, and the item's new value satisfies it.

A path the snapshot lists in the object's ``unknowns`` is neither compliant nor a violation: it is skipped.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from driftguard.baseline import paths
from driftguard.baseline.format import Expectation, Globs, Selector
from driftguard.baseline.loader import BaselineSet, Resolved
from driftguard.models import KIND_ORDER, DriftItem, Finding, Snapshot, SnapshotObject
from driftguard.models.paths import Path, PathError, matches, parse, render, under_any
from driftguard.models.patterns import ignored, name_any

CATEGORY = "baseline"
"""Category of compliance drift items."""


def _globs(value: Globs | None) -> list[str] | None:
    if value is None:
        return None
    return [value] if isinstance(value, str) else list(value)


def _any(text: str | None, patterns: list[str] | None) -> bool:
    if patterns is None:
        return True
    return text is not None and name_any(patterns, text)


def selects(selector: Selector, snapshot: Snapshot, obj: SnapshotObject) -> bool:
    """Whether ``selector`` picks ``obj`` of ``snapshot``."""
    if obj.kind != selector.kind:
        return False
    if not _any(snapshot.manifest.vcenter.name, _globs(selector.vcenter)):
        return False
    if not _any(obj.name, _globs(selector.name)):
        return False
    if not _any(getattr(obj, "datacenter", None), _globs(selector.datacenter)):
        return False
    clusters = _globs(selector.cluster)
    if clusters is not None:
        return _any(cluster_name(snapshot, obj), clusters)
    return True


def cluster_name(snapshot: Snapshot, obj: SnapshotObject) -> str | None:
    if obj.kind == "cluster":
        return obj.name
    if obj.kind == "host":
        return getattr(obj, "cluster_name", None)
    if obj.kind == "vm":
        cluster_id = getattr(obj, "cluster", None)
        cluster = snapshot.clusters.get(cluster_id) if cluster_id else None
        return cluster.name if cluster else None
    return None


def selected(snapshot: Snapshot, selector: Selector) -> list[SnapshotObject]:
    """The objects ``selector`` picks, by name then id."""
    objs = [o for o in snapshot.collection(selector.kind).values() if selects(selector, snapshot, o)]
    return sorted(objs, key=lambda o: (o.name, o.id))


def satisfies(exp: Expectation, value: Any) -> bool:
    """Whether an observed JSON value (or :data:`paths.MISSING`) satisfies the expectation."""
    missing = value is paths.MISSING or value is None
    checks = exp.checks()
    if "absent" in checks:
        return missing
    if "present" in checks:
        return not missing
    if value is paths.MISSING:
        return exp.optional
    if "equals" in checks:
        return same(value, exp.equals)
    if "one_of" in checks:
        return any(same(value, v) for v in exp.one_of or [])
    if missing:
        return exp.optional
    if "matches" in checks:
        return isinstance(value, str) and re.fullmatch(str(exp.matches), value) is not None
    if not isinstance(value, int | float) or isinstance(value, bool):
        return False
    if exp.min is not None and value < exp.min:
        return False
    return not (exp.max is not None and value > exp.max)


def same(a: Any, b: Any) -> bool:
    """Equality of JSON values that does not take ``true`` for ``1`` (Python does)."""
    if isinstance(a, bool) or isinstance(b, bool):
        return isinstance(a, bool) and isinstance(b, bool) and a == b
    if isinstance(a, dict) and isinstance(b, dict):
        return a.keys() == b.keys() and all(same(a[k], b[k]) for k in a)
    if isinstance(a, list) and isinstance(b, list):
        return len(a) == len(b) and all(same(x, y) for x, y in zip(a, b, strict=True))
    if isinstance(a, int | float) and isinstance(b, int | float):
        return bool(a == b)
    return type(a) is type(b) and bool(a == b)


def target(exp: Expectation) -> Any:
    """What a reviewer should read as the goal: the value to set, else a short description."""
    checks = exp.checks()
    if "equals" in checks:
        return exp.equals
    if "one_of" in checks:
        return "one of " + ", ".join(_show(v) for v in exp.one_of or [])
    if "absent" in checks:
        return "absent"
    if "present" in checks:
        return "present"
    if "matches" in checks:
        return f"matches /{exp.matches}/"
    bounds = []
    if exp.min is not None:
        bounds.append(f">= {_show(exp.min)}")
    if exp.max is not None:
        bounds.append(f"<= {_show(exp.max)}")
    return " and ".join(bounds)


def _show(value: Any) -> str:
    if isinstance(value, str):
        return value
    if isinstance(value, bool) or value is None:
        return "true" if value is True else "false" if value is False else "null"
    return str(value)


@dataclass(frozen=True)
class Observation:
    """One selected object x one concrete path of an expectation."""

    resolved: Resolved
    obj: SnapshotObject
    path: str
    value: Any
    """The observed JSON value, or :data:`paths.MISSING`."""
    unknown: bool
    compliant: bool


Dumps = dict[tuple[str, str], Any]
"""JSON form of objects by (kind, id), shared by the expectations of one evaluation (dumping dominates)."""


def observe(snapshot: Snapshot, resolved: Resolved, dumps: Dumps | None = None) -> Iterator[Observation]:
    """Every (object, concrete path) the expectation covers on ``snapshot``, with the verdict."""
    exp = resolved.expectation
    segments = parse(exp.path)
    cache: Dumps = {} if dumps is None else dumps
    for obj in selected(snapshot, exp.select):
        key = (obj.kind, obj.id)
        data = cache.get(key)
        if data is None:
            data = cache[key] = obj.model_dump(mode="json")
        for concrete, value in paths.expand(data, segments):
            path = render(concrete)
            unknown = under_any(path, obj.unknowns)
            yield Observation(resolved, obj, path, value, unknown, not unknown and satisfies(exp, value))


def _expected(exp: Expectation) -> dict[str, Any]:
    out = exp.checks()
    if exp.optional:
        out["optional"] = True
    return out


def violation(snapshot: Snapshot, obs: Observation) -> DriftItem:
    """The compliance drift item of a non-compliant observation."""
    exp = obs.resolved.expectation
    checks = exp.checks()
    missing = obs.value is paths.MISSING or obs.value is None
    change = "removed" if "absent" in checks else "added" if missing else "modified"
    return DriftItem(
        vcenter=snapshot.manifest.vcenter.name,
        kind=obs.obj.kind,
        id=obs.obj.id,
        name=obs.obj.name,
        change=change,
        path=obs.path,
        old=None if obs.value is paths.MISSING else obs.value,
        new=exp.equals if "equals" in checks else None,
        category=CATEGORY,
        severity=exp.severity,
        baseline=obs.resolved.baseline,
        expected=_expected(exp),
        reason=exp.reason,
    )


def violations(snapshot: Snapshot, baselines: BaselineSet) -> list[tuple[Resolved, DriftItem]]:
    """(expectation, compliance drift item) for every violation, minus the baselines' ignore rules."""
    dumps: Dumps = {}
    out = [
        (resolved, violation(snapshot, obs))
        for resolved in baselines.expectations
        for obs in observe(snapshot, resolved, dumps)
        if not obs.compliant and not obs.unknown
    ]
    return [(r, i) for r, i in out if not ignored(baselines.ignore, i.kind, i.path)]


def compliance(snapshot: Snapshot, baselines: BaselineSet) -> list[DriftItem]:
    """Compliance drift of ``snapshot`` against every expectation in force, minus the baselines' ignore rules;
    sorted like history drift (kind, name, id, path) then by baseline."""
    return sort_items(item for _, item in violations(snapshot, baselines))


def rule_id(resolved: Resolved) -> str:
    """The id a baseline expectation has among findings (SARIF rules): ``baseline/<baseline>/<expectation>``."""
    return f"baseline/{resolved.baseline}/{resolved.expectation.id}"


def as_finding(resolved: Resolved, item: DriftItem) -> Finding:
    """A compliance drift item as a finding of ``driftguard check`` (``source: baseline``)."""
    exp = resolved.expectation
    observed = "missing" if item.old is None else json.dumps(item.old, ensure_ascii=False)
    return Finding(
        rule_id=rule_id(resolved),
        rule_name=exp.id,
        severity=exp.severity,
        message=f"{item.kind} {item.name}: {item.path} is {observed}, baseline {resolved.baseline} expects "
        f"{_show_expected(exp)}: {exp.reason}",
        vcenter=item.vcenter,
        kind=item.kind,
        id=item.id,
        name=item.name,
        path=item.path,
        evidence={"observed": item.old, "expected": item.expected, "source": exp.source},
        source="baseline",
    )


def _show_expected(exp: Expectation) -> str:
    goal = target(exp)
    return json.dumps(goal, ensure_ascii=False) if "equals" in exp.checks() else str(goal)


def sort_items(items: Iterable[DriftItem]) -> list[DriftItem]:
    return sorted(items, key=lambda i: (KIND_ORDER.get(i.kind, 99), i.name, i.id, i.path, i.baseline or ""))


def approve(
    items: Sequence[DriftItem],
    snapshot: Snapshot,
    baselines: BaselineSet,
    commits: Mapping[str, str | None],
) -> list[DriftItem]:
    """History drift items with ``approved`` set: True (with ``baseline``, ``approved_commit``, ``expected`` and
    ``reason``) when an expectation in force asks for the new value at exactly that path, else False.

    ``snapshot`` is the newer side; ``commits`` maps a baseline name to the commit that last touched its file.
    """
    by_object: dict[tuple[str, str], list[Resolved]] = {}
    for resolved in baselines.expectations:
        for obj in selected(snapshot, resolved.expectation.select):
            by_object.setdefault((obj.kind, obj.id), []).append(resolved)
    out: list[DriftItem] = []
    for item in items:
        match = _approving(item, by_object.get((item.kind, item.id), []))
        if match is None:
            out.append(item.model_copy(update={"approved": False}))
            continue
        exp = match.expectation
        out.append(
            item.model_copy(
                update={
                    "approved": True,
                    "baseline": match.baseline,
                    "approved_commit": commits.get(match.baseline),
                    "expected": _expected(exp),
                    "reason": exp.reason,
                }
            )
        )
    return out


_SPECIFICITY = {"equals": 0, "one_of": 1, "absent": 1, "matches": 2, "min": 2, "max": 2, "present": 3}
"""Which satisfied expectation approves an item: the one that names the value most precisely, then the site's
own over a shipped one (``equals: 10.0.0.2`` in site.yaml rather than seed-security's ``present: true``)."""


def _approving(item: DriftItem, candidates: Iterable[Resolved]) -> Resolved | None:
    if not item.path:
        return None  # a whole object added or removed is never approved by a value expectation
    value = paths.MISSING if item.change == "removed" else item.new
    matching = [
        resolved
        for resolved in candidates
        if _path_matches(parse(resolved.expectation.path), item.path) and satisfies(resolved.expectation, value)
    ]
    if not matching:
        return None
    return min(matching, key=lambda r: (min(_SPECIFICITY[k] for k in r.expectation.checks()), r.shipped))


def _path_matches(segments: Path, path: str) -> bool:
    try:
        return matches(segments, parse(path))
    except PathError:
        return False
