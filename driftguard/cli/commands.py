"""``driftguard snapshot``, ``diff`` and ``log``."""

from __future__ import annotations

import os
from pathlib import Path

import typer
from pydantic import SecretStr
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

from driftguard import api
from driftguard.cli import baseline  # validate, plan, init, baseline pin|ignored|list|show
from driftguard.cli.common import (
    EXIT_DRIFT,
    EXIT_OK,
    EXIT_USAGE,
    Format,
    error_boundary,
    stderr_console,
    stdout_console,
)
from driftguard.cli.evidence import (
    CONFIG,
    HOST_FILES,
    HOST_FILES_HOSTS,
    HOST_FILES_STRICT,
    SSH_PARALLELISM,
    SSH_TIMEOUT,
    host_files_options,
    report_unreadable,
)
from driftguard.models import DiffReport
from driftguard.report import diff_json, diff_markdown, diff_text, log_json, log_markdown, log_text

REPO = typer.Option(..., "--repo", envvar="DRIFTGUARD_REPO", help="State repo (a git working tree).")
VCENTER_URL = typer.Option(
    None, "--vcenter", envvar="DRIFTGUARD_VCENTER", help="vCenter URL, e.g. https://vc01.example.com/sdk."
)
USER = typer.Option(None, "--user", envvar="DRIFTGUARD_USER", help="vCenter user, e.g. VSPHERE.LOCAL\\\\audit.")
INSECURE = typer.Option(
    False,
    "--insecure",
    envvar="DRIFTGUARD_INSECURE",
    help="Do not verify the vCenter TLS certificate (only on a network you trust).",
)
PAGE_SIZE = typer.Option(
    500, "--page-size", envvar="DRIFTGUARD_PAGE_SIZE", min=1, help="Objects per PropertyCollector page."
)
FORMAT = typer.Option(Format.text, "--format", envvar="DRIFTGUARD_FORMAT", help="Output format.")
IGNORE = typer.Option(
    [], "--ignore", envvar="DRIFTGUARD_IGNORE", help="Extra '<kind>:<path glob>' to never report (repeatable)."
)
VCENTER_NAME = typer.Option(
    None, "--vcenter-name", envvar="DRIFTGUARD_VCENTER_NAME", help="Which vCenter of the state repo (by directory)."
)


def _connection(url: str | None, user: str | None, insecure: bool, page_size: int) -> api.Connection:
    if not url:
        raise typer.BadParameter("is required (or set DRIFTGUARD_VCENTER)", param_hint="--vcenter")
    if not user:
        raise typer.BadParameter("is required (or set DRIFTGUARD_USER)", param_hint="--user")
    # Never a flag: a password on the command line lands in shell history and in `ps` output.
    password = os.environ.get("DRIFTGUARD_PASSWORD")
    if password is None:
        password = typer.prompt(f"Password for {user} at {url}", hide_input=True)
    if insecure:
        stderr_console().print(
            f"driftguard: warning: TLS certificate verification is OFF for {url} (--insecure)", markup=False
        )
    return api.Connection(url=url, user=user, password=SecretStr(password), insecure=insecure, page_size=page_size)


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


def _emit_report(report: DiffReport, fmt: Format) -> None:
    if fmt is Format.json:
        typer.echo(diff_json(report), nl=False)
    elif fmt is Format.markdown:
        typer.echo(diff_markdown(report), nl=False)
    else:
        diff_text(report, stdout_console())


def snapshot(
    repo: Path = REPO,
    vcenter: str | None = VCENTER_URL,
    user: str | None = USER,
    insecure: bool = INSECURE,
    page_size: int = PAGE_SIZE,
    ignore: list[str] = IGNORE,
    fmt: Format = FORMAT,
    host_files: str | None = HOST_FILES,
    host_files_hosts: list[str] = HOST_FILES_HOSTS,
    host_files_strict: bool = HOST_FILES_STRICT,
    config: Path | None = CONFIG,
    ssh_parallelism: int | None = SSH_PARALLELISM,
    ssh_timeout: float | None = SSH_TIMEOUT,
) -> None:
    """Collect one vCenter's configuration and commit it to the state repo (no commit when nothing changed)."""
    files = host_files_options(host_files, host_files_hosts, host_files_strict, config, ssh_parallelism, ssh_timeout)
    conn = _connection(vcenter, user, insecure, page_size)
    bar = _Bar()
    with error_boundary(), bar.progress:
        result = api.snapshot(conn, repo, ignore=ignore, progress=bar, host_files=files)
    if files is not None:
        report_unreadable(result)
    err = stderr_console()
    manifest = result.snapshot.manifest
    counts = ", ".join(f"{n} {k}s" for k, n in manifest.counts.items() if n)
    err.print(f"collected {counts} from {conn.host} in {manifest.round_trips} round trips", markup=False)
    if result.commit is None:
        err.print("no change since the last snapshot: nothing committed (verification time recorded)", markup=False)
    else:
        err.print(f"committed {result.commit[:10]}: {result.message}", markup=False)
    if result.report is not None and result.report.items:
        _emit_report(result.report, fmt)


def diff(
    old: str | None = typer.Argument(None, help="Older snapshot (a commit); default: the one before NEW."),
    new: str | None = typer.Argument(None, help="Newer snapshot (a commit); default: the latest."),
    repo: Path = REPO,
    live: bool = typer.Option(False, "--live", help="Compare OLD (default: latest) with vCenter right now."),
    vcenter: str | None = VCENTER_URL,
    user: str | None = USER,
    insecure: bool = INSECURE,
    page_size: int = PAGE_SIZE,
    vcenter_name: str | None = VCENTER_NAME,
    ignore: list[str] = IGNORE,
    fmt: Format = FORMAT,
    exit_code: bool = typer.Option(False, "--exit-code", help="Exit 1 when there is drift."),
) -> None:
    """Show what changed between two snapshots, or between the latest snapshot and live vCenter, and who did it."""
    if live:
        if new is not None:
            raise typer.BadParameter("takes at most one snapshot (OLD) with --live", param_hint="NEW")
        conn = _connection(vcenter, user, insecure, page_size)
        bar = _Bar()
        with error_boundary(), bar.progress:
            report = api.diff_live(conn, repo, old, ignore=ignore, progress=bar)
    else:
        with error_boundary():
            report = api.diff(repo, old, new, vcenter=vcenter_name, ignore=ignore)
    _emit_report(report, fmt)
    raise typer.Exit(EXIT_DRIFT if exit_code and report.items else EXIT_OK)


def log(
    repo: Path = REPO,
    vcenter_name: str | None = VCENTER_NAME,
    limit: int = typer.Option(50, "--limit", "-n", min=1, help="How many snapshots, newest first."),
    fmt: Format = FORMAT,
) -> None:
    """List snapshots with their drift summaries, newest first."""
    with error_boundary():
        entries = api.log(repo, vcenter=vcenter_name, limit=limit)
    if fmt is Format.json:
        typer.echo(log_json(entries), nl=False)
    elif fmt is Format.markdown:
        typer.echo(log_markdown(entries), nl=False)
    else:
        log_text(entries, stdout_console())


def register(app: typer.Typer) -> None:
    from driftguard.cli import check  # `check` and `rules`; imported here because it reuses _connection from here

    app.command()(snapshot)
    app.command()(diff)
    app.command()(log)
    check.register(app)
    baseline.register(app)


__all__ = ["EXIT_USAGE", "register"]
