"""Loading baselines: bounded YAML with positions (:mod:`.yamlio`), Pydantic validation, the canonical-model checks
(:mod:`.checks`), and the ``extends:`` resolution into one :class:`BaselineSet`.

Every problem is collected (not only the first) as a :class:`~driftguard.models.plan.BaselineIssue` with
``file:line:column`` and what was expected; :class:`BaselineError` carries them all.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from importlib import resources
from typing import Any

from pydantic import ValidationError

from driftguard.baseline import yamlio
from driftguard.baseline.checks import SUFFIX, semantic_issues, validation_issues
from driftguard.baseline.format import BaselineFile, Expectation
from driftguard.models.plan import BaselineIssue

BASELINE_DIR = "baselines"
SHIPPED_PREFIX = "(shipped) "
"""Display prefix of baselines that come with driftguard rather than from the state repo."""

Source = str | bytes
"""A baseline file's content: bytes as read (decoded and size-checked here) or text."""


class BaselineError(ValueError):
    """Invalid baselines; ``issues`` name ``file:line:column`` each."""

    def __init__(self, issues: Sequence[BaselineIssue]) -> None:
        self.issues = list(issues)
        first = str(self.issues[0]) if self.issues else "invalid baseline"
        more = f" (and {len(self.issues) - 1} more)" if len(self.issues) > 1 else ""
        super().__init__(first + more)


@dataclass(frozen=True)
class Position:
    file: str
    line: int | None = None
    column: int | None = None

    def __str__(self) -> str:
        return self.file + (f":{self.line}" if self.line else "") + (f":{self.column}" if self.column else "")


@dataclass(frozen=True)
class Parsed:
    """One valid baseline file with its YAML tree (for positions)."""

    name: str
    file: str
    """Display path: ``baselines/site.yaml``, or ``(shipped) seed-security.yaml``."""
    model: BaselineFile
    tree: Any

    @property
    def shipped(self) -> bool:
        return self.file.startswith(SHIPPED_PREFIX)

    def position(self, loc: Sequence[str | int], *, key: bool = False) -> Position:
        line, column = locate(self.tree, loc, key=key)
        return Position(self.file, line, column)


@dataclass(frozen=True)
class Resolved:
    """An expectation in force, with the baseline (file) that states it."""

    baseline: str
    file: str
    expectation: Expectation
    position: Position
    shipped: bool = False


@dataclass
class BaselineSet:
    """The baselines in force: every file given, each with its ``extends:`` chain resolved."""

    baselines: dict[str, Parsed] = field(default_factory=dict)
    """Every file that was loaded (those asked for and those they extend), by name."""
    selected: list[str] = field(default_factory=list)
    """The names asked for (every file of the repo's ``baselines/`` by default)."""
    expectations: list[Resolved] = field(default_factory=list)
    ignore: list[str] = field(default_factory=list)
    rules: dict[str, dict[str, Any]] = field(default_factory=dict)
    """Merged rule settings ``{rule_id: {"enabled": ..., "params": {...}}}`` (the policy engine's RuleConfig)."""
    rule_positions: dict[str, Position] = field(default_factory=dict)

    def locate_rule(self, rule_id: str, loc: Sequence[str | int] = ()) -> Position:
        """Where a rule's setting (``loc`` inside it, e.g. ``("params", "max")``) was written, for policy errors."""
        for name in reversed(list(self.baselines)):
            parsed = self.baselines[name]
            if rule_id in parsed.model.rules:
                return parsed.position(["rules", rule_id, *loc], key=not loc)
        return self.rule_positions.get(rule_id, Position(BASELINE_DIR))

    @property
    def empty(self) -> bool:
        return not self.selected


def shipped_sources() -> dict[str, str]:
    """The baselines shipped with driftguard (``baselines/`` of the project), name → YAML text."""
    root = resources.files("driftguard.baseline").joinpath("shipped")
    out: dict[str, str] = {}
    for entry in root.iterdir():
        if entry.name.endswith(SUFFIX):
            out[entry.name[: -len(SUFFIX)]] = entry.read_text(encoding="utf-8")
    return dict(sorted(out.items()))


