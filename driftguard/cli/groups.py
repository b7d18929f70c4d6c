"""The ``driftguard`` application: every command and group, registered explicitly here and nowhere else."""

from __future__ import annotations

import typer

from driftguard import __version__
from driftguard.cli import baseline, check, commands, evidence, review
from driftguard.cli import config as config_cli
from driftguard.cli import report as report_cli
from driftguard.cli.boundary import BoundaryGroup
from driftguard.cli.help import HELP_OPTIONS, completion


def _version(value: bool) -> None:
    if value:
        typer.echo(f"driftguard {__version__}")
        raise typer.Exit(0)


def _root(
    version: bool = typer.Option(
        False, "--version", callback=_version, is_eager=True, help="Print the version and exit."
    ),
) -> None:
    """driftguard: configuration baseline and drift detector for VMware vSphere."""


def _group(help_text: str, *, no_args_is_help: bool = True) -> typer.Typer:
    return typer.Typer(help=help_text, no_args_is_help=no_args_is_help, rich_markup_mode=None)


app = typer.Typer(
    name="driftguard",
    cls=BoundaryGroup,
    help="Snapshot vSphere configuration into Git, show what changed, and who changed it.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
    rich_markup_mode=None,
    context_settings=HELP_OPTIONS,
)
app.callback()(_root)

app.command()(commands.snapshot)
app.command()(commands.diff)
app.command()(commands.log)
app.command()(check.check)
app.command()(report_cli.report)
app.command()(review.history)
app.command()(review.show)

rules = _group("The rule catalogue of `driftguard check`.")
rules.command("list")(check.rules_list)
rules.command("show")(check.rules_show)
app.add_typer(rules, name="rules")

app.command()(baseline.validate)
app.command()(baseline.plan)
app.command()(baseline.init)

baselines = _group("Baselines: pin observed state, preview ignore rules, list and show.", no_args_is_help=False)
baselines.command("pin")(baseline.pin)
baselines.command("ignored")(baseline.ignored)
baselines.command("list")(baseline.list_baselines)
baselines.command("show")(baseline.show)
app.add_typer(baselines, name="baseline")

hosts = _group("SSH access to ESXi hosts for the HA agent files.")
hosts.command("trust")(evidence.trust)
app.add_typer(hosts, name="hosts")
app.command("import-bundle")(evidence.import_bundle)

config = _group("The state repo's configuration file, driftguard.yaml.")
config.command("validate")(config_cli.validate)
config.command("show")(config_cli.show)
config.command("migrate")(config_cli.migrate)
app.add_typer(config, name="config")

app.command()(completion)
