"""``driftguard config validate|show|migrate``: the state repo's driftguard.yaml (docs/configuration.md).

Registered in :mod:`driftguard.cli.groups`; errors go through the one boundary (:mod:`driftguard.cli.boundary`)."""

from __future__ import annotations

from enum import StrEnum
from pathlib import Path

import typer

from driftguard import api
from driftguard.cli.exits import EXIT_OK, EXIT_USAGE
from driftguard.cli.render import stderr_console

REPO = typer.Option(
    Path(), "--repo", envvar="DRIFTGUARD_REPO", help="State repo whose driftguard.yaml is meant (default: here)."
)
CONFIG = typer.Option(
    None, "--config", envvar="DRIFTGUARD_CONFIG", help="Another driftguard.yaml (or a deprecated driftguard.toml)."
)
DRY_RUN = typer.Option(False, "--dry-run", help="Print the driftguard.yaml that would be written; write nothing.")


class ShowFormat(StrEnum):
    yaml = "yaml"
    json = "json"


SHOW_FORMAT = typer.Option(ShowFormat.yaml, "--format", help="Output format.")


def validate(repo: Path = REPO, config: Path | None = CONFIG) -> int:
    """Check driftguard.yaml (and the deprecated files it replaces): every error as file:line:column: message,
    exit 2 when there is one."""
    issues = api.validate_config(repo, config)
    if issues:
        for issue in issues:
            typer.echo(str(issue), err=True)
        return EXIT_USAGE
    stderr_console().print("configuration valid", markup=False)
    return EXIT_OK


def show(repo: Path = REPO, fmt: ShowFormat = SHOW_FORMAT) -> int:
    """Print the effective configuration: the sections in force, the files they came from, and each vCenter's
    connection settings after DRIFTGUARD_* variables. Passwords are never shown (only where they are read from)."""
    typer.echo(api.show_config(repo, as_json=fmt is ShowFormat.json), nl=False)
    return EXIT_OK


def migrate(repo: Path = REPO, dry_run: bool = DRY_RUN) -> int:
    """Write driftguard.yaml from zones.yaml, .driftguardignore and the [ssh] table of driftguard.toml (comments
    kept as reasons where possible). Nothing is removed or renamed: the old files are listed for you to delete."""
    result = api.migrate_config(repo, dry_run=dry_run)
    err = stderr_console()
    if not result.migrated:
        err.print(f"nothing to migrate: no deprecated file supplies configuration in {repo}", markup=False)
        return EXIT_OK
    if dry_run:
        typer.echo(result.text, nl=False)
    sections = ", ".join(f"{section} from {file}" for file, section in result.migrated.items())
    verb = "would write" if dry_run else "wrote"
    err.print(f"{verb} {result.path} ({sections})", markup=False)
    if result.kept:
        err.print(
            f"kept {', '.join(result.kept)}: nothing was removed or renamed; driftguard.yaml now wins, "
            "so delete them once it is committed",
            markup=False,
        )
    return EXIT_OK
