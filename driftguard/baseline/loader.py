"""Loading baselines: YAML with positions (ruamel.yaml), Pydantic validation, the canonical-model checks, and the
``extends:`` resolution into one :class:`BaselineSet`.

Every problem is collected (not only the first) as a :class:`~driftguard.models.plan.BaselineIssue` with
``file:line:column`` and what was expected; :class:`BaselineError` carries them all. ruamel.yaml is used only in
this package (an import-linter contract, shared with the zone file of the policy stage).
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from importlib import resources
from typing import Any

from pydantic import TypeAdapter, ValidationError
from ruamel.yaml import YAML
from ruamel.yaml.comments import CommentedMap, CommentedSeq
from ruamel.yaml.error import MarkedYAMLError, YAMLError

from driftguard.baseline import paths
from driftguard.baseline.format import CHECKS, BaselineFile, Expectation
from driftguard.models.patterns import ignore_pattern_problem
from driftguard.models.plan import BaselineIssue

BASELINE_DIR = "baselines"
SUFFIX = ".yaml"
SHIPPED_PREFIX = "(shipped) "
"""Display prefix of baselines that come with driftguard rather than from the state repo."""


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


# -- positions ------------------------------------------------------------------------------------------------


def locate(tree: Any, loc: Sequence[str | int], *, key: bool = False) -> tuple[int | None, int | None]:
    """1-based (line, column) of the deepest node of ``loc`` in a ruamel round-trip tree: the value's position,
    or the key's with ``key`` (for unknown keys and missing fields, the mapping that should hold them)."""
    node = tree
    line: int | None = None
    column: int | None = None
    if getattr(tree, "lc", None) is not None:
        line, column = tree.lc.line + 1, tree.lc.col + 1
    for index, part in enumerate(loc):
        last = index == len(loc) - 1
        if isinstance(node, CommentedMap) and part in node:
            if key and last:
                kl, kc = node.lc.key(part)
            else:
                kl, kc = node.lc.value(part)
            line, column = kl + 1, kc + 1
            node = node[part]
        elif isinstance(node, CommentedSeq) and isinstance(part, int) and 0 <= part < len(node):
            il, ic = node.lc.item(part)
            line, column = il + 1, ic + 1
            node = node[part]
        else:
            break
    return line, column


def _plain(data: Any) -> Any:
    if isinstance(data, dict):
        return {str(k) if not isinstance(k, str) else k: _plain(v) for k, v in data.items()}
    if isinstance(data, list):
        return [_plain(v) for v in data]
    return data


# -- one file -------------------------------------------------------------------------------------------------


def parse_file(name: str, file: str, text: str) -> tuple[Parsed | None, list[BaselineIssue]]:
    """Parse and validate one baseline file on its own (``extends:`` is resolved by :func:`load`)."""
    yaml = YAML(typ="rt")
    yaml.allow_duplicate_keys = False
    try:
        tree = yaml.load(text)
    except MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        line = mark.line + 1 if mark else None
        column = mark.column + 1 if mark else None
        problem = " ".join(p for p in (exc.context, exc.problem) if p) or "syntax error"
        return None, [BaselineIssue(file=file, line=line, column=column, message=f"not valid YAML: {problem}")]
    except YAMLError as exc:
        return None, [BaselineIssue(file=file, message=f"not valid YAML: {str(exc).splitlines()[0]}")]
    if tree is None:
        tree = CommentedMap()
    if not isinstance(tree, CommentedMap):
        return None, [BaselineIssue(file=file, line=1, column=1, message="expected a mapping at the top level")]
    issues: list[BaselineIssue] = []
    try:
        model = BaselineFile.model_validate(_plain(tree))
    except ValidationError as exc:
        for err in exc.errors():
            loc = [p for p in err["loc"] if not (isinstance(p, str) and p.startswith(("function-", "tagged-union")))]
            key = err["type"] in ("extra_forbidden", "missing")
            if err["type"] == "missing":
                loc = loc[:-1]
            line, column = locate(tree, loc, key=key)
            where = _loc_text(err["loc"])
            issues.append(BaselineIssue(file=file, line=line, column=column, message=f"{where}: {_msg(err)}"))
        return None, issues
    parsed = Parsed(name=name, file=file, model=model, tree=tree)
    issues += _semantic_issues(parsed)
    return (parsed if not issues else None), issues


def _loc_text(loc: Iterable[Any]) -> str:
    text = ""
    for part in loc:
        if isinstance(part, int):
            text += f"[{part}]"
        elif isinstance(part, str) and part.startswith(("function-", "tagged-union")):
            continue
        else:
            text += f".{part}" if text else str(part)
    return text or "(top level)"


