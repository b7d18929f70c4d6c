"""``driftguard plan``: what a change of baselines (a pull request) asks of vCenter.

Pure: takes the baselines at the base and at the head (already loaded) and the snapshots to evaluate them on, and
returns the parts of a :class:`~driftguard.models.plan.PlanReport`. Expectations are compared after ``extends:``
is resolved, so a change to a baseline that others extend shows up where it takes effect.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from driftguard.baseline import paths
from driftguard.baseline.evaluate import Dumps, compliance, observe, target
from driftguard.baseline.loader import BaselineSet, Resolved
from driftguard.models import DriftItem, Endpoint, Snapshot
from driftguard.models.plan import (
    BaselineChange,
    BaselineIssue,
    PlanGroup,
    PlannedExpectation,
    PlanObject,
    PlanReport,
    PlanSummary,
)


def _dump(resolved: Resolved) -> dict[str, Any]:
    return resolved.expectation.model_dump(mode="json", exclude_unset=True)


def changes(base: BaselineSet, head: BaselineSet) -> list[BaselineChange]:
    """Expectations, ignore rules and rule settings added, removed or modified from base to head."""
    out: list[BaselineChange] = []
    for name in sorted(set(head.selected) - set(base.selected)):
        out.append(BaselineChange(baseline=name, section="file", key=name, change="added"))
    for name in sorted(set(base.selected) - set(head.selected)):
        out.append(BaselineChange(baseline=name, section="file", key=name, change="removed"))
    before = {(r.baseline, r.expectation.id): r for r in base.expectations}
    after = {(r.baseline, r.expectation.id): r for r in head.expectations}
    for key in sorted(before.keys() | after.keys()):
        old, new = before.get(key), after.get(key)
        if old is not None and new is not None and _dump(old) == _dump(new):
            continue
        change = "added" if old is None else "removed" if new is None else "modified"
        out.append(
            BaselineChange(
                baseline=key[0],
                section="expectation",
                key=key[1],
                change=change,
                before=_dump(old) if old else None,
                after=_dump(new) if new else None,
            )
        )
    for pattern in [p for p in head.ignore if p not in base.ignore]:
        out.append(BaselineChange(baseline="*", section="ignore", key=pattern, change="added", after=pattern))
    for pattern in [p for p in base.ignore if p not in head.ignore]:
        out.append(BaselineChange(baseline="*", section="ignore", key=pattern, change="removed", before=pattern))
    for rule in sorted(base.rules.keys() | head.rules.keys()):
        old_rule, new_rule = base.rules.get(rule), head.rules.get(rule)
        if old_rule == new_rule:
            continue
        change = "added" if old_rule is None else "removed" if new_rule is None else "modified"
        out.append(
            BaselineChange(baseline="*", section="rules", key=rule, change=change, before=old_rule, after=new_rule)
        )
    return out


def _value(value: Any) -> Any:
    return None if value is paths.MISSING else value


def planned(base: BaselineSet, head: BaselineSet, snapshots: Sequence[Snapshot]) -> list[PlannedExpectation]:
    """Every expectation the head adds or modifies, with the objects it selects: observed → target, and the
    identical ones grouped."""
    before = {(r.baseline, r.expectation.id): _dump(r) for r in base.expectations}
    dumps: dict[str, Dumps] = {}
    out: list[PlannedExpectation] = []
    for resolved in head.expectations:
        key = (resolved.baseline, resolved.expectation.id)
        if key in before and before[key] == _dump(resolved):
            continue
        exp = resolved.expectation
        goal = target(exp)
        objects: list[PlanObject] = []
        for snapshot in snapshots:
            for obs in observe(snapshot, resolved, dumps.setdefault(snapshot.manifest.vcenter.name, {})):
                objects.append(
                    PlanObject(
                        vcenter=snapshot.manifest.vcenter.name,
                        kind=obs.obj.kind,
                        id=obs.obj.id,
                        name=obs.obj.name,
                        path=obs.path,
                        observed=_value(obs.value),
                        target=goal,
                        compliant=obs.compliant,
                        unknown=obs.unknown,
                    )
                )
        groups: dict[tuple[str, str, bool], PlanGroup] = {}
        for obj in objects:
            if obj.unknown:
                continue
            gkey = (obj.path, json.dumps(obj.observed, sort_keys=True), obj.compliant)
            group = groups.get(gkey)
            if group is None:
                groups[gkey] = PlanGroup(
                    path=obj.path,
                    kind=obj.kind,
                    observed=obj.observed,
                    target=goal,
                    compliant=obj.compliant,
                    count=1,
                    names=[obj.name],
                )
            else:
                group.count += 1
                group.names.append(obj.name)
        ordered = sorted(groups.values(), key=lambda g: (g.compliant, -g.count, g.path))
        out.append(
            PlannedExpectation(
                baseline=resolved.baseline,
                id=exp.id,
                change="added" if key not in before else "modified",
                kind=exp.select.kind,
                path=exp.path,
                expected=exp.checks() | ({"optional": True} if exp.optional else {}),
                severity=exp.severity,
                reason=exp.reason,
                selected=len({(o.vcenter, o.id) for o in objects}),
                noncompliant=sum(1 for o in objects if not o.compliant and not o.unknown),
                groups=ordered,
                objects=objects,
            )
        )
    return out


def _key(item: DriftItem) -> tuple[Any, ...]:
    return (item.vcenter, item.kind, item.id, item.path, item.baseline, json.dumps(item.expected, sort_keys=True))


def compliance_delta(
    base: BaselineSet, head: BaselineSet, snapshots: Sequence[Snapshot]
) -> tuple[list[DriftItem], list[DriftItem], int, int]:
    """(newly non-compliant, resolved, non-compliant before, non-compliant after) over all snapshots."""
    before = [i for s in snapshots for i in compliance(s, base)]
    after = [i for s in snapshots for i in compliance(s, head)]
    before_keys = {_key(i) for i in before}
    after_keys = {_key(i) for i in after}
    new = [i for i in after if _key(i) not in before_keys]
    gone = [i for i in before if _key(i) not in after_keys]
    return new, gone, len(before), len(after)


@dataclass(frozen=True)
class PlanInputs:
    """Everything ``driftguard plan`` compares: the baseline files and sets at both ends, the snapshots."""

    base: Endpoint
    head: Endpoint
    base_files: Mapping[str, bytes]
    head_files: Mapping[str, bytes]
    snapshots: Sequence[tuple[Endpoint, Snapshot]]
    """Each vCenter's latest snapshot at the base, with the endpoint of its commit."""


