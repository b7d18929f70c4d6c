"""``driftguard snapshot``, ``diff`` and ``log``."""

from __future__ import annotations

from pathlib import Path

import typer
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

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
    CA_FILE,
    CONFIG,
    DEADLINE,
    IGNORE,
    INSECURE,
    PAGE_SIZE,
    REPO,
    TIMEOUT,
    USER,
    VCENTER_NAME,
    VCENTER_URL,
    connection,
    format_option,
)
from driftguard.cli.render import Format, render, stderr_console
from driftguard.models import DiffReport
from driftguard.report import diff_json, diff_markdown, diff_text, log_json, log_markdown, log_text
from driftguard.report.escape import visible

FORMAT = format_option()
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


def _render_diff(report: DiffReport, fmt: Format) -> None:
    render(
        fmt,
        text=lambda out: diff_text(report, out),
        json=lambda: diff_json(report),
        markdown=lambda: diff_markdown(report),
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
        repo, vcenter, user, insecure=insecure, ca_file=ca_file, page_size=page_size, deadline=deadline, timeout=timeout
    )
    bar = _Bar()
    with bar.progress, api.waiting_for_lock(wait):
        result = api.snapshot(conn, repo, ignore=ignore, progress=bar, host_files=files, force=force)
        pushed = api.push(repo, remote=remote) if push else None
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
    if pushed is not None:
        rebased = ", rebased onto commits pushed meanwhile" if pushed.rebased else ""
        err.print(
            f"pushed {pushed.head[:10]} to {visible(pushed.remote)}/{visible(pushed.branch)} "
            f"(attempt {pushed.attempts}{rebased})",
            markup=False,
        )
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
    fmt: Format = FORMAT,
    exit_code: bool = typer.Option(False, "--exit-code", help="Exit 1 when there is drift."),
) -> int:
    """Show what changed between two snapshots, or between the latest snapshot and live vCenter, and who did it."""
    if live:
        if new is not None:
            raise typer.BadParameter("takes at most one snapshot (OLD) with --live", param_hint="NEW")
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
            report = api.diff_live(conn, repo, old, ignore=ignore, progress=bar)
    else:
        report = api.diff(repo, old, new, vcenter=vcenter_name, ignore=ignore)
    _render_diff(report, fmt)
    return EXIT_DRIFT if exit_code and report.items else EXIT_OK


def log(
    repo: Path = REPO,
    vcenter_name: str | None = VCENTER_NAME,
    limit: int = typer.Option(50, "--limit", "-n", min=1, help="How many snapshots, newest first."),
    fmt: Format = FORMAT,
) -> int:
    """List snapshots with their drift summaries, newest first."""
    entries = api.log(repo, vcenter=vcenter_name, limit=limit)
    render(
        fmt,
        text=lambda out: log_text(entries, out),
        json=lambda: log_json(entries),
        markdown=lambda: log_markdown(entries),
    )
    return EXIT_OK