def _msg(err: Any) -> str:
    kind = err["type"]
    if kind == "extra_forbidden":
        return "unknown field"
    if kind == "missing":
        return f"missing required field {err['loc'][-1]!r}"
    if kind == "literal_error":
        return f"expected {err['ctx']['expected']}, got {err['input']!r}"
    return str(err["msg"]).removeprefix("Value error, ")


def _semantic_issues(parsed: Parsed) -> list[BaselineIssue]:
    """What the schema cannot say: paths and value types against the canonical model, one check per
    expectation, regexes that compile, unique ids, ignore patterns that can match."""
    issues: list[BaselineIssue] = []

    def issue(loc: Sequence[str | int], message: str, *, key: bool = False, offset: int = 0) -> None:
        pos = parsed.position(loc, key=key)
        column = pos.column + offset if pos.column is not None and offset else pos.column
        issues.append(BaselineIssue(file=parsed.file, line=pos.line, column=column, message=message))

    seen: dict[str, int] = {}
    for index, exp in enumerate(parsed.model.expectations):
        base: list[str | int] = ["expectations", index]
        if exp.id in seen:
            issue([*base, "id"], f"duplicate expectation id {exp.id!r} (first at expectations[{seen[exp.id]}])")
        seen.setdefault(exp.id, index)
        checks = [k for k in CHECKS if k in exp.model_fields_set]
        if not checks:
            issue(base, f"expectation {exp.id!r} states no check: give one of {', '.join(CHECKS)}", key=True)
        elif len(checks) > 1 and set(checks) != {"min", "max"}:
            issue([*base, checks[1]], f"one check per expectation (got {', '.join(checks)}); min and max may combine")
        try:
            annotation = paths.resolve(exp.select.kind, exp.path)
        except paths.PathError as exc:
            # +1: the column of a quoted scalar is its opening quote
            quoted = _quoted(parsed.tree, [*base, "path"])
            issue([*base, "path"], f"unknown path {exp.path!r}: {exc}", offset=exc.offset + (1 if quoted else 0))
            continue
        issues_for_value = _value_issues(exp, annotation)
        for key, message in issues_for_value:
            issue([*base, key], message)
        if exp.select.cluster is not None and exp.select.kind in ("dvswitch", "datastore"):
            issue([*base, "select", "cluster"], f"{exp.select.kind}s are not cluster members: select them by name")
    for index, pattern in enumerate(parsed.model.ignore):
        problem = ignore_pattern_problem(pattern)
        if problem:
            issue(["ignore", index], problem)
    for index, name in enumerate(parsed.model.extends):
        if not name or "/" in name or name.endswith(SUFFIX):
            issue(["extends", index], f"extends names a baseline without directory or {SUFFIX} (got {name!r})")
    return issues


def _quoted(tree: Any, loc: Sequence[str | int]) -> bool:
    node = tree
    for part in loc[:-1]:
        try:
            node = node[part]
        except (KeyError, IndexError, TypeError):
            return False
    value = node.get(loc[-1]) if isinstance(node, CommentedMap) else None
    return type(value).__name__ in ("DoubleQuotedScalarString", "SingleQuotedScalarString")


def _value_issues(exp: Expectation, annotation: Any) -> list[tuple[str, str]]:
    out: list[tuple[str, str]] = []
    adapter: TypeAdapter[Any] = TypeAdapter(annotation)
    types = paths.leaf_types(annotation)
    expected_type = _type_text(annotation)

    def fits(value: Any) -> bool:
        if value is None:
            return True  # "must be unset/null": always a possible value of an optional field or missing key
        if isinstance(value, bool) and bool not in types:
            return False  # YAML true is not the number 1
        try:
            adapter.validate_python(value, strict=True)
        except ValidationError:
            return isinstance(value, int) and float in types and not isinstance(value, bool)
        return True

    fields = exp.model_fields_set
    if "equals" in fields and not fits(exp.equals):
        out.append(("equals", f"wrong type for {exp.path}: expected {expected_type}, got {exp.equals!r}"))
    if "one_of" in fields and exp.one_of is not None:
        for value in exp.one_of:
            if not fits(value):
                out.append(("one_of", f"wrong type for {exp.path}: expected {expected_type}, got {value!r}"))
                break
    if "matches" in fields and exp.matches is not None:
        if str not in types:
            out.append(("matches", f"matches needs a string value; {exp.path} is {expected_type}"))
        try:
            re.compile(exp.matches)
        except re.error as err:
            out.append(("matches", f"bad regular expression: {err}"))
    for bound in ("min", "max"):
        if bound in fields and not (types & {int, float}):
            out.append((bound, f"{bound} needs a number value; {exp.path} is {expected_type}"))
    if exp.min is not None and exp.max is not None and exp.min > exp.max:
        out.append(("max", f"max {exp.max} is below min {exp.min}"))
    return out


