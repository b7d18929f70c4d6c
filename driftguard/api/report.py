"""``driftguard report --html DIR``: the static HTML site of one vCenter's history (docs/report.md)."""

from __future__ import annotations

from datetime import UTC, date, datetime
from pathlib import Path

from driftguard.api._common import OperationalError, UsageError, opened
from driftguard.api.checks import check, rule_catalogue
from driftguard.api.diffs import diff
from driftguard.api.drift import pick_vcenter
from driftguard.models import DiffReport, LogEntry, Manifest, Summary
from driftguard.models.times import now, parse_time
from driftguard.report import html
from driftguard.store import manifest_path


def _bound(text: str | None, flag: str, *, end: bool) -> datetime | None:
    """``--since``/``--until``: an ISO date (the whole day) or time."""
    if text is None:
        return None
    try:
        if len(text.strip()) == 10:
            day = date.fromisoformat(text.strip())
            return (
                datetime(day.year, day.month, day.day, 23, 59, 59, 999999, UTC)
                if end
                else datetime(day.year, day.month, day.day, tzinfo=UTC)
            )
        return parse_time(text.strip())
    except ValueError:
        raise UsageError(f"{flag} {text!r} is not an ISO date or time (e.g. 2026-11-30 or 2026-11-30T08:00Z)") from None


def _snapshots(repo_path: Path, name: str, since: str | None, until: str | None) -> list[tuple[str | None, LogEntry]]:
    """The snapshots in the range, oldest first, each with the commit of the snapshot before it (None: the first)."""
    low, high = _bound(since, "--since", end=False), _bound(until, "--until", end=True)
    with opened(repo_path) as repo:
        refs = list(reversed(repo.history(name)))
    entries = [
        (
            previous.commit if previous else None,
            LogEntry(
                commit=ref.commit,
                vcenter=ref.vcenter,
                committed_at=ref.committed_at,
                collected_at=ref.collected_at,
                subject=ref.subject,
                summary=Summary.model_validate(ref.summary) if isinstance(ref.summary, dict) else None,
            ),
        )
        for previous, ref in zip([None, *refs[:-1]], refs, strict=True)
    ]
    return [
        (prev, e)
        for prev, e in entries
        if (low is None or (e.collected_at or e.committed_at) >= low)
        and (high is None or (e.collected_at or e.committed_at) <= high)
    ]


def html_report(
    repo_path: Path,
    out: Path,
    *,
    vcenter: str | None = None,
    since: str | None = None,
    until: str | None = None,
) -> html.SiteStats:
    """Write the HTML report of ``vcenter``'s snapshots in ``[since, until]`` into ``out`` (replacing a previous
    report there, never anything else): every change between consecutive snapshots, attributed, and the findings
    of the latest snapshot of the range."""
    with opened(repo_path) as repo:
        name = pick_vcenter(repo, vcenter)
    snapshots = _snapshots(repo_path, name, since, until)
    steps: list[DiffReport] = [diff(repo_path, prev, s.commit, vcenter=name) for prev, s in snapshots if prev]
    latest = snapshots[-1][1].commit if snapshots else None
    report = check(repo_path, latest, vcenter=name) if latest else None
    manifest = None
    if latest:
        with opened(repo_path) as repo:
            raw = repo.read_file(latest, str(manifest_path(name)))
        manifest = Manifest.model_validate_json(raw) if raw else None
    site = html.SiteInput(
        vcenter=name,
        generated_at=now(),
        snapshots=[s for _, s in snapshots],
        steps=steps,
        check=report,
        rules=rule_catalogue(),
        manifest=manifest,
        since=since,
        until=until,
    )
    try:
        return html.write_site(site, out)
    except html.SiteDirectoryError as exc:
        raise UsageError(str(exc)) from None
    except OSError as exc:
        raise OperationalError(f"cannot write the report to {out}: {exc.strerror or exc}") from None
