"""``driftguard validate``, ``plan``, ``init`` and ``driftguard baseline pin|ignored|list|show`` (docs/baselines.md)."""

from __future__ import annotations

from enum import StrEnum
from pathlib import Path

import typer

from driftguard import api
from driftguard.cli.common import EXIT_OK, EXIT_USAGE, Format, error_boundary, stderr_console, stdout_console
from driftguard.report.ignored import ignored_json, ignored_markdown, ignored_text
from driftguard.report.plan import issues_text, plan_json, plan_markdown, plan_text

REPO = typer.Option(..., "--repo", envvar="DRIFTGUARD_REPO", help="State repo (a git working tree).")
FORMAT = typer.Option(Format.text, "--format", envvar="DRIFTGUARD_FORMAT", help="Output format.")
OPTIONAL_REPO = typer.Option(None, "--repo", envvar="DRIFTGUARD_REPO", help="State repo (optional).")
FILES = typer.Argument(..., help="Baseline files (baselines/*.yaml).")
BASE = typer.Option("HEAD", "--base", help="Revision the change is reviewed against (origin/main in CI).")
HEAD = typer.Option("worktree", "--head", help="Revision under review, or 'worktree' for uncommitted edits.")
JSON_OUT = typer.Option(
    None, "--json-out", help="Also write the full plan as JSON here (the artefact truncated Markdown points to)."
)
ARTIFACT = typer.Option(
    "`driftguard-plan` (plan.json) of this workflow run",
    "--artifact",
    help="How the Markdown names the full JSON artefact when it has to truncate.",
)
INIT_DIR = typer.Argument(..., help="Directory of the new (or existing) state repo.")
FORCE = typer.Option(False, "--force", help="Overwrite files that already exist.")
SELECT = typer.Option(
    ..., "--select", help="Selector field=value (repeatable): kind=cluster, name='prod-*', cluster=..."
)
PATHS = typer.Option(
    [], "--paths", help="Path globs to pin, e.g. 'ha.options[\"das.*\"]' (repeatable; default: every value)."
)
PIN_REV = typer.Option(None, "--rev", help="Pin from the snapshots at this revision (default HEAD).")
OUTPUT = typer.Option(..., "-o", "--output", help="Baseline file to write (baselines/<name>.yaml).")
IGNORED_REV = typer.Option(None, "--rev", help="Baselines and snapshots as of this revision.")


def validate(
    files: list[Path] = FILES,
) -> None:
    """Validate baseline files: every error as file:line:column: message; exit 2 when there is one."""
    missing = [str(f) for f in files if not f.is_file()]
    if missing:
        raise typer.BadParameter(f"no such file: {', '.join(missing)}", param_hint="FILES")
    with error_boundary():
        issues = api.validate(files)
    if issues:
        typer.echo(issues_text(issues), nl=False, err=True)
        raise typer.Exit(EXIT_USAGE)
    stderr_console().print(f"{len(files)} baseline file(s) valid", markup=False)


class PlanFormat(StrEnum):
    text = "text"
    json = "json"
    markdown = "markdown"


PLAN_FORMAT = typer.Option(PlanFormat.markdown, "--format", help="Output format.")


def plan(
    repo: Path = REPO,
    base: str = BASE,
    head: str = HEAD,
    fmt: PlanFormat = PLAN_FORMAT,
    json_out: Path | None = JSON_OUT,
    artifact: str = ARTIFACT,
) -> None:
    """Review a change of baselines: validation, the changes, what vCenter would have to change (observed →
    target, grouped), and what falls out of compliance. Exit 2 when the head's baselines are invalid."""
    with error_boundary():
        report = api.plan(repo, base, head)
    if json_out is not None:
        json_out.write_text(plan_json(report), encoding="utf-8")
    if fmt is PlanFormat.json:
        typer.echo(plan_json(report), nl=False)
    elif fmt is PlanFormat.markdown:
        typer.echo(plan_markdown(report, artifact=artifact), nl=False)
    else:
        plan_text(report, stdout_console())
    raise typer.Exit(EXIT_USAGE if report.errors else EXIT_OK)


def init(
    directory: Path = INIT_DIR,
    force: bool = FORCE,
) -> None:
    """Scaffold a state repo: baselines/site.yaml (extends seed-security), the nightly and pull-request
    workflows, and a pre-commit configuration using the driftguard-validate hook."""
    with error_boundary():
        written = api.init(directory, force=force)
    out = stdout_console()
    for path in written:
        out.print(f"wrote {directory / path}", markup=False)


baseline_app = typer.Typer(help="Baselines: pin observed state, preview ignore rules, list and show.")


@baseline_app.command("pin")
def pin(
    repo: Path = REPO,
    select: list[str] = SELECT,
    paths: list[str] = PATHS,
    rev: str | None = PIN_REV,
    output: Path = OUTPUT,
) -> None:
    """Write a baseline from observed state: "approve what is there now"."""
    fields: dict[str, object] = {}
    for pair in select:
        key, sep, value = pair.partition("=")
        if not sep or not key.strip():
            raise typer.BadParameter(f"expected field=value, got {pair!r}", param_hint="--select")
        fields[key.strip()] = value
    with error_boundary():
        text = api.pin(repo, fields, paths or ["*"], rev=rev, name=output.stem)
    output.parent.mkdir(parents=True, exist_ok=True)
    output.write_text(text, encoding="utf-8")
    count = text.count("\n  - id: ") + text.count("\n- id: ")
    stderr_console().print(f"wrote {output} ({count} expectation(s))", markup=False)


@baseline_app.command("ignored")
def ignored(
    repo: Path = REPO,
    rev: str | None = IGNORED_REV,
    fmt: Format = FORMAT,
) -> None:
    """Preview what the baselines' ignore rules hide: violations of the latest snapshots, and history drift of
    each vCenter's last change."""
    with error_boundary():
        preview = api.ignored(repo, rev)
    if fmt is Format.json:
        typer.echo(ignored_json(preview), nl=False)
    elif fmt is Format.markdown:
        typer.echo(ignored_markdown(preview), nl=False)
    else:
        ignored_text(preview, stdout_console())


@baseline_app.command("list")
def list_baselines(
    repo: Path | None = OPTIONAL_REPO,
) -> None:
    """List the baselines available: the state repo's and the shipped ones."""
    with error_boundary():
        sources = api.baseline_sources(repo)
    for name, where in sources.items():
        typer.echo(f"{name}\t{where}")


@baseline_app.command("show")
def show(name: str = typer.Argument(..., help="A shipped baseline, e.g. seed-security.")) -> None:
    """Print a shipped baseline (to read what `extends: seed-security` brings in)."""
    sources = api.shipped_baselines()
    if name not in sources:
        raise typer.BadParameter(f"no shipped baseline {name!r} (have: {', '.join(sources)})", param_hint="NAME")
    typer.echo(sources[name], nl=False)


def register(app: typer.Typer) -> None:
    app.command()(validate)
    app.command()(plan)
    app.command()(init)
    app.add_typer(baseline_app, name="baseline")
