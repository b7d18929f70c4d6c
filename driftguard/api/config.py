"""The configuration in force: ``driftguard.yaml`` at the state repo's root (docs/configuration.md), the files it
replaces (read for one more release, with a deprecation warning), ``DRIFTGUARD_*`` environment variables and flags.

Precedence, for every setting: **flag > environment variable > driftguard.yaml > default**. :func:`resolve_connection`
applies it to the connection settings of one vCenter; the CLI passes the flags the user gave (``None`` for a flag
not given: a flag's default must not hide the file's value).
"""

from __future__ import annotations

import contextlib
import json
import sys
from collections.abc import Callable, Iterator
from datetime import date
from pathlib import Path
from typing import Any

from driftguard import baseline, policy, store
from driftguard.api._common import UsageError
from driftguard.api.connections import resolve_connection
from driftguard.baseline import config as loader
from driftguard.baseline import yamlio
from driftguard.baseline.loader import name_of, shipped_sources
from driftguard.models.config import DriftguardConfig, Exemption, HostFilesConfig, ZoneConfig
from driftguard.models.plan import BaselineIssue
from driftguard.models.times import now

CONFIG_FILE = store.CONFIG_FILE
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


def config_sources(repo_path: Path | None, config_path: Path | None) -> loader.Sources:
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
    sources = config_sources(repo_path, config_path)
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
