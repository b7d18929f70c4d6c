"""Settings of the host-side sources: per-host SSH targets and credentials, limits, redaction patterns.

The settings are the ``host_files`` section of ``driftguard.yaml`` (or the deprecated ``[ssh]`` table of
``driftguard.toml``), read and validated by the configuration loader (docs/configuration.md) into a
:class:`~driftguard.models.config.HostFilesConfig`; :func:`from_settings` turns that into the :class:`SshConfig`
this package works with.

Passwords never come from the file or a flag: ``password_env`` (default ``DRIFTGUARD_SSH_PASSWORD``), then the OS
keyring (service ``driftguard-ssh``, user ``<user>@<address>``) when the ``keyring`` package is installed.
"""

from __future__ import annotations

import fnmatch
import os
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

from driftguard.models.config import HostFilesConfig

DEFAULT_PASSWORD_ENV = "DRIFTGUARD_SSH_PASSWORD"  # noqa: S105  # the variable's name, not a password
KEYRING_SERVICE = "driftguard-ssh"
DEFAULT_PARALLELISM = 8
DEFAULT_TIMEOUT = 30.0

DEFAULT_REDACT: tuple[str, ...] = (
    # key = value / key: value / <key>value</key> forms of anything that looks like a credential
    r"(?i)(?P<key>[\w.-]*(?:password|passwd|pwd|secret|token|community|privatekey|private_key)[\w.-]*)"
    r"(?P<sep>\s*[=:]\s*|>)(?P<value>[^\s<\"',;]+)",
    r"-----BEGIN [A-Z ]*PRIVATE KEY-----[\s\S]*?-----END [A-Z ]*PRIVATE KEY-----",
)
"""Patterns redacted from every file's text. A match with a ``value`` group keeps the rest and replaces only it."""


@dataclass(frozen=True)
class SshTarget:
    """How to reach one host. ``password`` is resolved at connection time and never stored here."""

    host: str
    """The host's name in vCenter (the thing messages name)."""
    address: str
    port: int = 22
    user: str = "root"
    key_file: str | None = None
    password_env: str = DEFAULT_PASSWORD_ENV
    remote_root: str = "/"

    @property
    def endpoint(self) -> str:
        """``address:port`` as messages print it."""
        return f"{self.address}:{self.port}"

    @property
    def known_hosts_name(self) -> str:
        """The name this target has in a known_hosts file (OpenSSH's ``[address]:port`` form off port 22)."""
        return self.address if self.port == 22 else f"[{self.address}]:{self.port}"

    def password(self) -> str | None:
        """The password from the environment, else the OS keyring; None when neither has one."""
        value = os.environ.get(self.password_env)
        if value:
            return value
        return _keyring_password(f"{self.user}@{self.address}")


@dataclass(frozen=True)
class HostRule:
    pattern: str
    settings: Mapping[str, Any]


@dataclass(frozen=True)
class SshConfig:
    parallelism: int = DEFAULT_PARALLELISM
    timeout: float = DEFAULT_TIMEOUT
    known_hosts: Path | None = None
    """None: the state repo's ``known_hosts`` when it exists, else ``~/.ssh/known_hosts``."""
    redact: tuple[str, ...] = DEFAULT_REDACT
    rules: tuple[HostRule, ...] = field(default=())

    def target(self, host: str) -> SshTarget:
        """The SSH target for a host name: the first matching ``[ssh.hosts."<pattern>"]``, else defaults."""
        for rule in self.rules:
            if fnmatch.fnmatchcase(host.lower(), rule.pattern.lower()):
                return _target(host, rule.settings)
        return SshTarget(host=host, address=host)

    def known_hosts_file(self, repo: Path | None) -> Path:
        if self.known_hosts is not None:
            return self.known_hosts
        if repo is not None and (repo / "known_hosts").exists():
            return repo / "known_hosts"
        return Path("~/.ssh/known_hosts").expanduser()

    def with_overrides(self, *, parallelism: int | None = None, timeout: float | None = None) -> SshConfig:
        return replace(
            self,
            parallelism=parallelism if parallelism is not None else self.parallelism,
            timeout=timeout if timeout is not None else self.timeout,
        )


def _target(host: str, settings: Mapping[str, Any]) -> SshTarget:
    key_file = settings.get("key_file")
    return SshTarget(
        host=host,
        address=str(settings.get("address") or host),
        port=int(settings.get("port", 22)),
        user=str(settings.get("user", "root")),
        key_file=str(Path(key_file).expanduser()) if key_file else None,
        password_env=str(settings.get("password_env", DEFAULT_PASSWORD_ENV)),
        remote_root=str(settings.get("remote_root", "/")),
    )


def from_settings(settings: HostFilesConfig | None, *, base: Path | None = None) -> SshConfig:
    """The SSH settings of the ``host_files`` section (validated by the configuration loader); defaults for None.
    A relative ``known_hosts`` resolves against ``base`` (the state repo)."""
    if settings is None:
        return SshConfig()
    known_path = None
    if settings.known_hosts is not None:
        known_path = Path(settings.known_hosts).expanduser()
        if not known_path.is_absolute() and base is not None:
            known_path = base / known_path
    rules = tuple(
        HostRule(pattern, host.model_dump(exclude_defaults=False)) for pattern, host in settings.hosts.items()
    )
    return SshConfig(
        parallelism=settings.parallelism,
        timeout=settings.timeout,
        known_hosts=known_path,
        redact=(*DEFAULT_REDACT, *settings.redact),
        rules=rules,
    )


def _keyring_password(account: str) -> str | None:
    try:
        import keyring  # optional dependency, imported only when a password is needed
    except ImportError:
        return None
    try:
        value = keyring.get_password(KEYRING_SERVICE, account)
    except Exception:  # any keyring backend failure means "no password from the keyring"
        return None
    return value if isinstance(value, str) and value else None


def select_hosts(names: Sequence[str], patterns: Sequence[str]) -> list[str]:
    """The names matching any of the globs (all names when there are none), case-insensitively."""
    if not patterns:
        return list(names)
    return [n for n in names if any(fnmatch.fnmatchcase(n.lower(), p.lower()) for p in patterns)]
