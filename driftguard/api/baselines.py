"""Baselines: validate, plan, pin, ignored, init, and the approval of drift by the baselines in force."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from pydantic import ValidationError

from driftguard import __version__, baseline, policy
from driftguard.api._common import OperationalError, UsageError, _operational
from driftguard.api.evidence import align_host_evidence
from driftguard.api.ignore import ignore_patterns
from driftguard.baseline import plan as baseline_plan
from driftguard.baseline import scaffold as baseline_scaffold
from driftguard.baseline.loader import SHIPPED_PREFIX, name_of, parse_file
from driftguard.baseline.pin import pin as pin_baseline
from driftguard.diff import diff_snapshots
from driftguard.models import DriftItem, Endpoint, Snapshot
from driftguard.models.plan import BaselineIssue, IgnorePreview, PlanReport, PlanSummary
from driftguard.store import StateRepo

# --- baselines: approved configuration in the state repo (docs/baselines.md) -------------------------------------


class InvalidBaselineError(UsageError):
    """Baselines that do not validate (exit 2); ``issues`` name ``file:line:column`` each."""

    def __init__(self, issues: Sequence[BaselineIssue]) -> None:
        self.issues = list(issues)
        more = f" (and {len(self.issues) - 1} more: driftguard validate)" if len(self.issues) > 1 else ""
        super().__init__(f"invalid baseline: {self.issues[0]}{more}" if self.issues else "invalid baseline")


def _decode(files: dict[str, bytes]) -> dict[str, str]:
    out: dict[str, str] = {}
    for path, data in files.items():
        try:
            out[path] = data.decode("utf-8")
        except UnicodeDecodeError as exc:
            raise InvalidBaselineError([BaselineIssue(file=path, message=f"not UTF-8 text: {exc.reason}")]) from None
    return out


def _worktree_baselines(repo_path: Path) -> dict[str, str]:
    directory = repo_path / baseline.BASELINE_DIR
    if not directory.is_dir():
        return {}
    files = {f"{baseline.BASELINE_DIR}/{p.name}": p.read_bytes() for p in sorted(directory.glob("*.yaml"))}
    return _decode(files)


def _committed_baselines(repo: StateRepo, rev: str) -> dict[str, str]:
    files = repo.read_dir(rev, baseline.BASELINE_DIR)
    return _decode({path: data for path, data in files.items() if baseline.is_baseline_path(path)})


def _load(files: dict[str, str], names: Sequence[str] | None = None) -> baseline.BaselineSet:
    try:
        return baseline.load(files, names=names)
    except baseline.BaselineError as exc:
        raise InvalidBaselineError(exc.issues) from None


def load_baselines(
    repo_path: Path, rev: str | None = None, *, names: Sequence[str] | None = None
) -> baseline.BaselineSet:
    """The baselines of the state repo's working tree, or as committed at ``rev``; all of them, or ``names``
    (``all`` means all). Invalid ones raise :class:`InvalidBaselineError`."""
    wanted = None if not names or "all" in names else list(names)
    if rev is None:
        return _load(_worktree_baselines(repo_path), wanted)
    with _operational():
        repo = StateRepo.open(repo_path)
        return _load(_committed_baselines(repo, repo.resolve(rev)), wanted)


@dataclass(frozen=True)
class InForce:
    """The baselines committed at one revision, with the commit that last changed each file."""

    baselines: baseline.BaselineSet
    commits: dict[str, str | None]

    def approve(self, items: list[DriftItem], snapshot: Snapshot) -> list[DriftItem]:
        # A state repo without baselines approves nothing and disapproves nothing: `approved` stays unset, so
        # commit messages and reports do not call every change "unapproved" before anyone wrote a baseline.
        if not self.baselines.baselines:
            return items
        return baseline.approve(items, snapshot, self.baselines, self.commits)


def _baselines_at(repo: StateRepo, rev: str) -> InForce:
    """The baselines in force at ``rev`` (the tree of that commit) and the commits that approved them."""
    if rev == "HEAD" and repo.head() is None:
        return InForce(baseline.BaselineSet(), {})
    commit = repo.resolve(rev)
    loaded = _load(_committed_baselines(repo, commit))
    commits = {
        name: (None if parsed.shipped else repo.last_change(commit, parsed.file))
        for name, parsed in loaded.baselines.items()
    }
    return InForce(loaded, commits)


def _planned_rules(
    in_force: baseline.BaselineSet,
    config: policy.RuleConfig | None,
    *,
    select: Sequence[str] | None = None,
    skip: Sequence[str] = (),
) -> list[policy.Planned]:
    """The rules to run with the baselines' settings under ``config``; a bad setting in a baseline is reported at
    its ``file:line:column``."""
    merged: dict[str, Any] = {**in_force.rules, **dict(config or {})}
    try:
        return policy.plan(policy.all_rules(), merged, select=select, skip=skip)
    except policy.RuleConfigError as exc:
        located = [i for i in exc.issues if i.rule_id in in_force.rules and (config is None or i.rule_id not in config)]
        if not located:
            raise UsageError(str(exc)) from exc
        issues = []
        for issue in located:
            pos = in_force.locate_rule(issue.rule_id, [str(p) for p in issue.loc])
            where = ".".join(str(p) for p in issue.loc)
            message = f"rules.{issue.rule_id}{'.' + where if where else ''}: {issue.message}"
            issues.append(BaselineIssue(file=pos.file, line=pos.line, column=pos.column, message=message))
        raise InvalidBaselineError(issues) from exc
    except (policy.RuleFailedError, policy.RegistryError) as exc:
        raise OperationalError(str(exc)) from exc


def validate(paths: Sequence[Path]) -> list[BaselineIssue]:
    """Validate baseline files (``driftguard validate``, the pre-commit hook): structure, paths and value types,
    ``extends:`` against the files beside each one and the shipped baselines, and rule settings against the rule
    catalogue. Returns every issue (empty: valid)."""
    issues: list[BaselineIssue] = []
    by_dir: dict[Path, list[Path]] = {}
    for path in paths:
        by_dir.setdefault(path.parent, []).append(path)
    for directory, chosen in by_dir.items():
        files: dict[str, str] = {}
        try:
            for sibling in sorted(directory.glob("*.yaml")):
                files[str(sibling)] = sibling.read_text(encoding="utf-8")
            for path in chosen:
                files[str(path)] = path.read_text(encoding="utf-8")
        except (OSError, UnicodeDecodeError) as exc:
            issues.append(BaselineIssue(file=str(getattr(exc, "filename", None) or directory), message=str(exc)))
            continue
        names = [name_of(str(p)) for p in chosen]
        try:
            loaded = baseline.load(files, names=names)
        except baseline.BaselineError as exc:
            issues += exc.issues
            continue
        try:
            _planned_rules(loaded, None)
        except InvalidBaselineError as exc:
            issues += exc.issues
        except UsageError as exc:
            issues.append(BaselineIssue(file=str(directory), message=str(exc)))
    return issues


def _snapshots_at(repo: StateRepo, commit: str) -> list[tuple[str, Snapshot]]:
    """(snapshot commit, snapshot) of every vCenter's latest snapshot at ``commit``."""
    out = []
    for name in repo.vcenters(commit):
        state = repo.latest_commit(name, commit)
        if state is not None:
            out.append((state, repo.load(state, name)))
    return out


