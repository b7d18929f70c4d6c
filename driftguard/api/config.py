"""The configuration in force: ``driftguard.yaml`` at the state repo's root (docs/configuration.md), the files it
replaces (read for one more release, with a deprecation warning), ``DRIFTGUARD_*`` environment variables and flags.

Precedence, for every setting: **flag > environment variable > driftguard.yaml > default**. :func:`resolve_connection`
applies it to the connection settings of one vCenter; the CLI passes the flags the user gave (``None`` for a flag
not given: a flag's default must not hide the file's value).
"""

from __future__ import annotations

import contextlib
import json
import os
import sys
import tempfile
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import Any

from pydantic import Field, SecretStr, ValidationError
from pydantic_settings import BaseSettings, SettingsConfigDict

from driftguard import baseline, policy, store
from driftguard.api._common import Connection, OperationalError, UsageError
from driftguard.baseline import config as loader
from driftguard.baseline import yamlio
from driftguard.baseline.loader import name_of, shipped_sources
from driftguard.models.config import DriftguardConfig, Exemption, HostFilesConfig, VCenterConfig, ZoneConfig
from driftguard.models.plan import BaselineIssue
from driftguard.models.times import now

CONFIG_FILE = store.CONFIG_FILE
ENV_PREFIX = "DRIFTGUARD_"
DEPRECATED = "driftguard: warning: {file} is deprecated; run `driftguard config migrate`"
SHADOWED = "driftguard: warning: {file} is ignored: driftguard.yaml sets {section} (delete {file})"


class InvalidConfigError(UsageError):
    """Configuration that does not validate (exit 2); ``issues`` name ``file:line:column`` each."""

    def __init__(self, issues: list[BaselineIssue]) -> None:
        self.issues = sorted(issues, key=lambda i: (i.file, i.line or 0, i.column or 0))
        more = f" (and {len(self.issues) - 1} more: driftguard config validate)" if len(self.issues) > 1 else ""
        super().__init__(f"invalid configuration: {self.issues[0]}{more}" if self.issues else "invalid configuration")


# -- warnings -----------------------------------------------------------------------------------------------------


def _to_stderr(message: str) -> None:
    print(message, file=sys.stderr)


warning_handler: Callable[[str], None] = _to_stderr
"""Where deprecation warnings go (one line each, once per process); the CLI may replace it."""
_warned: set[str] = set()


def _warn(message: str) -> None:
    if message not in _warned:
        _warned.add(message)
        warning_handler(message)


# -- loading ------------------------------------------------------------------------------------------------------


def _source(path: Path, name: str) -> loader.Source | None:
    if not path.is_file():
        return None
    try:
        return loader.Source(name, yamlio.read_head(path))
    except OSError as exc:
        raise UsageError(f"{name}: cannot read: {exc.strerror or exc}") from None


def _sources(repo_path: Path | None, config_path: Path | None) -> loader.Sources:
    root = repo_path if repo_path is not None else Path.cwd()
    found: dict[str, loader.Source | None] = {
        "zones": _source(root / store.ZONES_FILE, str(root / store.ZONES_FILE)),
        "ignore": _source(root / store.IGNORE_FILE, str(root / store.IGNORE_FILE)),
        "ssh": _source(root / store.LEGACY_SETTINGS_FILE, str(root / store.LEGACY_SETTINGS_FILE)),
    }
    config = root / CONFIG_FILE
    if config_path is not None and config_path.suffix == ".toml":
        found["ssh"] = _source(config_path, str(config_path))  # the deprecated --config driftguard.toml
        if found["ssh"] is None:
            raise UsageError(f"--config: no such file: {config_path}")
    elif config_path is not None:
        config = config_path
        if not config.is_file():
            raise UsageError(f"--config: no such file: {config_path}")
    return loader.Sources(config=_source(config, str(config)), **found)


def load_config(repo_path: Path | None, config_path: Path | None = None, *, quiet: bool = False) -> loader.LoadedConfig:
    """The configuration of the state repo at ``repo_path`` (``config_path``: another driftguard.yaml, or the
    deprecated driftguard.toml). Raises :class:`InvalidConfigError` with every problem of every file."""
    sources = _sources(repo_path, config_path)
    try:
        loaded = loader.load_config(sources)
    except loader.ConfigError as exc:
        raise InvalidConfigError(exc.issues) from None
    if not quiet:
        for file in loaded.from_legacy:
            _warn(DEPRECATED.format(file=Path(file).name))
        for file, section in loaded.ignored_legacy.items():
            _warn(SHADOWED.format(file=Path(file).name, section=section))
    return loaded


def zones(repo_path: Path, zones_path: Path | None = None) -> ZoneConfig:
    """The zones in force: the file of ``--zones`` when given (the deprecated zones.yaml format), else the
    ``zones`` section of the configuration."""
    if zones_path is None:
        return load_config(repo_path).config.zone_config()
    if not zones_path.is_file():
        raise UsageError(f"--zones: no such file: {zones_path}")
    source = _source(zones_path, str(zones_path))
    assert source is not None  # checked above
    section, issues = loader.parse_zones(source)
    if issues or section is None:
        raise InvalidConfigError(issues)
    return DriftguardConfig(zones=section).zone_config()


