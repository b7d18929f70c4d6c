"""``driftguard report --html DIR``: the static HTML site of one vCenter's history (docs/report.md)."""

from __future__ import annotations

from pathlib import Path

from driftguard.api._common import OperationalError, UsageError, opened
from driftguard.api.checks import check, rule_catalogue
from driftguard.api.diffs import log
from driftguard.api.drift import pick_vcenter
from driftguard.api.history import each
from driftguard.models import Manifest
from driftguard.models.times import now
from driftguard.report import html
from driftguard.store import manifest_path

EVERY_SNAPSHOT = 1_000_000_000
"""``log``'s limit for "all of them": a year of hourly snapshots is under 10,000."""


def html_report(
    repo_path: Path,
    out: Path,
    *,
    vcenter: str | None = None,
    since: str | None = None,
    until: str | None = None,
) -> html.SiteStats:
    """Write the HTML report of ``vcenter``'s snapshots committed in ``[since, until]`` (times, ages or revisions,
    as for ``diff --each``) into ``out``, replacing a previous report there and never anything else: every
    change between consecutive snapshots, attributed (:func:`~driftguard.api.history.each`), and the findings of
    the latest snapshot of the range."""
    with opened(repo_path) as repo:
        name = pick_vcenter(repo, vcenter)
    snapshots = list(reversed(log(repo_path, vcenter=name, limit=EVERY_SNAPSHOT, since=since, until=until)))
    steps = list(each(repo_path, vcenter=name, since=since, until=until))
    latest = snapshots[-1].commit if snapshots else None
    manifest = None
    if latest:
        with opened(repo_path) as repo:
            raw = repo.read_file(latest, str(manifest_path(name)))
        manifest = Manifest.model_validate_json(raw) if raw else None
    site = html.SiteInput(
        vcenter=name,
        generated_at=now(),
        snapshots=snapshots,
        steps=steps,
        check=check(repo_path, latest, vcenter=name) if latest else None,
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