WORKTREE = "worktree"


def plan(repo_path: Path, base: str = "HEAD", head: str = WORKTREE) -> PlanReport:
    """What the baselines of ``head`` (a revision, or the working tree) change against those of ``base``:
    validation, the changes, per changed expectation the selected objects (observed → target, grouped), and the
    compliance drift that appears or disappears — evaluated on the latest snapshots at ``base``."""
    with _operational():
        repo = StateRepo.open(repo_path)
        base_commit = repo.resolve(base)
        base_files = _committed_baselines(repo, base_commit)
        head_ref = WORKTREE if head == WORKTREE else repo.resolve(head)
        head_files = _worktree_baselines(repo_path) if head == WORKTREE else _committed_baselines(repo, head_ref)
        snapshots = _snapshots_at(repo, base_commit)
    base_end, head_end = Endpoint(ref=base_commit), Endpoint(ref=head_ref)
    ends = [Endpoint(ref=c, collected_at=s.manifest.finished_at) for c, s in snapshots]
    try:
        head_set = _load(head_files)
        _planned_rules(head_set, None)
    except InvalidBaselineError as exc:
        summary = PlanSummary(valid=False)
        return PlanReport(base=base_end, head=head_end, snapshots=ends, errors=exc.issues, summary=summary)
    try:
        base_set = _load(base_files)
    except InvalidBaselineError:
        base_set = baseline.BaselineSet()  # an invalid base cannot be compared with: everything reads as new
    observed = [s for _, s in snapshots]
    changes = baseline_plan.changes(base_set, head_set)
    planned = baseline_plan.planned(base_set, head_set, observed)
    new, gone, before, after = baseline_plan.compliance_delta(base_set, head_set, observed)
    changed_files = {p for p in base_files.keys() | head_files.keys() if base_files.get(p) != head_files.get(p)}
    summary = PlanSummary(
        valid=True,
        files_changed=len(changed_files),
        changes=len(changes),
        noncompliant_before=before,
        noncompliant_after=after,
        newly_noncompliant=len(new),
        resolved=len(gone),
    )
    return PlanReport(
        base=base_end,
        head=head_end,
        snapshots=ends,
        changes=changes,
        expectations=planned,
        newly_noncompliant=new,
        resolved=gone,
        summary=summary,
    )


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
    with _operational():
        repo = StateRepo.open(repo_path)
        commit = repo.resolve(rev or "HEAD")
        snapshots = _snapshots_at(repo, commit)
    if not snapshots:
        raise UsageError(f"no snapshot at {rev or 'HEAD'} to pin from")
    try:
        return pin_baseline([s for _, s in snapshots], selector, paths, name=name, source=commit[:10])
    except baseline.BaselineError as exc:
        raise InvalidBaselineError(exc.issues) from None


