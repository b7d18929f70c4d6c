"""Baselines over snapshots: ``plan`` (what a change of baselines asks), ``pin`` (a baseline from what is there)
and ``baseline ignored`` (what the baselines' ignore rules hide)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from pydantic import ValidationError

from driftguard import baseline
from driftguard.api._common import UsageError, opened
from driftguard.api.baselines import (
    InvalidBaselineError,
    committed_baselines,
    load_baselines,
    parse_baselines,
    planned_rules,
    worktree_baselines,
)
from driftguard.api.drift import Side, latest_snapshots
from driftguard.api.filters import rule_sources
from driftguard.api.ignore import ignore_patterns
from driftguard.baseline import plan as baseline_plan
from driftguard.baseline.loader import parse_file
from driftguard.baseline.pin import pin as pin_baseline
from driftguard.diff import diff_snapshots
from driftguard.diff.align import align_host_evidence
from driftguard.models import DriftItem, Endpoint, patterns
from driftguard.models.plan import IgnorePreview, PlanReport
from driftguard.store import StateRepo

WORKTREE = "worktree"


def plan(repo_path: Path, base: str = "HEAD", head: str = WORKTREE) -> PlanReport:
    """What the baselines of ``head`` (a revision, or the working tree) change against those of ``base``:
    validation, the changes, per changed expectation the selected objects (observed → target, grouped), and the
    compliance drift that appears or disappears — evaluated on the latest snapshots at ``base``."""
    with opened(repo_path) as repo:
        base_commit = repo.resolve(base)
        head_ref = WORKTREE if head == WORKTREE else repo.resolve(head)
        head_files = worktree_baselines(repo_path) if head == WORKTREE else committed_baselines(repo, head_ref)
        inputs = baseline_plan.PlanInputs(
            base=Endpoint(ref=base_commit),
            head=Endpoint(ref=head_ref),
            base_files=committed_baselines(repo, base_commit),
            head_files=head_files,
            snapshots=[(_endpoint(side), side.snapshot) for side in latest_snapshots(repo, base_commit)],
        )
    try:
        head_set = parse_baselines(dict(inputs.head_files))
        planned_rules(head_set, None)
    except InvalidBaselineError as exc:
        return baseline_plan.invalid(inputs, exc.issues)
    try:
        base_set = parse_baselines(dict(inputs.base_files))
    except InvalidBaselineError:
        base_set = baseline.BaselineSet()  # an invalid base cannot be compared with: everything reads as new
    return baseline_plan.assemble(inputs, base_set, head_set)


def _endpoint(side: Side) -> Endpoint:
    return Endpoint(ref=side.commit, collected_at=side.snapshot.manifest.finished_at)


def pin(
    repo_path: Path,
    select: dict[str, Any],
    paths: Sequence[str] = ("*",),
    *,
    rev: str | None = None,
    name: str = "pinned",
) -> str:
    """YAML text of a baseline that expects what the selected objects have in the latest snapshots (at ``rev``)."""
    try:
        selector = baseline.Selector.model_validate(select)
    except ValidationError as exc:
        problems = "; ".join(f"{'.'.join(str(p) for p in e['loc'])}: {e['msg']}" for e in exc.errors())
        raise UsageError(f"--select: {problems}") from None
    with opened(repo_path) as repo:
        commit = repo.resolve(rev or "HEAD")
        snapshots = [side.snapshot for side in latest_snapshots(repo, commit)]
    if not snapshots:
        raise UsageError(f"no snapshot at {rev or 'HEAD'} to pin from")
    try:
        return pin_baseline(snapshots, selector, paths, name=name, source=commit[:10])
    except baseline.BaselineError as exc:
        raise InvalidBaselineError(exc.issues) from None


def ignored(repo_path: Path, rev: str | None = None, *, ignore: Sequence[str] = ()) -> IgnorePreview:
    """What every ignore rule hides — the baselines', the configuration's (driftguard.yaml, .driftguardignore) and
    ``ignore`` (``--ignore``): compliance drift of the latest snapshots and history drift of their last change
    (``driftguard baseline ignored``)."""
    in_force = load_baselines(repo_path, rev)
    unfiltered = baseline.BaselineSet(
        baselines=in_force.baselines, selected=in_force.selected, expectations=in_force.expectations
    )
    ignore_patterns(repo_path, ignore)  # a bad pattern is a usage error naming file:line:column (or the option)
    rules = rule_sources(repo_path, ignore, in_force)
    every = [pattern for pattern, _ in rules]
    compliance: list[DriftItem] = []
    history: list[DriftItem] = []
    with opened(repo_path) as repo:
        for side in latest_snapshots(repo, repo.resolve(rev or "HEAD")):
            compliance += baseline.compliance(side.snapshot, unfiltered)
            history += _last_change(repo, side, ())
    hidden = [i for i in compliance if patterns.ignored(every, i.kind, i.path)]
    hidden_history = [i for i in history if patterns.ignored(every, i.kind, i.path)]
    sources = dict(reversed(rules))
    return IgnorePreview(patterns=every, sources=sources, compliance=hidden, history=hidden_history)


def _last_change(repo: StateRepo, side: Side, ignore: Sequence[str]) -> list[DriftItem]:
    """The history drift of the commit that made ``side`` (before any baseline's ignore: that is what we show)."""
    name = side.snapshot.manifest.vcenter.name
    previous = repo.previous_commit(side.commit, name)
    if previous is None:
        return []
    old, new = align_host_evidence(repo.load(previous, name), side.snapshot)
    return diff_snapshots(old, new, ignore=ignore)


@dataclass(frozen=True)
class Pinned:
    """A pinned baseline: its YAML text and how many expectations it holds."""

    text: str
    expectations: int


def pinned(
    repo_path: Path,
    select: dict[str, Any],
    paths: Sequence[str] = ("*",),
    *,
    rev: str | None = None,
    name: str = "pinned",
) -> Pinned:
    """:func:`pin`, with the number of expectations written (``driftguard baseline pin`` reports it)."""
    text = pin(repo_path, select, paths, rev=rev, name=name)
    parsed, _ = parse_file(name, f"baselines/{name}.yaml", text)  # pin() validated it already
    return Pinned(text=text, expectations=len(parsed.model.expectations) if parsed is not None else 0)