def _type_text(annotation: Any) -> str:
    names = sorted(t.__name__ for t in paths.leaf_types(annotation))
    mapping = {"str": "a string", "int": "an integer", "float": "a number", "bool": "a boolean (true/false)"}
    return " or ".join(mapping.get(n, n) for n in names) or str(annotation)


# -- the set --------------------------------------------------------------------------------------------------


def load(
    files: Mapping[str, str],
    *,
    names: Sequence[str] | None = None,
    shipped: Mapping[str, str] | None = None,
) -> BaselineSet:
    """Load baselines from ``files`` (repo path such as ``baselines/site.yaml`` → YAML text).

    ``names`` picks baselines by name (default: every file given). ``extends:`` resolves to a file given, else to
    a shipped baseline. Raises :class:`BaselineError` with every issue found.
    """
    shipped = shipped_sources() if shipped is None else shipped
    by_name = {name_of(path): path for path in sorted(files)}
    wanted = list(names) if names is not None else list(by_name)
    issues: list[BaselineIssue] = []
    for name in wanted:
        if name not in by_name and name not in shipped:
            have = ", ".join(sorted({*by_name, *shipped})) or "none"
            issues.append(BaselineIssue(file=BASELINE_DIR, message=f"no baseline named {name!r} (have: {have})"))
    if issues:
        raise BaselineError(issues)

    parsed: dict[str, Parsed | None] = {}

    def get(name: str) -> Parsed | None:
        if name not in parsed:
            if name in by_name:
                file = by_name[name]
                text = files[file]
            else:
                file = f"{SHIPPED_PREFIX}{name}{SUFFIX}"
                text = shipped[name]
            result, problems = parse_file(name, file, text)
            parsed[name] = result
            issues.extend(problems)
        return parsed[name]

    resolved: dict[str, tuple[list[Resolved], list[str], dict[str, dict[str, Any]]]] = {}

    def resolve(name: str, chain: tuple[str, ...]) -> tuple[list[Resolved], list[str], dict[str, dict[str, Any]]]:
        if name in resolved:
            return resolved[name]
        item = get(name)
        if item is None:
            return [], [], {}
        exps: dict[str, Resolved] = {}
        ignore: list[str] = []
        rules: dict[str, dict[str, Any]] = {}
        for index, parent in enumerate(item.model.extends):
            pos = item.position(["extends", index])
            if parent in (*chain, name):
                cycle = " → ".join([*chain, name, parent])
                issues.append(_at(pos, f"extends cycle: {cycle}"))
                continue
            if parent not in by_name and parent not in shipped:
                have = ", ".join(sorted({*by_name, *shipped}))
                issues.append(_at(pos, f"extends unknown baseline {parent!r} (have: {have})"))
                continue
            p_exps, p_ignore, p_rules = resolve(parent, (*chain, name))
            exps.update({r.expectation.id: r for r in p_exps})
            ignore += [i for i in p_ignore if i not in ignore]
            for rule_id, setting in p_rules.items():
                rules[rule_id] = _merge_rule(rules.get(rule_id), setting)
        for index, exp_id in enumerate(item.model.remove):
            if exp_id not in exps:
                issues.append(_at(item.position(["remove", index]), f"remove: no inherited expectation {exp_id!r}"))
            exps.pop(exp_id, None)
        for index, exp in enumerate(item.model.expectations):
            pos = item.position(["expectations", index], key=True)
            exps[exp.id] = Resolved(name, item.file, exp, pos, item.shipped)
        ignore += [i for i in item.model.ignore if i not in ignore]
        for rule_id, rule_setting in item.model.rules.items():
            setting = {"enabled": rule_setting.enabled, "params": dict(rule_setting.params)}
            if "enabled" not in rule_setting.model_fields_set:
                setting.pop("enabled")
            rules[rule_id] = _merge_rule(rules.get(rule_id), setting)
        resolved[name] = (list(exps.values()), ignore, rules)
        return resolved[name]

    result = BaselineSet(selected=wanted)
    seen: set[tuple[str, str]] = set()
    for name in wanted:
        exps, ignore, rules = resolve(name, ())
        for r in exps:
            key = (r.baseline, r.expectation.id)
            if key not in seen:
                seen.add(key)
                result.expectations.append(r)
        result.ignore += [i for i in ignore if i not in result.ignore]
        for rule_id, setting in rules.items():
            result.rules[rule_id] = _merge_rule(result.rules.get(rule_id), setting)
    if issues:
        raise BaselineError(_dedupe(issues))
    result.baselines = {name: p for name, p in parsed.items() if p is not None}
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