def ignored(repo_path: Path, rev: str | None = None) -> IgnorePreview:
    """What the baselines' ignore rules hide: compliance drift of the latest snapshots and history drift of their
    last change (``driftguard baseline ignored``)."""
    in_force = load_baselines(repo_path, rev)
    patterns = in_force.ignore
    hidden_compliance: list[DriftItem] = []
    hidden_history: list[DriftItem] = []
    with _operational():
        repo = StateRepo.open(repo_path)
        commit = repo.resolve(rev or "HEAD")
        for state, snap in _snapshots_at(repo, commit):
            unfiltered = baseline.BaselineSet(
                baselines=in_force.baselines, selected=in_force.selected, expectations=in_force.expectations
            )
            hidden_compliance += [
                i for i in baseline.compliance(snap, unfiltered) if baseline.ignored(patterns, i.kind, i.path)
            ]
            previous = repo.previous_commit(state, snap.manifest.vcenter.name)
            if previous is not None:
                old, new = align_host_evidence(repo.load(previous, snap.manifest.vcenter.name), snap)
                items = diff_snapshots(old, new, ignore=ignore_patterns(repo_path))
                hidden_history += [i for i in items if baseline.ignored(patterns, i.kind, i.path)]
    return IgnorePreview(patterns=patterns, compliance=hidden_compliance, history=hidden_history)


def init(directory: Path, *, force: bool = False) -> list[str]:
    """Scaffold a state repo in ``directory`` (``git init`` when it is not one yet): a starter baseline extending
    seed-security, the nightly and pull-request workflows, and a pre-commit configuration. Existing files are
    kept unless ``force``; returns the paths written."""
    files = baseline_scaffold.scaffold(__version__)
    existing = [path for path in files if (directory / path).exists()]
    if existing and not force:
        raise UsageError(f"{directory}: {', '.join(existing)} already exist (--force overwrites)")
    with _operational():
        StateRepo.open(directory, create=True).close()
    for path, text in files.items():
        target = directory / path
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_text(text, encoding="utf-8")
    return list(files)


def baseline_sources(repo_path: Path | None = None) -> dict[str, str]:
    """Name → display path of every baseline available: the state repo's working tree, then the shipped ones."""
    out = {name: f"{SHIPPED_PREFIX}{name}.yaml" for name in baseline.shipped_sources()}
    if repo_path is not None:
        for path in _worktree_baselines(repo_path):
            out[name_of(path)] = path
    return dict(sorted(out.items()))


def shipped_baselines() -> dict[str, str]:
    """Name → YAML text of the baselines shipped with driftguard (``seed-security``)."""
    return baseline.shipped_sources()


# --- added for the CLI (issue 10: no logic the api could answer in the CLI) --------------------------------------


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
