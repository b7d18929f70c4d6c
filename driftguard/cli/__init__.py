"""The ``driftguard`` command line: a thin shell over :mod:`driftguard.api` and :mod:`driftguard.report`.

Exit codes (design.md): 0 success; 1 drift present and ``--exit-code`` given; 2 usage or input error;
3 operational error (vCenter unreachable, login failed, certificate refused, repo locked or corrupt).
"""

from __future__ import annotations

import typer

from driftguard import __version__
from driftguard.cli import commands, evidence
from driftguard.cli.common import EXIT_USAGE

app = typer.Typer(
    name="driftguard",
    help="Snapshot vSphere configuration into Git, show what changed, and who changed it.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
    rich_markup_mode=None,
)
commands.register(app)
evidence.register(app)


def _version(value: bool) -> None:
    if value:
        typer.echo(f"driftguard {__version__}")
        raise typer.Exit(0)


@app.callback()
def _root(
    version: bool = typer.Option(
        False, "--version", callback=_version, is_eager=True, help="Print the version and exit."
    ),
) -> None:
    """driftguard: configuration baseline and drift detector for VMware vSphere."""


def main(argv: list[str] | None = None) -> int:
    """Console-script entry point; returns the exit code instead of raising SystemExit."""
    try:
        app(args=argv, prog_name="driftguard")
    except SystemExit as exc:
        return exc.code if isinstance(exc.code, int) else (0 if exc.code is None else EXIT_USAGE)
    return 0
