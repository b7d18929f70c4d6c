"""How to reach a vCenter: the ``vcenters`` of driftguard.yaml, ``DRIFTGUARD_*`` variables and flags, in that
order of precedence (flag > environment > file > default), resolved into a :class:`Connection`."""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from pydantic import Field, SecretStr, ValidationError
from pydantic_settings import BaseSettings, SettingsConfigDict

from driftguard.api._common import Connection, UsageError
from driftguard.models.config import DriftguardConfig, VCenterConfig

ENV_PREFIX = "DRIFTGUARD_"


class Settings(BaseSettings):
    """Connection settings from ``DRIFTGUARD_*`` environment variables (``DRIFTGUARD_PAGE_SIZE=200``)."""

    model_config = SettingsConfigDict(
        env_prefix=ENV_PREFIX, extra="ignore", case_sensitive=False, env_ignore_empty=True
    )

    vcenter: str | None = Field(default=None, description="A vcenters name of driftguard.yaml, or a URL.")
    user: str | None = None
    password: SecretStr | None = None
    password_file: str | None = None
    insecure: bool | None = None
    ca_file: str | None = None
    page_size: int | None = None
    parallel: int | None = None
    timeout: float | None = None
    deadline: float | None = None


CONNECTION_FIELDS = (
    "url",
    "user",
    "password_file",
    "insecure",
    "ca_file",
    "page_size",
    "parallel",
    "timeout",
    "deadline",
)


@dataclass(frozen=True)
class ResolvedVCenter:
    """One vCenter's connection settings after precedence, with where each came from."""

    settings: VCenterConfig
    password: SecretStr | None
    sources: dict[str, str] = field(default_factory=dict)
    """Setting → ``flag``, ``env``, ``file`` or ``default``."""

    def connection(self) -> Connection:
        """The api's :class:`Connection`; a usage error (exit 2) without a user or a password."""
        if not self.settings.user:
            raise UsageError("no vCenter user: give --user, set DRIFTGUARD_USER, or set user in driftguard.yaml")
        if self.password is None or not self.password.get_secret_value():
            raise UsageError(f"no password: set {self.settings.password_env} or run interactively")
        return Connection(
            url=self.settings.url,
            user=self.settings.user,
            password=self.password,
            insecure=self.settings.insecure,
            ca_file=self.settings.ca_file,
            page_size=self.settings.page_size,
            parallel=self.settings.parallel,
            timeout=self.settings.timeout,
            deadline=self.settings.deadline,
        )


def _settings() -> Settings:
    try:
        return Settings()
    except ValidationError as exc:
        problems = "; ".join(f"{ENV_PREFIX}{str(e['loc'][0]).upper()}: {e['msg']}" for e in exc.errors())
        raise UsageError(f"bad environment variable: {problems}") from None


def _choose(config: DriftguardConfig, wanted: str | None) -> VCenterConfig | None:
    if wanted is not None:
        by_name = config.vcenter(wanted)
        return by_name or next((v for v in config.vcenters if v.url == wanted), None)
    if len(config.vcenters) == 1:
        return config.vcenters[0]
    if not config.vcenters:
        return None
    names = ", ".join(v.name for v in config.vcenters)
    raise UsageError(f"driftguard.yaml lists {len(config.vcenters)} vCenters ({names}): choose one with --vcenter NAME")


