"""Loading ``driftguard.yaml`` (and, for one more release, the files it replaces) into one
:class:`~driftguard.models.config.DriftguardConfig`, with every problem at ``file:line:column`` in one pass.

The api hands in file contents (:class:`Sources`); nothing here touches the file system or git. The deprecated
files are ``zones.yaml`` (the ``zones`` section), ``.driftguardignore`` (``ignore``) and the ``[ssh]`` table of
``driftguard.toml`` (``host_files``). A section written in ``driftguard.yaml`` wins over its old file, which is then
ignored (and said so); an old file fills a section ``driftguard.yaml`` does not have. :func:`migrate` writes the
old files' content as ``driftguard.yaml`` text, keeping their comments as reasons where it can.
"""

from __future__ import annotations

import re
import tomllib
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from pydantic import BaseModel, ValidationError

from driftguard.baseline import yamlio
from driftguard.baseline.checks import reporter, validation_issues
from driftguard.models.config import DriftguardConfig, HostFilesConfig, IgnoreRule, LegacyZonesFile, ZoneEntry
from driftguard.models.patterns import ignore_pattern_problem
from driftguard.models.plan import BaselineIssue

# The files by the names people know them by, for messages and for telling the legacy formats apart; where they
# live in a state repo is store.layout's (the api reads them there and passes the text in).
CONFIG_FILE = "driftguard.yaml"
ZONES_FILE = "zones.yaml"
IGNORE_FILE = ".driftguardignore"
SSH_CONFIG_FILE = "driftguard.toml"
LEGACY_SECTIONS = {ZONES_FILE: "zones", IGNORE_FILE: "ignore", SSH_CONFIG_FILE: "host_files"}
"""Each deprecated file and the section of driftguard.yaml that replaces it."""
NO_REASON = "no reason was written in {file}: say why this is ignored"


@dataclass(frozen=True)
class Source:
    """One file's content as read (bounded by :func:`.yamlio.read_head`) and the name messages give it."""

    file: str
    data: bytes | str


@dataclass(frozen=True)
class Sources:
    """What the api found in the state repo (None: no such file)."""

    config: Source | None = None
    zones: Source | None = None
    ignore: Source | None = None
    ssh: Source | None = None

    def legacy(self) -> dict[str, Source]:
        found = {ZONES_FILE: self.zones, IGNORE_FILE: self.ignore, SSH_CONFIG_FILE: self.ssh}
        return {name: source for name, source in found.items() if source is not None}


class ConfigError(ValueError):
    """Invalid configuration; ``issues`` name ``file:line:column`` each (every problem, not only the first)."""

    def __init__(self, issues: Sequence[BaselineIssue]) -> None:
        self.issues = list(issues)
        more = f" (and {len(self.issues) - 1} more: driftguard config validate)" if len(self.issues) > 1 else ""
        super().__init__(f"{self.issues[0]}{more}" if self.issues else "invalid configuration")


@dataclass
class LoadedConfig:
    """The configuration in force and where each part came from."""

    config: DriftguardConfig = field(default_factory=DriftguardConfig)
    file: str | None = None
    """The driftguard.yaml read, if any."""
    tree: Any = None
    from_legacy: dict[str, str] = field(default_factory=dict)
    """Deprecated file → the section it supplied."""
    ignored_legacy: dict[str, str] = field(default_factory=dict)
    """Deprecated file → the section of driftguard.yaml that made it ignored."""
    legacy_yaml: dict[str, Any] = field(default_factory=dict)
    """Section → what :func:`migrate` writes for it (zones.yaml's own tree, so its comments stay)."""

    def position(self, loc: Sequence[str | int], *, key: bool = False) -> tuple[str, int | None, int | None]:
        """(file, line, column) of ``loc`` in driftguard.yaml, for errors found after loading."""
        line, column = yamlio.locate(self.tree, loc, key=key) if self.tree is not None else (None, None)
        return self.file or CONFIG_FILE, line, column


def _issue(err: yamlio.ReadError) -> BaselineIssue:
    i = err.issue
    return BaselineIssue(file=i.file, line=i.line, column=i.column, message=i.message)


# -- driftguard.yaml ----------------------------------------------------------------------------------------------