# -- one file -------------------------------------------------------------------------------------------------


def locate(tree: Any, loc: Sequence[str | int], *, key: bool = False) -> tuple[int | None, int | None]:
    """1-based (line, column) of ``loc`` in a baseline's YAML tree (see :func:`.yamlio.locate`)."""
    return yamlio.locate(tree, loc, key=key)


def parse_file(name: str, file: str, text: Source) -> tuple[Parsed | None, list[BaselineIssue]]:
    """Parse and validate one baseline file on its own (``extends:`` is resolved by :func:`load`)."""
    try:
        tree = yamlio.load_yaml(text, file)
    except yamlio.ReadError as exc:
        i = exc.issue
        return None, [BaselineIssue(file=i.file, line=i.line, column=i.column, message=i.message)]
    if tree is None:
        tree = yamlio.new_tree()
    if not yamlio.is_mapping(tree):
        return None, [BaselineIssue(file=file, line=1, column=1, message="expected a mapping at the top level")]
    try:
        model = BaselineFile.model_validate(yamlio.plain(tree))
    except ValidationError as exc:
        return None, validation_issues(exc, tree, file)
    issues = semantic_issues(model, tree, file)
    return (Parsed(name=name, file=file, model=model, tree=tree) if not issues else None), issues


# -- the set --------------------------------------------------------------------------------------------------

Inherited = tuple[list[Resolved], list[str], dict[str, dict[str, Any]]]
"""What one baseline brings with its ``extends:`` chain: expectations, ignore patterns, rule settings."""


class _Resolver:
    """Parses each baseline once and resolves ``extends:`` chains, collecting every issue on the way."""

    def __init__(self, files: Mapping[str, Source], shipped: Mapping[str, str]) -> None:
        self.files = files
        self.shipped = shipped
        self.by_name = {name_of(path): path for path in sorted(files)}
        self.parsed: dict[str, Parsed | None] = {}
        self.resolved: dict[str, Inherited] = {}
        self.issues: list[BaselineIssue] = []

    def known(self, name: str) -> bool:
        return name in self.by_name or name in self.shipped

    def have(self) -> str:
        return ", ".join(sorted({*self.by_name, *self.shipped})) or "none"

    def get(self, name: str) -> Parsed | None:
        if name not in self.parsed:
            if name in self.by_name:
                file = self.by_name[name]
                text: Source = self.files[file]
            else:
                file = f"{SHIPPED_PREFIX}{name}{SUFFIX}"
                text = self.shipped[name]
            result, problems = parse_file(name, file, text)
            self.parsed[name] = result
            self.issues.extend(problems)
        return self.parsed[name]

    def resolve(self, name: str, chain: tuple[str, ...] = ()) -> Inherited:
        if name in self.resolved:
            return self.resolved[name]
        item = self.get(name)
        if item is None:
            return [], [], {}
        exps, ignore, rules = self._inherit(item, (*chain, name))
        for index, exp_id in enumerate(item.model.remove):
            if exp_id not in exps:
                message = f"remove: no inherited expectation {exp_id!r}"
                self.issues.append(_at(item.position(["remove", index]), message))
            exps.pop(exp_id, None)
        for index, exp in enumerate(item.model.expectations):
            pos = item.position(["expectations", index], key=True)
            exps[exp.id] = Resolved(name, item.file, exp, pos, item.shipped)
        ignore += [i for i in item.model.ignore if i not in ignore]
        for rule_id, rule_setting in item.model.rules.items():
            setting: dict[str, Any] = {"params": dict(rule_setting.params)}
            if "enabled" in rule_setting.model_fields_set:
                setting["enabled"] = rule_setting.enabled
            rules[rule_id] = _merge_rule(rules.get(rule_id), setting)
        self.resolved[name] = (list(exps.values()), ignore, rules)
        return self.resolved[name]

    def _inherit(
        self, item: Parsed, chain: tuple[str, ...]
    ) -> tuple[dict[str, Resolved], list[str], dict[str, dict[str, Any]]]:
        exps: dict[str, Resolved] = {}
        ignore: list[str] = []
        rules: dict[str, dict[str, Any]] = {}
        for index, parent in enumerate(item.model.extends):
            pos = item.position(["extends", index])
            if parent in chain:
                self.issues.append(_at(pos, f"extends cycle: {' → '.join([*chain, parent])}"))
                continue
            if not self.known(parent):
                self.issues.append(_at(pos, f"extends unknown baseline {parent!r} (have: {self.have()})"))
                continue
            p_exps, p_ignore, p_rules = self.resolve(parent, chain)
            exps.update({r.expectation.id: r for r in p_exps})
            ignore += [i for i in p_ignore if i not in ignore]
            for rule_id, setting in p_rules.items():
                rules[rule_id] = _merge_rule(rules.get(rule_id), setting)
        return exps, ignore, rules