def resolve_connection(
    config: DriftguardConfig, vcenter: str | None = None, overrides: Mapping[str, Any] | None = None
) -> ResolvedVCenter:
    """The connection settings of one vCenter: ``vcenter`` (a ``vcenters`` name or a URL; default: the
    ``--vcenter`` of ``overrides``, then ``DRIFTGUARD_VCENTER``, then the only vCenter of the file). Each setting is
    the first given of: ``overrides`` (flags; None = not given), ``DRIFTGUARD_*``, the file's entry, the default.
    The password: ``overrides["password"]``, then the entry's ``password_env`` (default ``DRIFTGUARD_PASSWORD``).
    Bad values are usage errors (exit 2) naming the setting, never echoing a URL's user or password."""
    flags = {k: v for k, v in (overrides or {}).items() if v is not None}
    env = _settings()
    wanted = vcenter or flags.get("vcenter") or env.vcenter
    entry = _choose(config, wanted)
    if entry is None and wanted is None:
        raise UsageError("no vCenter: give --vcenter URL, set DRIFTGUARD_VCENTER, or list vcenters in driftguard.yaml")
    if entry is not None:
        file_layer = entry.model_dump(include=entry.model_fields_set)
        values: dict[str, Any] = {
            "name": entry.name,
            "password_env": entry.password_env,
            "password_file": entry.password_file,
            "keyring": entry.keyring,
        }
    else:
        file_layer = {}
        values = {"name": wanted, "url": wanted}
    layers = [
        ("flag", {k: flags[k] for k in CONNECTION_FIELDS if k in flags}),
        ("env", {k: getattr(env, k) for k in CONNECTION_FIELDS if getattr(env, k, None) is not None}),
        ("file", file_layer),
    ]
    sources = {"url": "flag" if vcenter or flags.get("vcenter") else "env"} if entry is None else {}
    for name in CONNECTION_FIELDS:
        origin = next((o for o, layer in layers if name in layer), None)
        if origin is not None:
            values[name] = dict(layers)[origin][name]
            sources[name] = origin
        sources.setdefault(name, "default")
    try:
        settings = VCenterConfig.model_validate(values)
    except ValidationError as exc:
        problems = "; ".join(f"{e['loc'][0] if e['loc'] else 'vcenter'}: {_plain_msg(e)}" for e in exc.errors())
        raise UsageError(f"invalid vCenter settings for {_label(values)}: {problems}") from None
    return ResolvedVCenter(settings=settings, password=_password(flags, settings, env), sources=sources)


def _plain_msg(err: Any) -> str:
    return str(err["msg"]).removeprefix("Value error, ")


def _label(values: Mapping[str, Any]) -> str:
    name = str(values.get("name") or "vCenter")
    return "the --vcenter URL" if "@" in name or "//" in name else repr(name)


def _password(flags: Mapping[str, Any], settings: VCenterConfig, env: Settings) -> SecretStr | None:
    """The first of: the flag layer, the variable ``password_env``, ``password_file``, the OS keyring."""
    given = flags.get("password")
    if given is not None:
        return given if isinstance(given, SecretStr) else SecretStr(str(given))
    value = os.environ.get(settings.password_env)
    if value:
        return SecretStr(value)
    if settings.password_file:
        return _password_file(settings)
    if settings.keyring:
        return _keyring_password(settings.name)
    return env.password if settings.password_env == f"{ENV_PREFIX}PASSWORD" else None


def _password_file(settings: VCenterConfig) -> SecretStr:
    """The first line of ``password_file`` (``$VARIABLES`` expanded); an unreadable or empty file is a usage error."""
    path = Path(os.path.expandvars(settings.password_file or "")).expanduser()
    try:
        with path.open(encoding="utf-8") as handle:
            text = handle.read(65_536)
    except (OSError, UnicodeDecodeError) as exc:
        reason = exc.strerror if isinstance(exc, OSError) and exc.strerror else "not readable as UTF-8 text"
        raise UsageError(f"password_file of {settings.name!r} ({path}): {reason}") from None
    lines = text.splitlines()
    if not lines or not lines[0]:
        raise UsageError(f"password_file of {settings.name!r} ({path}) is empty")
    return SecretStr(lines[0])


KEYRING_SERVICE = "driftguard"
"""The OS keyring service of vCenter passwords; the account is the vCenter's name in driftguard.yaml."""


def _keyring_password(name: str) -> SecretStr:
    import keyring  # the OS keyring is slow to load: only when a vCenter asks for it
    from keyring.errors import KeyringError

    try:
        value = keyring.get_password(KEYRING_SERVICE, name)
    except KeyringError as exc:
        raise UsageError(f"keyring for {name!r}: no usable OS keyring ({exc})") from None
    if not value:
        raise UsageError(f"keyring for {name!r}: no password stored (keyring set {KEYRING_SERVICE} {name})")
    return SecretStr(value)
