"""Baselines: loading and validation, init, the shipped ones, and the approval of drift by the baselines in force
(what ``plan``, ``pin`` and ``baseline ignored`` do with them over snapshots is in :mod:`.plans`)."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Any

from driftguard import __version__, baseline, policy
from driftguard.api._common import OperationalError, UsageError, opened
from driftguard.baseline import scaffold as baseline_scaffold
from driftguard.baseline.approval import InForce
from driftguard.baseline.loader import SHIPPED_PREFIX, name_of
from driftguard.baseline.locate import locate_rule_issues
from driftguard.baseline.yamlio import read_head
from driftguard.models.plan import BaselineIssue
from driftguard.store import StateRepo

# --- baselines: approved configuration in the state repo (docs/baselines.md) -------------------------------------


class InvalidBaselineError(UsageError):
    """Baselines that do not validate (exit 2); ``issues`` name ``file:line:column`` each."""

    def __init__(self, issues: Sequence[BaselineIssue]) -> None:
        self.issues = list(issues)
        more = f" (and {len(self.issues) - 1} more: driftguard validate)" if len(self.issues) > 1 else ""
        super().__init__(f"invalid baseline: {self.issues[0]}{more}" if self.issues else "invalid baseline")


def _decode(files: dict[str, bytes]) -> dict[str, bytes]:
    # decoding (UTF-8, with line:column of a bad byte) and the size limit are the baseline loader's (yamlio)
    return files


def worktree_baselines(repo_path: Path) -> dict[str, bytes]:
    """Repo path → text of the baselines in the state repo's working tree."""
    directory = repo_path / baseline.BASELINE_DIR
    if not directory.is_dir():
        return {}
    files = {f"{baseline.BASELINE_DIR}/{p.name}": read_head(p) for p in sorted(directory.glob("*.yaml"))}
    return _decode(files)


def committed_baselines(repo: StateRepo, rev: str) -> dict[str, bytes]:
    """Repo path → text of the baselines committed at ``rev``."""
    files = repo.read_dir(rev, baseline.BASELINE_DIR)
    return _decode({path: data for path, data in files.items() if baseline.is_baseline_path(path)})


def parse_baselines(files: dict[str, bytes], names: Sequence[str] | None = None) -> baseline.BaselineSet:
    """The baselines of ``files`` (all, or ``names``); invalid ones raise :class:`InvalidBaselineError`."""
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
        return parse_baselines(worktree_baselines(repo_path), wanted)
    with opened(repo_path) as repo:
        return parse_baselines(committed_baselines(repo, repo.resolve(rev)), wanted)


NO_BASELINES = InForce()
"""A state repo without baselines (or before its first commit): approves nothing, disapproves nothing."""


def in_force_at(repo: StateRepo | None, rev: str) -> InForce:
    """The baselines in force at ``rev`` (the tree of that commit) and the commits that approved them."""
    if repo is None or (rev == "HEAD" and repo.head() is None):
        return NO_BASELINES
    commit = repo.resolve(rev)
    loaded = parse_baselines(committed_baselines(repo, commit))
    commits = {
        name: (None if parsed.shipped else repo.last_change(commit, parsed.file))
        for name, parsed in loaded.baselines.items()
    }
    return InForce(loaded, commits)


def planned_rules(
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
        raise InvalidBaselineError(locate_rule_issues(in_force, located)) from exc
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
        files: dict[str, bytes] = {}
        try:
            for sibling in sorted(directory.glob("*.yaml")):
                files[str(sibling)] = read_head(sibling)
            for path in chosen:
                files[str(path)] = read_head(path)
        except OSError as exc:
            issues.append(BaselineIssue(file=str(getattr(exc, "filename", None) or directory), message=str(exc)))
            continue
        names = [name_of(str(p)) for p in chosen]
        try:
            loaded = baseline.load(files, names=names)
        except baseline.BaselineError as exc:
            issues += exc.issues
            continue
        try:
            planned_rules(loaded, None)
        except InvalidBaselineError as exc:
            issues += exc.issues
        except UsageError as exc:
            issues.append(BaselineIssue(file=str(directory), message=str(exc)))
    return issues


def init(
    directory: Path,
    *,
    force: bool = False,
    target: str = "github",
    vcenters: list[baseline_scaffold.Scheduled] | None = None,
    remote: str | None = None,
    executable: str = "/opt/driftguard/bin/driftguard",
) -> list[str]:
    """Scaffold a state repo in ``directory`` (``git init`` when it is not one yet) for ``target`` (github,
    kubernetes, systemd: :mod:`driftguard.baseline.scaffold`), plus a starter baseline extending seed-security and a
    pre-commit configuration when they are missing. The target's existing files are kept unless ``force``
    (a usage error otherwise); returns the paths written."""
    try:
        files = baseline_scaffold.scaffold(__version__, target, vcenters, remote=remote, executable=executable)
    except baseline_scaffold.ScaffoldError as exc:
        raise UsageError(str(exc)) from None
    existing = [path for path in files if (directory / path).exists()]
    if existing and not force:
        raise UsageError(f"{directory}: {', '.join(existing)} already exist (--force overwrites)")
    files |= {
        path: text for path, text in baseline_scaffold.common(__version__).items() if not (directory / path).exists()
    }
    # `git init` when it is not a repository yet (an absolute path: the store runs that git inside the directory)
    with opened(directory.absolute(), create=True) as repo:
        for path, text in files.items():
            target_path = repo.path / path
            target_path.parent.mkdir(parents=True, exist_ok=True)
            target_path.write_text(text, encoding="utf-8")
    return sorted(files)


def baseline_sources(repo_path: Path | None = None) -> dict[str, str]:
    """Name → display path of every baseline available: the state repo's working tree, then the shipped ones."""
    out = {name: f"{SHIPPED_PREFIX}{name}.yaml" for name in baseline.shipped_sources()}
    if repo_path is not None:
        for path in worktree_baselines(repo_path):
            out[name_of(path)] = path
    return dict(sorted(out.items()))


def shipped_baselines() -> dict[str, str]:
    """Name → YAML text of the baselines shipped with driftguard (``seed-security``)."""
    return baseline.shipped_sources()


# --- added for the CLI (issue 10: no logic the api could answer in the CLI) --------------------------------------