def parse_config(source: Source) -> tuple[DriftguardConfig | None, Any, list[BaselineIssue]]:
    """Validate driftguard.yaml: the model, its tree (positions) and every issue (schema and meaning at once)."""
    tree, issues = _yaml_tree(source)
    if tree is None:
        return None, None, issues
    data = yamlio.plain(tree)
    config: DriftguardConfig | None = None
    try:
        config = DriftguardConfig.model_validate(data)
    except ValidationError as exc:
        issues += validation_issues(exc, tree, source.file)
    issues += _semantic(data, tree, source.file)
    return (config if not issues else None), tree, issues


def _yaml_tree(source: Source) -> tuple[Any, list[BaselineIssue]]:
    try:
        tree = yamlio.load_yaml(source.data, source.file)
    except yamlio.ReadError as exc:
        return None, [_issue(exc)]
    if tree is None:
        return yamlio.new_tree(), []
    if not yamlio.is_mapping(tree):
        return None, [BaselineIssue(file=source.file, line=1, column=1, message="expected a mapping at the top level")]
    return tree, []


def _semantic(data: dict[str, Any], tree: Any, file: str) -> list[BaselineIssue]:
    """What the schema cannot say (checked on the data, so they are reported with the schema's errors): ignore
    patterns that can match, baseline names without directory."""
    issues: list[BaselineIssue] = []
    report = reporter(file, tree, issues)
    ignore = data.get("ignore")
    for index, rule in enumerate(ignore if isinstance(ignore, list) else []):
        pattern = rule.get("pattern") if isinstance(rule, dict) else None
        problem = ignore_pattern_problem(pattern) if isinstance(pattern, str) and pattern else None
        if problem:
            report(["ignore", index, "pattern"], problem)
    extends = data.get("extends")
    for index, name in enumerate([extends] if isinstance(extends, str) else extends or []):
        if isinstance(name, str) and (not name or "/" in name or name.endswith((".yaml", ".yml"))):
            report(["extends", index], f"extends names a baseline without directory or .yaml (got {name!r})")
    return issues


# -- the deprecated files -----------------------------------------------------------------------------------------


def parse_zones(source: Source) -> tuple[dict[str, ZoneEntry] | None, list[BaselineIssue]]:
    """``zones.yaml`` as the ``zones`` section (its ``default_zone`` becomes that zone's ``default: true``)."""
    section, _, issues = _parse_zones(source)
    return section, issues


def _parse_zones(source: Source) -> tuple[dict[str, ZoneEntry] | None, Any, list[BaselineIssue]]:
    tree, issues = _yaml_tree(source)
    if tree is None:
        return None, None, issues
    try:
        legacy = LegacyZonesFile.model_validate(yamlio.plain(tree))
    except ValidationError as exc:
        return None, None, validation_issues(exc, tree, source.file)
    section = {
        name: ZoneEntry(**zone.model_dump(), default=name == legacy.default_zone) for name, zone in legacy.zones.items()
    }
    written = tree.get("zones") if legacy.zones else None
    if written is not None:
        yamlio.keep_leading_comment(written, indent=2)
        if legacy.default_zone is not None:
            written[legacy.default_zone]["default"] = True
    return section, written, []


def parse_ignore(source: Source) -> tuple[list[IgnoreRule] | None, list[BaselineIssue]]:
    """``.driftguardignore``: one pattern per line, ``#`` comment lines; the comment lines just above a pattern
    become its reason. A ``#`` later in a line is part of the pattern (device labels contain one)."""
    try:
        text = yamlio.decode(source.data, source.file)
    except yamlio.ReadError as exc:
        return None, [_issue(exc)]
    rules: list[IgnoreRule] = []
    issues: list[BaselineIssue] = []
    comment: list[str] = []
    for number, line in enumerate(text.splitlines(), start=1):
        stripped = line.strip()
        if not stripped:
            comment = []
        elif stripped.startswith("#"):
            comment.append(stripped.lstrip("#").strip())
        else:
            column = len(line) - len(line.lstrip()) + 1
            problem = ignore_pattern_problem(stripped)
            if problem:
                issues.append(BaselineIssue(file=source.file, line=number, column=column, message=problem))
            reason = " ".join(c for c in comment if c) or NO_REASON.format(file=IGNORE_FILE)
            rules.append(IgnoreRule(pattern=stripped, reason=reason))
            comment = []
    return (rules if not issues else None), issues


_TOML_POSITION = re.compile(r"\(at line (\d+), column (\d+)\)")


