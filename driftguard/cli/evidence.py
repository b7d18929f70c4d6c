"""``driftguard hosts trust`` and ``driftguard import-bundle``, plus the ``snapshot --host-files`` options."""

from __future__ import annotations

from pathlib import Path

import typer

from driftguard import api
from driftguard.cli.exits import EXIT_DRIFT, EXIT_OK
from driftguard.cli.options import CONFIG, REPO, format_option
from driftguard.cli.render import Format, render, stderr_console, stdout_console
from driftguard.report import evidence_json, evidence_markdown, evidence_text
from driftguard.report.escape import visible

HOST_FILES = typer.Option(
    None, "--host-files", help="Also read the HA agent files from each host: 'ssh' (see docs/host-files.md)."
)
HOST_FILES_HOSTS = typer.Option(
    [], "--host-files-hosts", help="Only hosts whose vCenter name matches this glob (repeatable)."
)
HOST_FILES_STRICT = typer.Option(
    False, "--host-files-strict", help="Fail (commit nothing) when any selected host cannot be read."
)
SSH_PARALLELISM = typer.Option(None, "--ssh-parallelism", min=1, help="Hosts read at once (default 8).")
SSH_TIMEOUT = typer.Option(None, "--ssh-timeout", min=0.1, help="Seconds per host (default 30).")


def host_files_options(
    mode: str | None,
    hosts: list[str],
    strict: bool,
    config: Path | None,
    parallelism: int | None,
    timeout: float | None,
) -> api.HostFiles | None:
    if mode is None:
        if hosts or strict:
            raise typer.BadParameter("needs --host-files ssh", param_hint="--host-files-hosts/--host-files-strict")
        return None
    if mode != "ssh":
        raise typer.BadParameter(f"unknown source {mode!r}; supported: ssh", param_hint="--host-files")
    return api.HostFiles(
        mode=mode, hosts=tuple(hosts), config=config, strict=strict, parallelism=parallelism, timeout=timeout
    )


def report_unreadable(result: api.SnapshotResult) -> None:
    """One warning line per host whose agent files could not be read (they are recorded unknown)."""
    err = stderr_console()
    for host in sorted(result.snapshot.hosts.values(), key=lambda h: (h.name, h.id)):
        reason = host.unknowns.get("ha_agent")
        if reason and reason != api.NOT_COLLECTED:
            err.print(
                visible(f"driftguard: warning: HA agent files of {host.name} ({host.id}) unknown: {reason}"),
                markup=False,
            )


TRUST_HOSTS = typer.Argument(..., help="Host names as vCenter knows them (mapped through [ssh.hosts]).")
TRUST_REPO = typer.Option(None, "--repo", envvar="DRIFTGUARD_REPO", help="State repo: keys go to its known_hosts file.")
TRUST_REPLACE = typer.Option(False, "--replace", help="Replace a recorded key that differs (after checking it).")
TRUST_TIMEOUT = typer.Option(10.0, "--timeout", min=0.1, help="Seconds per host.")
BUNDLES = typer.Argument(..., exists=True, dir_okay=False, help="vm-support bundles (.tgz).")
THRESHOLD = typer.Option(
    10, "--reservation-threshold", min=1, help="SCSI reservation conflicts per LUN that make a burst."
)
WINDOW = typer.Option(60.0, "--reservation-window", min=1, help="Seconds the threshold applies to.")
FORMAT = format_option()
EXIT_CODE = typer.Option(False, "--exit-code", help="Exit 1 when there are findings.")


def trust(
    hosts: list[str] = TRUST_HOSTS,
    repo: Path | None = TRUST_REPO,
    config: Path | None = CONFIG,
    replace: bool = TRUST_REPLACE,
    timeout: float = TRUST_TIMEOUT,
) -> int:
    """Record the hosts' SSH keys as they are now. Compare each fingerprint with the host's console first."""
    known, results = api.trust_hosts(hosts, repo, config=config, replace=replace, timeout=timeout)
    out = stdout_console()
    for r in results:
        out.print(visible(f"{r.host} ({r.endpoint}) {r.key_type} {r.fingerprint}: {r.status}"), markup=False)
    stderr_console().print(f"known_hosts file: {known}", markup=False)
    return EXIT_OK


def import_bundle(
    bundles: list[Path] = BUNDLES,
    repo: Path = REPO,
    config: Path | None = CONFIG,
    threshold: int = THRESHOLD,
    window: float = WINDOW,
    fmt: Format = FORMAT,
    exit_code: bool = EXIT_CODE,
) -> int:
    """Import ESXi support bundles: commit each host's HA agent files, and report reservation-conflict bursts and
    HA agent log errors."""
    params = api.EvidenceParams(reservation_threshold=threshold, reservation_window=window)
    result = api.import_bundles(bundles, repo, params=params, config=config)
    err = stderr_console()
    if result.commit is None:
        err.print("evidence unchanged: nothing committed", markup=False)
    else:
        err.print(f"committed {result.commit[:10]}: {visible(result.message)}", markup=False)
    render(
        fmt,
        text=lambda out: evidence_text(result.evidence, result.paths, result.commit, out),
        json=lambda: evidence_json(result.evidence, result.paths, result.commit),
        markdown=lambda: evidence_markdown(result.evidence, result.paths, result.commit),
    )
    findings = any(e.findings for e in result.evidence)
    return EXIT_DRIFT if exit_code and findings else EXIT_OK
