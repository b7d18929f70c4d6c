"""``driftguard snapshot``, ``diff`` and ``log``."""

from __future__ import annotations

from pathlib import Path

import typer
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn
from rich.text import Text

from driftguard import api
from driftguard.cli import fleet
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
    TLS_FINGERPRINT,
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
from driftguard.report.commit import object_counts
from driftguard.report.escape import visible
from driftguard.report.review import diff_jsonl
from driftguard.report.stat import diff_stat_markdown, diff_stat_text

FORMAT = format_option()
DIFF_FORMAT = format_option((*REPORT_FORMATS, Format.jsonl), note=" (jsonl: one drift item per line)")
FORCE = typer.Option(
    False, "--force", help="Overwrite uncommitted edits of the snapshot files this run rewrites (they are lost)."
)
ALL = typer.Option(
    False, "--all", help="Snapshot every vCenter listed in driftguard.yaml, concurrently (docs/fleet.md)."
)
JOBS = typer.Option(
    api.DEFAULT_JOBS, "--jobs", "-j", min=1, max=64, help="With --all: how many vCenters to collect at once."
)
WAIT = typer.Option(
    0.0,
    "--wait",
    envvar="DRIFTGUARD_WAIT",
    min=0.0,
    metavar="SECONDS",
    help="Wait up to SECONDS for another driftguard writing to the state repo (default: fail at once, exit 3).",
)
PUSH = typer.Option(
    False, "--push", help="Push the commit to the remote afterwards, rebasing onto other writers' pushes (retried)."
)
REMOTE = typer.Option("origin", "--remote", help="The git remote --push pushes to.")


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


WIDE = typer.Option(False, "--wide", help="Show values, text diffs and object lists whole (no shortening).")
STAT = typer.Option(False, "--stat", help="Only counts of changes by kind, category and user (text or markdown).")


def _render_diff(
    report: DiffReport,
    fmt: Format,
    output: Path | None = None,
    *,
    repo: Path | None = None,
    wide: bool = False,
    stat: bool = False,
) -> None:
    """One diff report; ``repo`` names the objects the report only refers to by moref (a VM's new cluster)."""
    names = api.object_names(repo, report) if repo is not None and fmt in (Format.text, Format.markdown) else None
    if stat:
        if fmt not in (Format.text, Format.markdown):
            raise typer.BadParameter("shows counts as text or markdown; the JSON has every item", param_hint="--stat")
        emit(fmt, output, text=lambda out: diff_stat_text(report, out), markdown=lambda: diff_stat_markdown(report))
        return
    emit(
        fmt,
        output,
        text=lambda out: diff_text(report, out, names=names, wide=wide),
        json=lambda: diff_json(report),
        markdown=lambda: diff_markdown(report, names=names),
        jsonl=lambda: diff_jsonl([report]),
    )


def _render_each(reports: list[DiffReport], fmt: Format, output: Path | None, *, wide: bool = False) -> None:
    """``diff --each``: the reports one after the other (text, Markdown), a JSON array, or one item per line."""

    def draw(out: Console) -> None:
        for report in reports:
            diff_text(report, out, wide=wide)
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
    tls_fingerprint: str | None = TLS_FINGERPRINT,
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
    all_vcenters: bool = ALL,
    jobs: int = JOBS,
    wait: float = WAIT,
    push: bool = PUSH,
    remote: str = REMOTE,
) -> int:
    """Collect one vCenter's configuration (or with --all every vCenter of driftguard.yaml) and commit it to the
    state repo (no commit when nothing changed)."""
    if all_vcenters:
        if vcenter is not None or host_files is not None or force:
            raise typer.BadParameter("cannot be combined with --vcenter, --host-files or --force", param_hint="--all")
        overrides = {
            "user": user,
            "insecure": True if insecure else None,
            "ca_file": ca_file,
            "page_size": page_size,
            "deadline": deadline,
            "timeout": timeout,
        }
        with api.waiting_for_lock(wait):
            return fleet.snapshot_all(
                repo, jobs=jobs, overrides=overrides, ignore=ignore, push_to=remote if push else None, fmt=fmt
            )
    files = host_files_options(host_files, host_files_hosts, host_files_strict, config, ssh_parallelism, ssh_timeout)
    conn = connection(
        repo,
        vcenter,
        user,
        insecure=insecure,
        ca_file=ca_file,
        page_size=page_size,
        deadline=deadline,
        timeout=timeout,
        tls_fingerprint=tls_fingerprint,
    )
    bar = _Bar()
    with bar.progress, api.waiting_for_lock(wait):
        result = api.snapshot(conn, repo, ignore=ignore, progress=bar, host_files=files, force=force)
        pushed = api.push(repo, remote=remote) if push else None
    if files is not None:
        report_unreadable(result)
    err = stderr_console()
    manifest = result.snapshot.manifest
    counts = object_counts(manifest.counts)
    err.print(f"collected {counts} from {conn.host} in {manifest.round_trips} round trips", markup=False)
    if result.reused:
        err.print(f"{result.reused} VMs answered as at the last snapshot: not decoded again", markup=False)
    if result.commit is None:
        err.print("no change since the last snapshot: nothing committed (verification time recorded)", markup=False)
    else:
        err.print(f"committed {result.commit[:10]}: {visible(result.message)}", markup=False)
    if pushed is not None:
        rebased = ", rebased onto commits pushed meanwhile" if pushed.rebased else ""
        err.print(
            f"pushed {pushed.head[:10]} to {visible(pushed.remote)}/{visible(pushed.branch)} "
            f"(attempt {pushed.attempts}{rebased})",
            markup=False,
        )
    if result.report is not None and result.report.items:
        _render_diff(result.report, fmt, repo=repo)
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
    tls_fingerprint: str | None = TLS_FINGERPRINT,
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
    wide: bool = WIDE,
    stat: bool = STAT,
) -> int:
    """Show what changed between two snapshots, or between the latest snapshot and live vCenter, and who did it."""
    select = selector(objects, kinds, paths, by, status, severity)
    if each:
        if live:
            raise typer.BadParameter("cannot be combined with --live", param_hint="--each")
        reports = api.diff_each(
            repo, old, new, vcenter=vcenter_name, ignore=ignore, since=since, until=until, select=select
        )
        _render_each(reports, fmt, output, wide=wide)
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
            tls_fingerprint=tls_fingerprint,
            page_size=page_size,
            deadline=deadline,
            timeout=timeout,
        )
        bar = _Bar()
        with bar.progress:
            report = select.report(api.diff_live(conn, repo, old, ignore=ignore, progress=bar))
    else:
        report = api.diff(repo, old, new, vcenter=vcenter_name, ignore=ignore, since=since, until=until, select=select)
    _render_diff(report, fmt, output, repo=repo, wide=wide, stat=stat)
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