def load(
    files: Mapping[str, Source],
    *,
    names: Sequence[str] | None = None,
    shipped: Mapping[str, str] | None = None,
) -> BaselineSet:
    """Load baselines from ``files`` (repo path such as ``baselines/site.yaml`` → YAML bytes or text).

    ``names`` picks baselines by name (default: every file given). ``extends:`` resolves to a file given, else to
    a shipped baseline. Raises :class:`BaselineError` with every issue found.
    """
    resolver = _Resolver(files, shipped_sources() if shipped is None else shipped)
    wanted = list(names) if names is not None else list(resolver.by_name)
    missing = [
        BaselineIssue(file=BASELINE_DIR, message=f"no baseline named {name!r} (have: {resolver.have()})")
        for name in wanted
        if not resolver.known(name)
    ]
    if missing:
        raise BaselineError(missing)
    result = BaselineSet(selected=wanted)
    seen: set[tuple[str, str]] = set()
    for name in wanted:
        exps, ignore, rules = resolver.resolve(name)
        for r in exps:
            if (r.baseline, r.expectation.id) not in seen:
                seen.add((r.baseline, r.expectation.id))
                result.expectations.append(r)
        result.ignore += [i for i in ignore if i not in result.ignore]
        for rule_id, setting in rules.items():
            result.rules[rule_id] = _merge_rule(result.rules.get(rule_id), setting)
    if resolver.issues:
        raise BaselineError(_dedupe(resolver.issues))
    result.baselines = {name: p for name, p in resolver.parsed.items() if p is not None}
    for rule_id in result.rules:
        result.rule_positions[rule_id] = result.locate_rule(rule_id)
    result.rules = {k: {"enabled": v.get("enabled", True), "params": v["params"]} for k, v in result.rules.items()}
    return result


def _merge_rule(old: dict[str, Any] | None, new: dict[str, Any]) -> dict[str, Any]:
    if old is None:
        return {**new, "params": dict(new.get("params", {}))}
    merged = {**old, **{k: v for k, v in new.items() if k != "params"}}
    merged["params"] = {**old.get("params", {}), **new.get("params", {})}
    return merged


def _at(pos: Position, message: str) -> BaselineIssue:
    return BaselineIssue(file=pos.file, line=pos.line, column=pos.column, message=message)


def _dedupe(issues: Iterable[BaselineIssue]) -> list[BaselineIssue]:
    out: list[BaselineIssue] = []
    for i in issues:
        if i not in out:
            out.append(i)
    return out


def name_of(path: str) -> str:
    """The baseline name of a file path: its base name without ``.yaml`` (or ``.yml``)."""
    base = path.replace("\\", "/").rsplit("/", 1)[-1]
    for suffix in (SUFFIX, ".yml"):
        if base.endswith(suffix):
            return base[: -len(suffix)]
    return base


def is_baseline_path(path: str) -> bool:
    """Whether a repo path is a baseline file: ``baselines/<name>.yaml`` (not in a subdirectory)."""
    return path.startswith(BASELINE_DIR + "/") and path.endswith(SUFFIX) and path.count("/") == 1
