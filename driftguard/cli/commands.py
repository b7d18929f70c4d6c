"""``driftguard snapshot``, ``diff`` and ``log``."""

from __future__ import annotations

from pathlib import Path

import typer
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn
from rich.text import Text

from driftguard import api
from driftguard.cli.evidence import (
    HOST_FILES,
    HOST_FILES_HOSTS,
    HOST_FILES_STRICT,
    SSH_PARALLELISM,
    SSH_TIMEOUT,
    host_files_options,
    report_unreadable,
)
from driftguard.cli.exits import EXIT_DRIFT, EXIT_OK
from driftguard.cli.options import (
    BY,
    CA_FILE,
    CONFIG,
    DEADLINE,
    IGNORE,
    INSECURE,
    KIND,
    OBJECT,
    OUTPUT,
    PAGE_SIZE,
    PATH_GLOB,
    REPO,
    SEVERITY,
    SINCE,
    STATUS,
    TIMEOUT,
    UNTIL,
    USER,
    VCENTER_NAME,
    VCENTER_URL,
    connection,
    format_option,
    selector,
)
from driftguard.cli.output import emit
from driftguard.cli.render import REPORT_FORMATS, Format, stderr_console
from driftguard.models import DiffReport
from driftguard.report import diff_json, diff_markdown, diff_text, log_json, log_markdown, log_text
from driftguard.report.escape import visible
from driftguard.report.review import diff_jsonl

FORMAT = format_option()
DIFF_FORMAT = format_option((*REPORT_FORMATS, Format.jsonl), note=" (jsonl: one drift item per line)")
FORCE = typer.Option(
    False, "--force", help="Overwrite uncommitted edits of the snapshot files this run rewrites (they are lost)."
)


class _Bar:
    """Rich progress bar on stderr for long collections; silent when stderr is not a terminal."""

    def __init__(self) -> None:
        console = stderr_console()
        self.progress = Progress(
            TextColumn("{task.description}"),
            BarColumn(),
            MofNCompleteColumn(),
            TimeElapsedColumn(),
            console=console,
            transient=True,
            disable=not console.is_terminal,
        )
        self.tasks: dict[str, int] = {}

    def __call__(self, stage: str, done: int, total: int | None) -> None:
        if stage not in self.tasks:
            self.tasks[stage] = self.progress.add_task(f"collecting {stage}", total=total)
        self.progress.update(self.tasks[stage], completed=done, total=total)  # type: ignore[arg-type]


def _render_diff(report: DiffReport, fmt: Format, output: Path | None = None) -> None:
    emit(
        fmt,
        output,
        text=lambda out: diff_text(report, out),
        json=lambda: diff_json(report),
        markdown=lambda: diff_markdown(report),
        jsonl=lambda: diff_jsonl([report]),
    )


def _render_each(reports: list[DiffReport], fmt: Format, output: Path | None) -> None:
    """``diff --each``: the reports one after the other (text, Markdown), a JSON array, or one item per line."""

    def draw(out: Console) -> None:
        for report in reports:
            diff_text(report, out)
        if not reports:
            out.print(Text("no drift in the range"))

    emit(
        fmt,
        output,
        text=draw,
        json=lambda: "[\n" + ",\n".join(diff_json(r).rstrip("\n") for r in reports) + "\n]\n",
        markdown=lambda: "\n".join(diff_markdown(r) for r in reports) or "No drift in the range.\n",
        jsonl=lambda: diff_jsonl(reports),
    )


def snapshot(
    repo: Path = REPO,
    vcenter: str | None = VCENTER_URL,
    user: str | None = USER,
    insecure: bool = INSECURE,
    ca_file: str | None = CA_FILE,
    page_size: int | None = PAGE_SIZE,
    deadline: float | None = DEADLINE,
    timeout: float | None = TIMEOUT,
    ignore: list[str] = IGNORE,
    fmt: Format = FORMAT,
    host_files: str | None = HOST_FILES,
    host_files_hosts: list[str] = HOST_FILES_HOSTS,
    host_files_strict: bool = HOST_FILES_STRICT,
    config: Path | None = CONFIG,
    ssh_parallelism: int | None = SSH_PARALLELISM,
    ssh_timeout: float | None = SSH_TIMEOUT,
    force: bool = FORCE,
) -> int:
    """Collect one vCenter's configuration and commit it to the state repo (no commit when nothing changed)."""
    files = host_files_options(host_files, host_files_hosts, host_files_strict, config, ssh_parallelism, ssh_timeout)
    conn = connection(
        repo, vcenter, user, insecure=insecure, ca_file=ca_file, page_size=page_size, deadline=deadline, timeout=timeout
    )
    bar = _Bar()
    with bar.progress:
        result = api.snapshot(conn, repo, ignore=ignore, progress=bar, host_files=files, force=force)
    if files is not None:
        report_unreadable(result)
    err = stderr_console()
    manifest = result.snapshot.manifest
    counts = ", ".join(f"{n} {k}s" for k, n in manifest.counts.items() if n)
    err.print(f"collected {counts} from {conn.host} in {manifest.round_trips} round trips", markup=False)
    if result.commit is None:
        err.print("no change since the last snapshot: nothing committed (verification time recorded)", markup=False)
    else:
        err.print(f"committed {result.commit[:10]}: {visible(result.message)}", markup=False)
    if result.report is not None and result.report.items:
        _render_diff(result.report, fmt)
    return EXIT_OK


