"""Settings of the host-side sources: per-host SSH targets and credentials, limits, redaction patterns.

Read from the ``[ssh]`` table of a TOML config file (``driftguard.toml`` in the state repo, or ``--config``)::

    [ssh]
    parallelism = 8                     # hosts read at once
    timeout = 30                        # seconds per host: connect, login and every read together
    known_hosts = "known_hosts"         # relative to the repo; default <repo>/known_hosts, else ~/.ssh/known_hosts
    redact = ['(?i)community\\s*=\\s*\\S+']  # extra regular expressions whose matches are redacted from file text

    [ssh.hosts."esx01*"]                # fnmatch pattern on the host's name in vCenter; first match wins
    address = "10.0.0.21"               # default: the host's name
    port = 22
    user = "root"
    key_file = "~/.ssh/esx_ed25519"
    password_env = "ESX01_PASSWORD"     # the environment variable that holds the password (never the password)
    remote_root = "/"                   # where the host's filesystem starts (tests point it at a scratch dir)

Passwords never come from the file or a flag: ``password_env`` (default ``DRIFTGUARD_SSH_PASSWORD``), then the OS
keyring (service ``driftguard-ssh``, user ``<user>@<address>``) when the ``keyring`` package is installed.
"""

from __future__ import annotations

import fnmatch
import os
import re
import tomllib
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

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


class ConfigError(ValueError):
    """The config file is missing, unreadable or invalid; the message names the file and the setting."""


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


_TARGET_KEYS = {"address": str, "port": int, "user": str, "key_file": str, "password_env": str, "remote_root": str}


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


def load_config(path: Path | None, *, base: Path | None = None) -> SshConfig:
    """The ``[ssh]`` settings of ``path``; defaults when ``path`` is None. Relative paths resolve against ``base``
    (the state repo), else the file's directory."""
    if path is None:
        return SshConfig()
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except OSError as exc:
        raise ConfigError(f"cannot read config file {path}: {exc.strerror}") from None
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(f"{path}: invalid TOML: {exc}") from None
    return parse_config(data.get("ssh", {}), source=str(path), base=base or path.parent)


def parse_config(ssh: Any, *, source: str = "config", base: Path | None = None) -> SshConfig:
    """Validate an ``[ssh]`` table (already parsed) into :class:`SshConfig`."""
    if not isinstance(ssh, Mapping):
        raise ConfigError(f"{source}: [ssh] must be a table")
    unknown = set(ssh) - {"parallelism", "timeout", "known_hosts", "redact", "hosts"}
    if unknown:
        raise ConfigError(f"{source}: unknown setting(s) in [ssh]: {', '.join(sorted(unknown))}")
    parallelism = _typed(ssh, "parallelism", int, source, DEFAULT_PARALLELISM)
    if parallelism < 1:
        raise ConfigError(f"{source}: ssh.parallelism must be at least 1")
    timeout = float(_typed(ssh, "timeout", (int, float), source, DEFAULT_TIMEOUT))
    if timeout <= 0:
        raise ConfigError(f"{source}: ssh.timeout must be positive")
    known = ssh.get("known_hosts")
    known_path = None
    if known is not None:
        known_path = Path(str(known)).expanduser()
        if not known_path.is_absolute() and base is not None:
            known_path = base / known_path
    extra = ssh.get("redact", [])
    if not isinstance(extra, list) or not all(isinstance(p, str) for p in extra):
        raise ConfigError(f"{source}: ssh.redact must be a list of regular expressions")
    for pattern in extra:
        try:
            re.compile(pattern)
        except re.error as exc:
            raise ConfigError(f"{source}: ssh.redact pattern {pattern!r} is invalid: {exc}") from None
    hosts = ssh.get("hosts", {})
    if not isinstance(hosts, Mapping):
        raise ConfigError(f"{source}: ssh.hosts must be a table of host patterns")
    rules = []
    for pattern, settings in hosts.items():
        if not isinstance(settings, Mapping):
            raise ConfigError(f'{source}: ssh.hosts."{pattern}" must be a table')
        for key, value in settings.items():
            expected = _TARGET_KEYS.get(key)
            if expected is None:
                hint = " (passwords come from password_env or the keyring)" if key == "password" else ""
                raise ConfigError(f'{source}: unknown setting ssh.hosts."{pattern}".{key}{hint}')
            if not isinstance(value, expected) or isinstance(value, bool):
                raise ConfigError(f'{source}: ssh.hosts."{pattern}".{key} must be a {expected.__name__}')
        rules.append(HostRule(str(pattern), dict(settings)))
    return SshConfig(
        parallelism=parallelism,
        timeout=timeout,
        known_hosts=known_path,
        redact=(*DEFAULT_REDACT, *extra),
        rules=tuple(rules),
    )


def _typed(table: Mapping[str, Any], key: str, kind: type | tuple[type, ...], source: str, default: Any) -> Any:
    value = table.get(key, default)
    if not isinstance(value, kind) or isinstance(value, bool):
        raise ConfigError(f"{source}: ssh.{key} has the wrong type")
    return value


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