def ignore_rules(repo_path: Path) -> list[str]:
    """The ``ignore`` patterns of the configuration (driftguard.yaml, else .driftguardignore)."""
    return load_config(repo_path).config.ignore_patterns()


def host_files(repo_path: Path, config_path: Path | None = None) -> HostFilesConfig:
    """The ``host_files`` (SSH) settings of the configuration."""
    return load_config(repo_path, config_path).config.host_files


def rule_settings(config: DriftguardConfig) -> dict[str, dict[str, Any]]:
    """The ``rules`` section as the policy engine's RuleConfig ``{rule_id: {"enabled", "params"}}``."""
    return {rule_id: setting.model_dump() for rule_id, setting in config.rules.items()}


def rule_config(repo_path: Path) -> dict[str, dict[str, Any]] | None:
    """The policy RuleConfig the configuration sets (None: it sets nothing): the rule settings of the baselines
    named in ``extends``, then the ``rules`` section over them (per rule: ``enabled`` replaced, ``params`` merged).
    Errors are :class:`InvalidConfigError` at the setting's ``file:line:column``."""
    loaded = load_config(repo_path)
    issues = _rule_issues(loaded) + _extends_issues(loaded, repo_path)
    if issues:
        raise InvalidConfigError(issues)
    merged: dict[str, dict[str, Any]] = {}
    if loaded.config.extends:
        try:
            in_force = baseline.load(_repo_baselines(repo_path), names=loaded.config.extends)
        except baseline.BaselineError as exc:
            raise InvalidConfigError(exc.issues) from None
        merged = {k: {"enabled": v["enabled"], "params": dict(v["params"])} for k, v in in_force.rules.items()}
    for rule_id, setting in loaded.config.rules.items():
        entry = merged.setdefault(rule_id, {"enabled": True, "params": {}})
        if "enabled" in setting.model_fields_set:
            entry["enabled"] = setting.enabled
        entry["params"] = {**entry["params"], **setting.params}
    return merged or None


def _repo_baselines(repo_path: Path) -> dict[str, bytes]:
    directory = repo_path / baseline.BASELINE_DIR
    return {f"{baseline.BASELINE_DIR}/{p.name}": yamlio.read_head(p) for p in sorted(directory.glob("*.yaml"))}


def exemptions(
    config: DriftguardConfig, *, today: date | None = None, include_expired: bool = False
) -> list[Exemption]:
    """The finding exemptions in force ``today`` (default: today, UTC); expired ones only with ``include_expired``."""
    day = today or now().date()
    return [e for e in config.exemptions if include_expired or e.active(day)]


# -- validation ---------------------------------------------------------------------------------------------------


def validate_config(repo_path: Path, config_path: Path | None = None) -> list[BaselineIssue]:
    """Every problem of the configuration (``driftguard config validate``): the files' syntax and schema, then the
    rule settings against the rule catalogue and ``extends:`` against the baselines there are. Empty: valid."""
    try:
        loaded = load_config(repo_path, config_path)
    except InvalidConfigError as exc:
        return exc.issues
    return _rule_issues(loaded) + _extends_issues(loaded, repo_path)


def _extends_issues(loaded: loader.LoadedConfig, repo_path: Path) -> list[BaselineIssue]:
    have = {*shipped_sources()} | {name_of(p.name) for p in (repo_path / baseline.BASELINE_DIR).glob("*.yaml")}
    issues = []
    for index, name in enumerate(loaded.config.extends):
        if name not in have:
            file, line, column = loaded.position(["extends", index])
            message = f"extends unknown baseline {name!r} (have: {', '.join(sorted(have))})"
            issues.append(BaselineIssue(file=file, line=line, column=column, message=message))
    return issues


def _rule_issues(loaded: loader.LoadedConfig) -> list[BaselineIssue]:
    settings = rule_settings(loaded.config)
    if not settings:
        return []
    try:
        policy.plan(policy.all_rules(), settings)
    except policy.RuleConfigError as exc:
        issues = []
        for issue in exc.issues:
            loc = [str(p) for p in issue.loc]
            file, line, column = loaded.position(["rules", issue.rule_id, *loc], key=not loc)
            where = ".".join(loc)
            message = f"rules.{issue.rule_id}{'.' + where if where else ''}: {issue.message}"
            issues.append(BaselineIssue(file=file, line=line, column=column, message=message))
        return issues
    except (policy.RuleFailedError, policy.RegistryError) as exc:
        return [BaselineIssue(file=loaded.file or CONFIG_FILE, message=str(exc))]
    return []


# -- environment and flags ----------------------------------------------------------------------------------------