def diff(
    old: str | None = typer.Argument(None, help="Older snapshot (a commit); default: the one before NEW."),
    new: str | None = typer.Argument(None, help="Newer snapshot (a commit); default: the latest."),
    repo: Path = REPO,
    live: bool = typer.Option(False, "--live", help="Compare OLD (default: latest) with vCenter right now."),
    vcenter: str | None = VCENTER_URL,
    user: str | None = USER,
    insecure: bool = INSECURE,
    ca_file: str | None = CA_FILE,
    page_size: int | None = PAGE_SIZE,
    deadline: float | None = DEADLINE,
    timeout: float | None = TIMEOUT,
    vcenter_name: str | None = VCENTER_NAME,
    ignore: list[str] = IGNORE,
    fmt: Format = DIFF_FORMAT,
    exit_code: bool = typer.Option(False, "--exit-code", help="Exit 1 when there is drift."),
    each: bool = typer.Option(False, "--each", help="Every change in the range, commit by commit (not the net)."),
    objects: list[str] = OBJECT,
    kinds: list[str] = KIND,
    paths: list[str] = PATH_GLOB,
    by: list[str] = BY,
    status: list[str] = STATUS,
    severity: str | None = SEVERITY,
    since: str | None = SINCE,
    until: str | None = UNTIL,
    output: Path | None = OUTPUT,
) -> int:
    """Show what changed between two snapshots, or between the latest snapshot and live vCenter, and who did it."""
    select = selector(objects, kinds, paths, by, status, severity)
    if each:
        if live:
            raise typer.BadParameter("cannot be combined with --live", param_hint="--each")
        reports = api.diff_each(
            repo, old, new, vcenter=vcenter_name, ignore=ignore, since=since, until=until, select=select
        )
        _render_each(reports, fmt, output)
        return EXIT_DRIFT if exit_code and any(r.items for r in reports) else EXIT_OK
    if live:
        if new is not None:
            raise typer.BadParameter("takes at most one snapshot (OLD) with --live", param_hint="NEW")
        if since is not None or until is not None:
            raise typer.BadParameter("cannot be combined with --live", param_hint="--since/--until")
        conn = connection(
            repo,
            vcenter,
            user,
            insecure=insecure,
            ca_file=ca_file,
            page_size=page_size,
            deadline=deadline,
            timeout=timeout,
        )
        bar = _Bar()
        with bar.progress:
            report = select.report(api.diff_live(conn, repo, old, ignore=ignore, progress=bar))
    else:
        report = api.diff(repo, old, new, vcenter=vcenter_name, ignore=ignore, since=since, until=until, select=select)
    _render_diff(report, fmt, output)
    return EXIT_DRIFT if exit_code and report.items else EXIT_OK


def log(
    repo: Path = REPO,
    vcenter_name: str | None = VCENTER_NAME,
    limit: int = typer.Option(50, "--limit", "-n", min=1, help="How many snapshots, newest first."),
    fmt: Format = FORMAT,
    objects: list[str] = OBJECT,
    kinds: list[str] = KIND,
    paths: list[str] = PATH_GLOB,
    by: list[str] = BY,
    status: list[str] = STATUS,
    severity: str | None = SEVERITY,
    since: str | None = SINCE,
    until: str | None = UNTIL,
    output: Path | None = OUTPUT,
) -> int:
    """List snapshots with their drift summaries, newest first."""
    select = selector(objects, kinds, paths, by, status, severity)
    entries = api.log(repo, vcenter=vcenter_name, limit=limit, since=since, until=until, select=select)
    emit(
        fmt,
        output,
        text=lambda out: log_text(entries, out),
        json=lambda: log_json(entries),
        markdown=lambda: log_markdown(entries),
    )
    return EXIT_OK
