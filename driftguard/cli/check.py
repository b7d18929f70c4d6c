"""``driftguard check`` and ``driftguard rules list|show``."""

from __future__ import annotations

from enum import StrEnum
from pathlib import Path

import typer

from driftguard import api
from driftguard.cli.exits import EXIT_DRIFT, EXIT_OK
from driftguard.cli.options import (
    CA_FILE,
    DEADLINE,
    INSECURE,
    KIND,
    OBJECT,
    OUTPUT,
    PAGE_SIZE,
    PATH_GLOB,
    REPO,
    SEVERITY,
    TIMEOUT,
    TLS_FINGERPRINT,
    USER,
    VCENTER_NAME,
    VCENTER_URL,
    connection,
    format_option,
    ids,
    selector,
)
from driftguard.cli.output import emit
from driftguard.cli.render import FINDING_FORMATS, Format, render
from driftguard.report.check import (
    check_json,
    check_markdown,
    check_statistics_markdown,
    check_statistics_text,
    check_text,
    rule_show,
    rules_json,
    rules_markdown,
    rules_text,
)
from driftguard.report.review import check_jsonl
from driftguard.report.sarif import check_sarif


class FailOn(StrEnum):
    info = "info"
    low = "low"
    medium = "medium"
    high = "high"
    critical = "critical"


REV = typer.Option(None, "--rev", help="Snapshot to check (a commit); default: the latest.")
LIVE = typer.Option(False, "--live", help="Check vCenter right now instead of a stored snapshot.")
RULES = typer.Option([], "--rules", help="Run only these rule ids or names (comma-separated).")
SKIP = typer.Option([], "--skip", help="Do not run these rule ids or names (comma-separated).")
ZONES = typer.Option(
    None, "--zones", envvar="DRIFTGUARD_ZONES", help="Zone file; default: zones.yaml at the repo root."
)
FAIL_ON = typer.Option(None, "--fail-on", help="Exit 1 when a finding at or above this severity exists.")
BASELINE = typer.Option(
    ["all"], "--baseline", help="Baselines to check against: names in baselines/ (repeatable), 'all' or 'none'."
)
CHECK_FORMAT = format_option((*FINDING_FORMATS, Format.jsonl), note=" (jsonl: one finding per line)")
STATISTICS = typer.Option(False, "--statistics", help="Only the number of findings per rule (text or markdown).")
RULES_FORMAT = format_option(envvar=False, note=" (markdown = docs/rules.md)")


def check(
    repo: Path = REPO,
    rev: str | None = REV,
    live: bool = LIVE,
    vcenter: str | None = VCENTER_URL,
    user: str | None = USER,
    insecure: bool = INSECURE,
    ca_file: str | None = CA_FILE,
    tls_fingerprint: str | None = TLS_FINGERPRINT,
    page_size: int | None = PAGE_SIZE,
    deadline: float | None = DEADLINE,
    timeout: float | None = TIMEOUT,
    vcenter_name: str | None = VCENTER_NAME,
    rules: list[str] = RULES,
    skip: list[str] = SKIP,
    zones: Path | None = ZONES,
    fail_on: FailOn | None = FAIL_ON,
    fmt: Format = CHECK_FORMAT,
    baseline: list[str] = BASELINE,
    objects: list[str] = OBJECT,
    kinds: list[str] = KIND,
    paths: list[str] = PATH_GLOB,
    severity: str | None = SEVERITY,
    output: Path | None = OUTPUT,
    statistics: bool = STATISTICS,
    all_vcenters: bool = typer.Option(
        False, "--all-vcenters", help="Check the latest snapshot of every vCenter in the state repo, as one report."
    ),
) -> int:
    """Evaluate the security rules of the seed chapter and the baselines on a snapshot (or on live vCenter)."""
    if live and rev is not None:
        raise typer.BadParameter("cannot be combined with --live", param_hint="--rev")
    if statistics and fmt not in (Format.text, Format.markdown):
        raise typer.BadParameter("counts findings as text or markdown only", param_hint="--statistics")
    if all_vcenters and (live or vcenter_name is not None):
        raise typer.BadParameter("cannot be combined with --live or --vcenter-name", param_hint="--all-vcenters")
    conn = (
        connection(
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
        if live
        else None
    )
    selection = ids(rules) or None
    select = selector(objects, kinds, paths, [], [], severity)
    if all_vcenters:
        report = api.check_all(
            repo,
            rev,
            rules=selection,
            skip=ids(skip),
            zones=zones,
            baselines=ids(baseline),
            use_baselines="none" not in ids(baseline),
            select=select,
        )
    else:
        report = api.check(
            repo,
            rev,
            live=live,
            conn=conn,
            vcenter=vcenter_name,
            rules=selection,
            skip=ids(skip),
            zones=zones,
            baselines=ids(baseline),
            use_baselines="none" not in ids(baseline),
            select=select,
        )
    catalogue = api.rule_catalogue()
    emit(
        fmt,
        output,
        text=lambda out: (check_statistics_text if statistics else check_text)(report, out),
        json=lambda: check_json(report),
        markdown=lambda: (check_statistics_markdown if statistics else check_markdown)(report),
        sarif=lambda: check_sarif(report, catalogue, repository_uri=api.repository_uri(repo)),
        jsonl=lambda: check_jsonl(report),
    )
    return EXIT_DRIFT if api.fails_on(report, fail_on.value if fail_on else None) else EXIT_OK


def rules_list(fmt: Format = RULES_FORMAT) -> int:
    """List every rule: id, name, severity and title."""
    catalogue = api.rule_catalogue()
    render(
        fmt,
        text=lambda out: rules_text(catalogue, out),
        json=lambda: rules_json(catalogue, api.rule_schemas(catalogue)),
        markdown=lambda: rules_markdown(catalogue, api.rule_defaults(catalogue)),
    )
    return EXIT_OK


def rules_show(rule_id: str = typer.Argument(..., help="Rule id (DG-VMOTION-001) or name (vmotion-blockers).")) -> int:
    """Print one rule's documentation (its docstring) and parameter defaults."""
    rule = api.find_rule(rule_id)
    typer.echo(rule_show(rule, api.rule_defaults([rule])[rule.id]), nl=False)
    return EXIT_OK
