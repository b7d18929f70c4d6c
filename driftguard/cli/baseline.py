"""``driftguard validate``, ``plan``, ``init`` and ``driftguard baseline pin|ignored|list|show`` (docs/baselines.md)."""

from __future__ import annotations

from pathlib import Path

import typer

from driftguard import api
from driftguard.cli.exits import EXIT_OK, EXIT_USAGE
from driftguard.cli.options import IGNORE, OPTIONAL_REPO, REPO, format_option
from driftguard.cli.options import OUTPUT as REPORT_OUTPUT
from driftguard.cli.output import emit
from driftguard.cli.render import Format, render, stderr_console, stdout_console
from driftguard.report.ignored import ignored_json, ignored_markdown, ignored_text
from driftguard.report.plan import issues_text, plan_json, plan_markdown, plan_text

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
FORMAT = format_option()
PLAN_FORMAT = format_option(default=Format.markdown, envvar=False)


def validate(
    files: list[Path] = FILES,
) -> int:
    """Validate baseline files: every error as file:line:column: message; exit 2 when there is one."""
    missing = [str(f) for f in files if not f.is_file()]
    if missing:
        raise typer.BadParameter(f"no such file: {', '.join(missing)}", param_hint="FILES")
    issues = api.validate(files)
    if issues:
        typer.echo(issues_text(issues), nl=False, err=True)
        return EXIT_USAGE
    stderr_console().print(f"{len(files)} baseline file(s) valid", markup=False)
    return EXIT_OK


def plan(
    repo: Path = REPO,
    base: str = BASE,
    head: str = HEAD,
    fmt: Format = PLAN_FORMAT,
    json_out: Path | None = JSON_OUT,
    artifact: str = ARTIFACT,
) -> int:
    """Review a change of baselines: validation, the changes, what vCenter would have to change (observed →
    target, grouped), and what falls out of compliance. Exit 2 when the head's baselines are invalid."""
    report = api.plan(repo, base, head)
    if json_out is not None:
        json_out.write_text(plan_json(report), encoding="utf-8")
    render(
        fmt,
        text=lambda out: plan_text(report, out),
        json=lambda: plan_json(report),
        markdown=lambda: plan_markdown(report, artifact=artifact),
    )
    return EXIT_USAGE if report.errors else EXIT_OK


def init(
    directory: Path = INIT_DIR,
    force: bool = FORCE,
) -> int:
    """Scaffold a state repo: baselines/site.yaml (extends seed-security), the nightly and pull-request
    workflows, and a pre-commit configuration using the driftguard-validate hook."""
    written = api.init(directory, force=force)
    out = stdout_console()
    for path in written:
        out.print(f"wrote {directory / path}", markup=False)
    return EXIT_OK


def pin(
    repo: Path = REPO,
    select: list[str] = SELECT,
    paths: list[str] = PATHS,
    rev: str | None = PIN_REV,
    output: Path = OUTPUT,
) -> int:
    """Write a baseline from observed state: "approve what is there now"."""
    fields: dict[str, object] = {}
    for pair in select:
        key, sep, value = pair.partition("=")
        if not sep or not key.strip():
            raise typer.BadParameter(f"expected field=value, got {pair!r}", param_hint="--select")
        fields[key.strip()] = value
    pinned = api.pinned(repo, fields, paths or ["*"], rev=rev, name=output.stem)
    output.parent.mkdir(parents=True, exist_ok=True)
    output.write_text(pinned.text, encoding="utf-8")
    stderr_console().print(f"wrote {output} ({pinned.expectations} expectation(s))", markup=False)
    return EXIT_OK


def ignored(
    repo: Path = REPO,
    rev: str | None = IGNORED_REV,
    fmt: Format = FORMAT,
    ignore: list[str] = IGNORE,
    output: Path | None = REPORT_OUTPUT,
) -> int:
    """Preview what the ignore rules hide (the baselines', driftguard.yaml's or .driftguardignore's, --ignore):
    violations of the latest snapshots, and history drift of each vCenter's last change."""
    preview = api.ignored(repo, rev, ignore=ignore)
    emit(
        fmt,
        output,
        text=lambda out: ignored_text(preview, out),
        json=lambda: ignored_json(preview),
        markdown=lambda: ignored_markdown(preview),
    )
    return EXIT_OK


def list_baselines(
    repo: Path | None = OPTIONAL_REPO,
) -> int:
    """List the baselines available: the state repo's and the shipped ones."""
    for name, where in api.baseline_sources(repo).items():
        typer.echo(f"{name}\t{where}")
    return EXIT_OK


def show(name: str = typer.Argument(..., help="A shipped baseline, e.g. seed-security.")) -> int:
    """Print a shipped baseline (to read what `extends: seed-security` brings in)."""
    sources = api.shipped_baselines()
    if name not in sources:
        raise typer.BadParameter(f"no shipped baseline {name!r} (have: {', '.join(sources)})", param_hint="NAME")
    typer.echo(sources[name], nl=False)
    return EXIT_OK