def parse_ssh_toml(source: Source) -> tuple[HostFilesConfig | None, list[BaselineIssue]]:
    """The ``[ssh]`` table of ``driftguard.toml`` as the ``host_files`` section."""
    file = source.file
    try:
        text = yamlio.decode(source.data, file)
        yamlio.check_toml_depth(text, file)
    except yamlio.ReadError as exc:
        return None, [_issue(exc)]
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        found = _TOML_POSITION.search(str(exc))
        line, column = (int(found.group(1)), int(found.group(2))) if found else (None, None)
        message = _TOML_POSITION.sub("", str(exc)).strip()
        return None, [BaselineIssue(file=file, line=line, column=column, message=f"not valid TOML: {message}")]
    try:
        return HostFilesConfig.model_validate(data.get("ssh", {})), []
    except ValidationError as exc:
        return None, [_toml_issue(text, file, err) for err in exc.errors()]


def _toml_issue(text: str, file: str, err: Any) -> BaselineIssue:
    """A TOML validation error, located on the line that sets the key (tomllib keeps no positions)."""
    loc = [str(p) for p in err["loc"]]
    line = 1
    names = [p for p in loc if not p.isdigit()]
    if names:
        key = re.escape(names[-1])
        found = re.search(rf'^[ \t]*(?:"{key}"|{key})[ \t]*=|^[ \t]*\[[^\]\n]*"{key}"', text, re.MULTILINE)
        if found:
            line = text.count("\n", 0, found.start()) + 1
    where = "ssh." + ".".join(loc) if loc else "ssh"
    message = str(err["msg"]).removeprefix("Value error, ")
    if err["type"] == "extra_forbidden":
        message = "unknown setting" + (
            " (passwords come from password_env or the keyring)" if "password" in loc else ""
        )
    return BaselineIssue(file=file, line=line, column=1, message=f"{where}: {message}")


def _parse_legacy(name: str, source: Source) -> tuple[Any, Any, list[BaselineIssue]]:
    """(section value, what migrate writes for it, issues) of one deprecated file."""
    if name == ZONES_FILE:
        section, tree, issues = _parse_zones(source)
        return section, tree, issues
    value: Any
    if name == IGNORE_FILE:
        value, issues = parse_ignore(source)
    else:
        value, issues = parse_ssh_toml(source)
    return value, (_section_data(value) if value is not None else None), issues


# -- everything -------------------------------------------------------------------------------------------------


def load_config(sources: Sources) -> LoadedConfig:
    """The configuration in force: driftguard.yaml with any deprecated file filling the section it lacks.
    Raises :class:`ConfigError` with every issue of every file read."""
    issues: list[BaselineIssue] = []
    loaded = LoadedConfig()
    written: set[str] = set()
    if sources.config is not None:
        config, tree, problems = parse_config(sources.config)
        issues += problems
        loaded.file, loaded.tree = sources.config.file, tree
        written = {str(k) for k in tree} if tree is not None else set()
        if config is not None:
            loaded.config = config
    update: dict[str, Any] = {}
    for name, source in sources.legacy().items():
        section = LEGACY_SECTIONS[name]
        if section in written:
            loaded.ignored_legacy[name] = section
            continue
        value, written_yaml, problems = _parse_legacy(name, source)
        issues += problems
        if value is not None:
            update[section] = value
            loaded.from_legacy[name] = section
            loaded.legacy_yaml[section] = written_yaml
    if issues:
        raise ConfigError(issues)
    if update:
        loaded.config = loaded.config.model_copy(update=update)
    return loaded


def migrate(sources: Sources) -> str:
    """driftguard.yaml text holding the configuration of ``sources``: an existing driftguard.yaml kept as written
    (comments included), each deprecated file's content added as its section. Raises :class:`ConfigError`."""
    loaded = load_config(sources)
    tree = loaded.tree if loaded.tree is not None else yamlio.new_tree()
    yamlio.set_key(tree, "version", 1, first=True)
    for name, section in loaded.from_legacy.items():
        note = f"migrated from {name}" + (" (its comments are not carried over)" if name == SSH_CONFIG_FILE else "")
        yamlio.set_key(tree, section, loaded.legacy_yaml[section], comment=note)
    return yamlio.dump_tree(tree)


def _section_data(value: Any) -> Any:
    if isinstance(value, BaseModel):
        return value.model_dump(mode="json", exclude_defaults=True)
    if isinstance(value, list):
        return [_section_data(v) for v in value]
    if isinstance(value, dict):
        return {k: _section_data(v) for k, v in value.items()}
    return value
