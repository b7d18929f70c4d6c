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
    check_sarif,
    check_text,
    rule_show,
    rules_json,
    rules_markdown,
    rules_text,
)
from driftguard.report.review import check_jsonl


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
RULES_FORMAT = format_option(envvar=False, note=" (markdown = docs/rules.md)")


def check(
    repo: Path = REPO,
    rev: str | None = REV,
    live: bool = LIVE,
    vcenter: str | None = VCENTER_URL,
    user: str | None = USER,
    insecure: bool = INSECURE,
    ca_file: str | None = CA_FILE,
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
) -> int:
    """Evaluate the security rules of the seed chapter and the baselines on a snapshot (or on live vCenter)."""
    if live and rev is not None:
        raise typer.BadParameter("cannot be combined with --live", param_hint="--rev")
    conn = (
        connection(
            repo,
            vcenter,
            user,
            insecure=insecure,
            ca_file=ca_file,
            page_size=page_size,
            deadline=deadline,
            timeout=timeout,
        )
        if live
        else None
    )
    report = api.check(
        repo,
        rev,
        live=live,
        conn=conn,
        vcenter=vcenter_name,
        rules=ids(rules) or None,
        skip=ids(skip),
        zones=zones,
        baselines=ids(baseline),
        use_baselines="none" not in ids(baseline),
        select=selector(objects, kinds, paths, [], [], severity),
    )
    catalogue = api.rule_catalogue()
    emit(
        fmt,
        output,
        text=lambda out: check_text(report, out),
        json=lambda: check_json(report),
        markdown=lambda: check_markdown(report),
        sarif=lambda: check_sarif(report, catalogue),
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