class Settings(BaseSettings):
    """Connection settings from ``DRIFTGUARD_*`` environment variables (``DRIFTGUARD_PAGE_SIZE=200``)."""

    model_config = SettingsConfigDict(
        env_prefix=ENV_PREFIX, extra="ignore", case_sensitive=False, env_ignore_empty=True
    )

    vcenter: str | None = Field(default=None, description="A vcenters name of driftguard.yaml, or a URL.")
    user: str | None = None
    password: SecretStr | None = None
    insecure: bool | None = None
    ca_file: str | None = None
    page_size: int | None = None
    timeout: float | None = None
    deadline: float | None = None


CONNECTION_FIELDS = ("url", "user", "insecure", "ca_file", "page_size", "timeout", "deadline")


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
        # ca_file is resolved but not yet passed on: Connection verifies against the system trust store only
        return Connection(
            url=self.settings.url,
            user=self.settings.user,
            password=self.password,
            insecure=self.settings.insecure,
            page_size=self.settings.page_size,
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
        values: dict[str, Any] = {"name": entry.name, "password_env": entry.password_env}
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
    given = flags.get("password")
    if given is not None:
        return given if isinstance(given, SecretStr) else SecretStr(str(given))
    value = os.environ.get(settings.password_env)
    if value:
        return SecretStr(value)
    return env.password if settings.password_env == f"{ENV_PREFIX}PASSWORD" else None


# -- show and migrate ---------------------------------------------------------------------------------------------


def show_config(repo_path: Path, *, as_json: bool = False) -> str:
    """The effective configuration (``driftguard config show``) as YAML (or JSON): the sections in force, which
    files supplied them, and each vCenter's connection settings after ``DRIFTGUARD_*`` — never a secret."""
    loaded = load_config(repo_path)
    data: dict[str, Any] = {
        "files": {
            "driftguard.yaml": loaded.file,
            **{Path(f).name: f"supplies {s} (deprecated)" for f, s in loaded.from_legacy.items()},
            **{Path(f).name: "ignored (driftguard.yaml wins)" for f in loaded.ignored_legacy},
        },
        **loaded.config.model_dump(mode="json"),
    }
    connections = []
    for entry in loaded.config.vcenters:
        resolved = resolve_connection(loaded.config, entry.name)
        shown = resolved.settings.model_dump(mode="json")
        shown["password"] = f"(set in {resolved.settings.password_env})" if resolved.password else "(not set)"
        shown["from"] = resolved.sources
        connections.append(shown)
    data["vcenters"] = connections
    if as_json:
        return json.dumps(data, indent=2, sort_keys=False) + "\n"
    return yamlio.dump_plain(data)


@dataclass(frozen=True)
class Migration:
    """What ``driftguard config migrate`` did (or would do with ``--dry-run``)."""

    path: Path
    text: str
    migrated: dict[str, str]
    """Deprecated file → section written."""
    kept: list[str]
    """Deprecated files left in place (nothing is removed or renamed)."""
    written: bool


def migrate_config(repo_path: Path, *, dry_run: bool = False) -> Migration:
    """Write (or with ``dry_run`` only show) driftguard.yaml holding the deprecated files' configuration, an
    existing driftguard.yaml kept as written. Atomic: the old file stays whole until the new one is complete.
    Nothing is removed or renamed; the deprecated files are reported as kept."""
    sources = _sources(repo_path, None)
    try:
        loaded = loader.load_config(sources)
        text = loader.migrate(sources)
    except loader.ConfigError as exc:
        raise InvalidConfigError(exc.issues) from None
    path = repo_path / CONFIG_FILE
    kept = sorted(Path(s.file).name for s in sources.legacy().values())
    migrated = {Path(f).name: s for f, s in loaded.from_legacy.items()}
    if not migrated or dry_run:
        return Migration(path, text, migrated, kept, written=False)
    _atomic_write(path, text)
    return Migration(path, text, migrated, kept, written=True)


def _atomic_write(path: Path, text: str) -> None:
    tmp: str | None = None
    try:
        fd, tmp = tempfile.mkstemp(prefix=".driftguard-", suffix=".yaml.tmp", dir=path.parent)
        with os.fdopen(fd, "w", encoding="utf-8") as handle:
            handle.write(text)
            handle.flush()
            os.fsync(handle.fileno())
        Path(tmp).replace(path)
    except OSError as exc:
        raise OperationalError(f"cannot write {path}: {exc.strerror or exc}; {path.name} unchanged") from None
    finally:
        if tmp is not None and Path(tmp).exists():
            with contextlib.suppress(OSError):
                Path(tmp).unlink()


@contextlib.contextmanager
def collected_warnings() -> Iterator[list[str]]:
    """Collect deprecation warnings instead of printing them (tests, or a CLI that renders them itself)."""
    global warning_handler
    seen: list[str] = []
    previous = warning_handler
    warning_handler = seen.append
    _warned.clear()
    try:
        yield seen
    finally:
        warning_handler = previous
