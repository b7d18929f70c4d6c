"""``driftguard check`` and ``driftguard rules list|show``."""

from __future__ import annotations

from enum import StrEnum
from pathlib import Path

import typer

from driftguard import api
from driftguard.cli.common import EXIT_DRIFT, EXIT_OK, error_boundary, stdout_console
from driftguard.models import SEVERITIES
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


class CheckFormat(StrEnum):
    text = "text"
    json = "json"
    markdown = "markdown"
    sarif = "sarif"


class FailOn(StrEnum):
    info = "info"
    low = "low"
    medium = "medium"
    high = "high"
    critical = "critical"


def _ids(values: list[str]) -> list[str]:
    """``--rules A,B --rules C`` → ``[A, B, C]``."""
    return [part.strip() for value in values for part in value.split(",") if part.strip()]


REPO_OPT = typer.Option(..., "--repo", envvar="DRIFTGUARD_REPO", help="State repo (a git working tree).")
REV_OPT = typer.Option(None, "--rev", help="Snapshot to check (a commit); default: the latest.")
LIVE_OPT = typer.Option(False, "--live", help="Check vCenter right now instead of a stored snapshot.")
VCENTER_OPT = typer.Option(None, "--vcenter", envvar="DRIFTGUARD_VCENTER", help="vCenter URL (with --live).")
USER_OPT = typer.Option(None, "--user", envvar="DRIFTGUARD_USER", help="vCenter user (with --live).")
INSECURE_OPT = typer.Option(
    False, "--insecure", envvar="DRIFTGUARD_INSECURE", help="Do not verify the vCenter TLS certificate."
)
PAGE_SIZE_OPT = typer.Option(
    500, "--page-size", envvar="DRIFTGUARD_PAGE_SIZE", min=1, help="Objects per PropertyCollector page."
)
VCENTER_NAME_OPT = typer.Option(
    None, "--vcenter-name", envvar="DRIFTGUARD_VCENTER_NAME", help="Which vCenter of the state repo."
)
RULES_OPT = typer.Option([], "--rules", help="Run only these rule ids or names (comma-separated).")
SKIP_OPT = typer.Option([], "--skip", help="Do not run these rule ids or names (comma-separated).")
ZONES_OPT = typer.Option(
    None, "--zones", envvar="DRIFTGUARD_ZONES", help="Zone file; default: zones.yaml at the repo root."
)
FAIL_ON_OPT = typer.Option(None, "--fail-on", help="Exit 1 when a finding at or above this severity exists.")
FMT_OPT = typer.Option(CheckFormat.text, "--format", envvar="DRIFTGUARD_FORMAT", help="Output format.")
BASELINE_OPT = typer.Option(
    ["all"], "--baseline", help="Baselines to check against: names in baselines/ (repeatable), 'all' or 'none'."
)


def check(
    repo: Path = REPO_OPT,
    rev: str | None = REV_OPT,
    live: bool = LIVE_OPT,
    vcenter: str | None = VCENTER_OPT,
    user: str | None = USER_OPT,
    insecure: bool = INSECURE_OPT,
    page_size: int = PAGE_SIZE_OPT,
    vcenter_name: str | None = VCENTER_NAME_OPT,
    rules: list[str] = RULES_OPT,
    skip: list[str] = SKIP_OPT,
    zones: Path | None = ZONES_OPT,
    fail_on: FailOn | None = FAIL_ON_OPT,
    fmt: CheckFormat = FMT_OPT,
    baseline: list[str] = BASELINE_OPT,
) -> None:
    """Evaluate the security rules of the seed chapter and the baselines on a snapshot (or on live vCenter)."""
    # commands registers this module, so its shared connection helper is imported when needed, not at import time
    from driftguard.cli.commands import _connection

    if live and rev is not None:
        raise typer.BadParameter("cannot be combined with --live", param_hint="--rev")
    conn = _connection(vcenter, user, insecure, page_size) if live else None
    with error_boundary():
        report = api.check(
            repo,
            rev,
            live=live,
            conn=conn,
            vcenter=vcenter_name,
            rules=_ids(rules) or None,
            skip=_ids(skip),
            zones=zones,
            baselines=_ids(baseline),
            use_baselines="none" not in _ids(baseline),
        )
        catalogue = api.rule_catalogue()
    if fmt is CheckFormat.json:
        typer.echo(check_json(report), nl=False)
    elif fmt is CheckFormat.markdown:
        typer.echo(check_markdown(report), nl=False)
    elif fmt is CheckFormat.sarif:
        typer.echo(check_sarif(report, catalogue), nl=False)
    else:
        check_text(report, stdout_console())
    failing = fail_on is not None and any(
        SEVERITIES.index(f.severity) >= SEVERITIES.index(fail_on.value) for f in report.findings
    )
    raise typer.Exit(EXIT_DRIFT if failing else EXIT_OK)


rules_app = typer.Typer(help="The rule catalogue of `driftguard check`.", no_args_is_help=True)


class RulesFormat(StrEnum):
    text = "text"
    json = "json"
    markdown = "markdown"


RULES_FORMAT_OPT = typer.Option(RulesFormat.text, "--format", help="Output format (markdown = docs/rules.md).")


@rules_app.command("list")
def rules_list(fmt: RulesFormat = RULES_FORMAT_OPT) -> None:
    """List every rule: id, name, severity and title."""
    with error_boundary():
        catalogue = api.rule_catalogue()
    defaults = {r.id: r.Params().model_dump(mode="json") for r in catalogue}
    if fmt is RulesFormat.json:
        schemas = {r.id: r.Params.model_json_schema() for r in catalogue}
        typer.echo(rules_json(catalogue, schemas), nl=False)
    elif fmt is RulesFormat.markdown:
        typer.echo(rules_markdown(catalogue, defaults), nl=False)
    else:
        rules_text(catalogue, stdout_console())


@rules_app.command("show")
def rules_show(rule_id: str = typer.Argument(..., help="Rule id (DG-VMOTION-001) or name (vmotion-blockers).")) -> None:
    """Print one rule's documentation (its docstring) and parameter defaults."""
    with error_boundary():
        catalogue = api.rule_catalogue()
    wanted = rule_id.strip()
    found = next((r for r in catalogue if wanted in (r.id, r.name) or wanted.upper() == r.id), None)
    if found is None:
        raise typer.BadParameter(f"no rule {wanted!r} (see `driftguard rules list`)", param_hint="ID")
    typer.echo(rule_show(found, found.Params().model_dump(mode="json")), nl=False)


def register(app: typer.Typer) -> None:
    app.command()(check)
    app.add_typer(rules_app, name="rules")
