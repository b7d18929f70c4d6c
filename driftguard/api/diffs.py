"""History drift between stored snapshots or against vCenter now (``diff``), and the snapshot log."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

from driftguard.api._common import Connection, Progress, UsageError, opened, session, vcenter_name
from driftguard.api.baselines import in_force_at
from driftguard.api.drift import (
    DriftOptions,
    Live,
    Side,
    collect_current,
    drift_between,
    live_source,
    pick_vcenter,
    stored_drift,
)
from driftguard.api.filters import Selector, commit_at, refs_within, rule_sources, suppressed
from driftguard.api.history import each, hidden, refuse_reversed, when
from driftguard.api.ignore import ignore_patterns
from driftguard.models import DiffReport, LogEntry, Summary
from driftguard.store import StateRepo


def diff(
    repo_path: Path,
    old_rev: str | None = None,
    new_rev: str | None = None,
    *,
    vcenter: str | None = None,
    ignore: Sequence[str] = (),
    since: str | None = None,
    until: str | None = None,
    select: Selector | None = None,
) -> DiffReport:
    """History drift between two stored snapshots (default: the previous and the latest), attributed from the
    events stored with the commits in between. ``since``/``until`` (times, ages or revisions) pick the snapshots
    in force then when OLD/NEW are not given; ``select`` keeps part of the items. A reversed range (NEW older
    than OLD) is a usage error."""
    patterns = ignore_patterns(repo_path, ignore)
    with opened(repo_path) as repo:
        name = pick_vcenter(repo, vcenter)
        old_commit, new_commit = _range(repo, name, (old_rev, new_rev), (since, until))
        drift = stored_drift(repo, name, old_commit, new_commit, patterns)
        hid = hidden(repo_path, repo, new_commit, drift, ignore)
        report = drift.report(old_commit, new_commit).model_copy(update={"suppressed": hid})
    return select.report(report) if select is not None else report


def _range(
    repo: StateRepo, name: str, revs: tuple[str | None, str | None], times: tuple[str | None, ...]
) -> tuple[str, str]:
    """(old, new) commits of a stored diff from its revisions and ``--since``/``--until``."""
    old_rev, new_rev = revs
    begin, end = when(repo, times[0]), when(repo, times[1], end=True, option="--until")
    refs = repo.history(name) if begin is not None or end is not None else repo.history(name, limit=2)
    if new_rev is None and old_rev is None and begin is None and end is None and len(refs) < 2:
        raise UsageError(f"only {len(refs)} snapshot of {name} so far: nothing to compare yet")
    if new_rev:
        new_commit = repo.resolve(new_rev)
    elif end is not None:
        found = commit_at(refs, end)
        if found is None:
            raise UsageError(f"no snapshot of {name} at or before --until {times[1]}")
        new_commit = found
    else:
        new_commit = refs[0].commit
    if old_rev:
        old_commit: str | None = repo.resolve(old_rev)
    elif begin is not None:
        old_commit = commit_at(refs, begin) or (refs[-1].commit if refs else None)
    else:
        old_commit = repo.previous_commit(new_commit, name)
    if old_commit is None:
        raise UsageError(f"{new_commit[:10]} is the first snapshot of {name}: nothing before it to compare")
    refuse_reversed(repo, old_commit, new_commit)
    return old_commit, new_commit


def diff_each(
    repo_path: Path,
    old_rev: str | None = None,
    new_rev: str | None = None,
    *,
    vcenter: str | None = None,
    ignore: Sequence[str] = (),
    since: str | None = None,
    until: str | None = None,
    select: Selector | None = None,
) -> list[DiffReport]:
    """``diff --each``: one report per consecutive pair of snapshots in the range, oldest first, each filtered
    by ``select``; only the pairs with a selected item when a selector is given."""
    reports = each(
        repo_path, vcenter=vcenter, since=since, until=until, old_rev=old_rev, new_rev=new_rev, ignore=ignore
    )
    if select is None or select.empty:
        return list(reports)
    return [kept for kept in (select.report(report) for report in reports) if kept.items]


def diff_live(
    conn: Connection,
    repo_path: Path,
    old_rev: str | None = None,
    *,
    ignore: Sequence[str] = (),
    progress: Progress | None = None,
    vcenter: str | None = None,
) -> DiffReport:
    """Drift between a stored snapshot (default: the latest) and vCenter right now, attributed live.
    ``vcenter`` is the vCenter's name in the state repo (default: from its URL)."""
    patterns = ignore_patterns(repo_path, ignore)
    live = Live(conn, vcenter or vcenter_name(conn.url), progress)
    with opened(repo_path) as repo:
        old_commit = repo.resolve(old_rev) if old_rev else repo.latest_commit(live.name)
        if old_commit is None:
            raise UsageError(f"no snapshot of {live.name} in {repo_path} yet: run `driftguard snapshot` first")
        old = Side(old_commit, repo.load(old_commit, live.name))
        options = DriftOptions(ignore=patterns, in_force=in_force_at(repo, "HEAD"))
        with session(conn) as si:
            drift = drift_between(repo, old, collect_current(si, live, old), live_source(si), options)
        hid = suppressed(drift.old, drift.new, rule_sources(repo_path, ignore, options.in_force.baselines))
        return drift.report(old_commit, "live").model_copy(update={"suppressed": hid})


def log(
    repo_path: Path,
    *,
    vcenter: str | None = None,
    limit: int = 50,
    since: str | None = None,
    until: str | None = None,
    select: Selector | None = None,
) -> list[LogEntry]:
    """Snapshot commits, newest first, with their drift summaries; ``since``/``until`` bound the commit times,
    ``select`` keeps the commits whose drift has a selected item (that drift is computed, commit by commit)."""
    with opened(repo_path) as repo:
        begin, end = when(repo, since), when(repo, until, end=True, option="--until")
        bounded = begin is not None or end is not None or (select is not None and not select.empty)
        refs = refs_within(repo.history(vcenter, limit=None if bounded else limit), begin, end)
    if select is not None and not select.empty:
        wanted = {r.to.ref for r in diff_each(repo_path, vcenter=vcenter, since=since, until=until, select=select)}
        refs = [ref for ref in refs if ref.commit in wanted]
    return [
        LogEntry(
            commit=ref.commit,
            vcenter=ref.vcenter,
            committed_at=ref.committed_at,
            collected_at=ref.collected_at,
            subject=ref.subject,
            summary=Summary.model_validate(ref.summary) if isinstance(ref.summary, dict) else None,
        )
        for ref in refs[:limit]
    ]


def object_names(repo_path: Path, report: DiffReport) -> dict[str, str]:
    """moref → name of the objects of the report's vCenter at its stored ends (older first, so the newer name
    wins), read from the state repo's file names, so a report can show the names of objects it only refers to (the
    cluster a VM moved to). Empty for a report without items."""
    if not report.items:
        return {}
    ends = [end for end in (report.from_.ref, report.to.ref) if end and end != "live"]
    return names_at(repo_path, report.items[0].vcenter, ends)


def names_at(repo_path: Path, vcenter: str, revs: Sequence[str]) -> dict[str, str]:
    """moref → name of ``vcenter``'s objects at each of ``revs`` (later revisions win): one ``git ls-tree`` each,
    no blob read; a revision where the vCenter has no snapshot adds nothing."""
    names: dict[str, str] = {}
    with opened(repo_path) as repo:
        for rev in revs:
            if vcenter in repo.vcenters(rev):
                names.update(repo.object_names(rev, vcenter))
    return names
