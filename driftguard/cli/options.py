"""Options every command shares, defined once: the state repo, the output format, how to reach vCenter."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any

import typer
from pydantic import SecretStr

from driftguard import api
from driftguard.cli import crash
from driftguard.cli.render import REPORT_FORMATS, Format, stderr_console


def format_option(
    allowed: tuple[Format, ...] = REPORT_FORMATS,
    *,
    default: Format = Format.text,
    envvar: bool = True,
    note: str = "",
) -> Any:
    """``--format`` accepting ``allowed`` (``DRIFTGUARD_FORMAT`` when ``envvar``); another format is a usage error."""
    names = ", ".join(f.value for f in allowed)

    def only_allowed(value: Format) -> Format:
        if value not in allowed:
            raise typer.BadParameter(f"{value.value!r} is not available here; choose from {names}")
        return value

    return typer.Option(
        default,
        "--format",
        envvar="DRIFTGUARD_FORMAT" if envvar else None,
        callback=only_allowed,
        metavar="<" + "|".join(f.value for f in allowed) + ">",
        help=f"Output format{note}.",
    )


def ids(values: list[str]) -> list[str]:
    """``--rules A,B --rules C`` → ``[A, B, C]``."""
    return [part.strip() for value in values for part in value.split(",") if part.strip()]


REPO = typer.Option(..., "--repo", envvar="DRIFTGUARD_REPO", help="State repo (a git working tree).")
OPTIONAL_REPO = typer.Option(None, "--repo", envvar="DRIFTGUARD_REPO", help="State repo (optional).")
VCENTER_NAME = typer.Option(
    None, "--vcenter-name", envvar="DRIFTGUARD_VCENTER_NAME", help="Which vCenter of the state repo (by directory)."
)
IGNORE = typer.Option(
    [], "--ignore", envvar="DRIFTGUARD_IGNORE", help="Extra '<kind>:<path glob>' to never report (repeatable)."
)
CONFIG = typer.Option(
    None,
    "--config",
    envvar="DRIFTGUARD_CONFIG",
    help="Another driftguard.yaml (or a deprecated driftguard.toml); default: the state repo's configuration.",
)


# -- reaching vCenter -------------------------------------------------------------------------------------------------


def _redacted(url: str) -> str:
    """``url`` with anything that could be userinfo (up to the last ``@``) replaced: a password never echoes."""
    scheme, sep, rest = url.partition("://")
    if not sep:
        scheme, rest = "", url
    if "@" in rest:
        rest = "***@" + rest.rpartition("@")[2]
    return f"{scheme}{sep}{rest}"


def check_vcenter_url(value: str | None) -> str | None:
    """``--vcenter``: an http(s) URL (or a bare host) with a host and, if any, a port in 1..65535."""
    if value is None:
        return None
    try:
        api.check_vcenter_url(value)
    except api.UsageError as exc:
        raise typer.BadParameter(str(exc)) from None
    return value


VCENTER_URL = typer.Option(
    None,
    "--vcenter",
    envvar="DRIFTGUARD_VCENTER",
    callback=check_vcenter_url,
    help="vCenter URL, e.g. https://vc01.example.com/sdk.",
)
USER = typer.Option(
    None,
    "--user",
    envvar="DRIFTGUARD_USER",
    help="vCenter login driftguard reads as, e.g. VSPHERE.LOCAL\\\\audit (not a filter: see --by).",
)
INSECURE = typer.Option(
    False,
    "--insecure",
    envvar="DRIFTGUARD_INSECURE",
    help="Do not verify the vCenter TLS certificate (only on a network you trust).",
)
CA_FILE = typer.Option(
    None,
    "--ca-file",
    envvar="DRIFTGUARD_CA_FILE",
    help="PEM file of the CA(s) that signed the vCenter certificate (trusted besides the system's).",
)
PAGE_SIZE_MAX = 10_000
# No flag default: a flag not given leaves the value to DRIFTGUARD_* and then driftguard.yaml (docs/configuration.md).
PAGE_SIZE = typer.Option(
    None,
    "--page-size",
    envvar="DRIFTGUARD_PAGE_SIZE",
    min=1,
    max=PAGE_SIZE_MAX,
    help=f"Objects per PropertyCollector page (1..{PAGE_SIZE_MAX}; default 500, or driftguard.yaml's).",
)
DEADLINE = typer.Option(
    None,
    "--deadline",
    envvar="DRIFTGUARD_DEADLINE",
    min=1.0,
    help="Seconds the whole collection from vCenter may take (default 1800); on expiry: exit 3, nothing committed.",
)
TIMEOUT = typer.Option(
    None,
    "--timeout",
    envvar="DRIFTGUARD_TIMEOUT",
    min=0.1,
    help="Seconds to wait for any one answer from vCenter (default 60).",
)


def _password(user: str, url: str) -> str:
    # Never a flag: a password on the command line lands in shell history and in `ps` output.
    password = crash.take_password()
    if password is not None:
        return password
    if not sys.stdin.isatty():
        raise api.UsageError("no password: set DRIFTGUARD_PASSWORD or run interactively")
    password = typer.prompt(f"Password for {user} at {_redacted(url)}", hide_input=True)
    crash.register_secret(password)
    return str(password)


def connection(
    repo: Path | None,
    url: str | None,
    user: str | None,
    *,
    insecure: bool,
    ca_file: str | None = None,
    page_size: int | None,
    deadline: float | None,
    timeout: float | None,
) -> api.Connection:
    """The vCenter to talk to: each setting from its flag, else ``DRIFTGUARD_*``, else the ``vcenters`` entry of the
    state repo's driftguard.yaml (``--vcenter`` may name one), else the default. Asks for the password only on a
    terminal."""
    config = api.load_config(repo if repo is not None and repo.is_dir() else None, quiet=True).config
    overrides = {
        "vcenter": url,
        "user": user,
        "insecure": True if insecure else None,
        "ca_file": ca_file,
        "page_size": page_size,
        "deadline": deadline,
        "timeout": timeout,
    }
    resolved = api.resolve_connection(config, None, overrides)
    settings = resolved.settings
    if not settings.user:
        raise typer.BadParameter(
            "is required (or set DRIFTGUARD_USER, or user in driftguard.yaml)", param_hint="--user"
        )
    secret = resolved.password.get_secret_value() if resolved.password else None
    password = secret or _password(settings.user, settings.url)
    if settings.insecure:
        stderr_console().print(
            f"driftguard: warning: TLS certificate verification is OFF for {_redacted(settings.url)} (--insecure)",
            markup=False,
        )
    return api.Connection(
        url=settings.url,
        user=settings.user,
        password=SecretStr(password),
        insecure=settings.insecure,
        ca_file=settings.ca_file,
        page_size=settings.page_size,
        timeout=settings.timeout,
        deadline=settings.deadline,
    )


# -- incident review: output file and the filters of diff, log, history, check (docs/incident-review.md) ---------------

OUTPUT = typer.Option(
    None,
    "--output",
    "-o",
    help="Write the report to this file instead of stdout: atomically (a temporary file renamed), never half-written.",
)
OBJECT = typer.Option([], "--object", help="Only these objects: a name glob (web*) or a moref (vm-42); repeatable.")
KIND = typer.Option([], "--kind", help="Only objects of this kind: cluster, host, vm, dvswitch, datastore; repeatable.")
PATH_GLOB = typer.Option([], "--path", help='Only these fields: a path glob (cpu.*, ha.options["das.*"]); repeatable.')
BY = typer.Option(
    [],
    "--by",
    help="Only changes attributed to this user (glob, case-insensitive, with or without the DOMAIN\\ or @domain part). "
    "Not --user, which is the vCenter login.",
)
STATUS = typer.Option([], "--status", help="Only items whose attribution is attributed, unattributed or unknown.")
SEVERITY = typer.Option(None, "--severity", help="Only items at or above this severity (info ... critical).")
SINCE = typer.Option(
    None, "--since", help="From this time: 2026-11-29, 2026-11-29T10:00Z, today, yesterday, 7d, 12h, or a revision."
)
UNTIL = typer.Option(None, "--until", help="Up to this time (a date includes that whole day), or a revision.")


def selector(
    objects: list[str], kinds: list[str], paths: list[str], by: list[str], status: list[str], severity: str | None
) -> api.Selector:
    """The one selector of the filter options (a bad kind, status or severity is a usage error)."""
    return api.Selector.build(
        objects=ids(objects), kinds=ids(kinds), paths=paths, by=ids(by), status=ids(status), severity=severity
    )
