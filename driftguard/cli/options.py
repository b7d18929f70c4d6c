"""Options every command shares, defined once: the state repo, the output format, how to reach vCenter."""

from __future__ import annotations

import sys
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
USER = typer.Option(None, "--user", envvar="DRIFTGUARD_USER", help="vCenter user, e.g. VSPHERE.LOCAL\\\\audit.")
INSECURE = typer.Option(
    False,
    "--insecure",
    envvar="DRIFTGUARD_INSECURE",
    help="Do not verify the vCenter TLS certificate (only on a network you trust).",
)
PAGE_SIZE_MAX = 10_000
PAGE_SIZE = typer.Option(
    500,
    "--page-size",
    envvar="DRIFTGUARD_PAGE_SIZE",
    min=1,
    max=PAGE_SIZE_MAX,
    help=f"Objects per PropertyCollector page (1..{PAGE_SIZE_MAX}).",
)
DEADLINE = typer.Option(
    1800.0,
    "--deadline",
    envvar="DRIFTGUARD_DEADLINE",
    min=1.0,
    help="Seconds the whole collection from vCenter may take; on expiry: exit 3, nothing committed.",
)
TIMEOUT = typer.Option(
    60.0,
    "--timeout",
    envvar="DRIFTGUARD_TIMEOUT",
    min=0.1,
    help="Seconds to wait for any one answer from vCenter.",
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
    url: str | None,
    user: str | None,
    *,
    insecure: bool,
    page_size: int,
    deadline: float,
    timeout: float,
) -> api.Connection:
    """The vCenter to talk to, from the shared options; asks for the password only on a terminal."""
    if not url:
        raise typer.BadParameter("is required (or set DRIFTGUARD_VCENTER)", param_hint="--vcenter")
    if not user:
        raise typer.BadParameter("is required (or set DRIFTGUARD_USER)", param_hint="--user")
    password = _password(user, url)
    if insecure:
        stderr_console().print(
            f"driftguard: warning: TLS certificate verification is OFF for {_redacted(url)} (--insecure)",
            markup=False,
        )
    return api.Connection(
        url=url,
        user=user,
        password=SecretStr(password),
        insecure=insecure,
        page_size=page_size,
        timeout=timeout,
        deadline=deadline,
    )
