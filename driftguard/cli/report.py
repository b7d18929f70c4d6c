"""``driftguard report --html DIR``: the static HTML report of the state repo (docs/report.md)."""

from __future__ import annotations

from pathlib import Path

import typer

from driftguard import api
from driftguard.cli.exits import EXIT_OK
from driftguard.cli.options import REPO, SINCE, UNTIL, VCENTER_NAME

HTML = typer.Option(
    ..., "--html", help="Directory to write the static site into (created, or a previous report there replaced)."
)


def _size(n: int) -> str:
    for unit in ("B", "KiB", "MiB"):
        if n < 1024 or unit == "MiB":
            return f"{n} {unit}" if unit == "B" else f"{n:.1f} {unit}"
        n /= 1024  # type: ignore[assignment]
    raise AssertionError("unreachable")


def report(
    repo: Path = REPO,
    html: Path = HTML,
    since: str | None = SINCE,
    until: str | None = UNTIL,
    vcenter_name: str | None = VCENTER_NAME,
) -> int:
    """Write a static HTML report (overview, timeline, object pages, findings) that opens from disk, offline."""
    stats = api.html_report(repo, html, vcenter=vcenter_name, since=since, until=until)
    typer.echo(
        f"wrote {stats.path}/index.html: {stats.pages} pages ({stats.objects} object page"
        f"{'' if stats.objects == 1 else 's'}), {stats.files} files, {_size(stats.bytes)}"
    )
    return EXIT_OK