def invalid(inputs: PlanInputs, errors: Sequence[BaselineIssue]) -> PlanReport:
    """The plan of a head whose baselines do not validate: the errors, nothing evaluated."""
    ends = [end for end, _ in inputs.snapshots]
    summary = PlanSummary(valid=False)
    return PlanReport(base=inputs.base, head=inputs.head, snapshots=ends, errors=list(errors), summary=summary)


def assemble(inputs: PlanInputs, base: BaselineSet, head: BaselineSet) -> PlanReport:
    """The plan of a valid head against ``base`` (an invalid base is compared with as an empty set)."""
    observed = [snapshot for _, snapshot in inputs.snapshots]
    found = changes(base, head)
    new, gone, before, after = compliance_delta(base, head, observed)
    files = inputs.base_files.keys() | inputs.head_files.keys()
    summary = PlanSummary(
        valid=True,
        files_changed=sum(1 for p in files if inputs.base_files.get(p) != inputs.head_files.get(p)),
        changes=len(found),
        noncompliant_before=before,
        noncompliant_after=after,
        newly_noncompliant=len(new),
        resolved=len(gone),
    )
    return PlanReport(
        base=inputs.base,
        head=inputs.head,
        snapshots=[end for end, _ in inputs.snapshots],
        changes=found,
        expectations=planned(base, head, observed),
        newly_noncompliant=new,
        resolved=gone,
        summary=summary,
    )
