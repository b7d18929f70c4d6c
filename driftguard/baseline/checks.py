"""What the baseline schema cannot say, checked after Pydantic: paths and value types against the canonical
model, one check per expectation, regexes that compile, unique ids, ignore patterns that can match. Also the
translation of Pydantic errors into ``file:line:column`` issues, shared with the configuration loader."""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Sequence
from typing import Any

from pydantic import TypeAdapter, ValidationError

from driftguard.baseline import paths, yamlio
from driftguard.baseline.format import CHECKS, BaselineFile, Expectation
from driftguard.models.paths import PathError
from driftguard.models.patterns import ignore_pattern_problem
from driftguard.models.plan import BaselineIssue

SUFFIX = ".yaml"

Report = Callable[..., None]
"""``report(loc, message, *, key=False, offset=0)``: record an issue at a location of the file."""


def validation_issues(exc: ValidationError, tree: Any, file: str) -> list[BaselineIssue]:
    """Every error of a Pydantic validation, located in the YAML tree it was validated from."""
    issues: list[BaselineIssue] = []
    for err in exc.errors():
        loc = [p for p in err["loc"] if not (isinstance(p, str) and p.startswith(("function-", "tagged-union")))]
        key = err["type"] in ("extra_forbidden", "missing")
        if err["type"] == "missing":
            loc = loc[:-1]
        line, column = yamlio.locate(tree, loc, key=key)
        message = f"{loc_text(err['loc'])}: {_msg(err)}"
        issues.append(BaselineIssue(file=file, line=line, column=column, message=message))
    return issues


def loc_text(loc: Iterable[Any]) -> str:
    """``expectations[0].select.kind`` for a Pydantic location."""
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


def reporter(file: str, tree: Any, issues: list[BaselineIssue]) -> Report:
    """A :data:`Report` appending to ``issues``; ``offset`` moves the column (inside a path string)."""

    def report(loc: Sequence[str | int], message: str, *, key: bool = False, offset: int = 0) -> None:
        line, column = yamlio.locate(tree, loc, key=key)
        if column is not None and offset:
            column += offset
        issues.append(BaselineIssue(file=file, line=line, column=column, message=message))

    return report


def semantic_issues(model: BaselineFile, tree: Any, file: str) -> list[BaselineIssue]:
    issues: list[BaselineIssue] = []
    report = reporter(file, tree, issues)
    seen: dict[str, int] = {}
    for index, exp in enumerate(model.expectations):
        base: list[str | int] = ["expectations", index]
        if exp.id in seen:
            report([*base, "id"], f"duplicate expectation id {exp.id!r} (first at expectations[{seen[exp.id]}])")
        seen.setdefault(exp.id, index)
        _expectation_issues(exp, base, tree, report)
    for index, pattern in enumerate(model.ignore):
        problem = ignore_pattern_problem(pattern)
        if problem:
            report(["ignore", index], problem)
    for index, name in enumerate(model.extends):
        if not name or "/" in name or name.endswith(SUFFIX):
            report(["extends", index], f"extends names a baseline without directory or {SUFFIX} (got {name!r})")
    return issues


def _expectation_issues(exp: Expectation, base: list[str | int], tree: Any, report: Report) -> None:
    checks = [k for k in CHECKS if k in exp.model_fields_set]
    if not checks:
        report(base, f"expectation {exp.id!r} states no check: give one of {', '.join(CHECKS)}", key=True)
    elif len(checks) > 1 and set(checks) != {"min", "max"}:
        report([*base, checks[1]], f"one check per expectation (got {', '.join(checks)}); min and max may combine")
    try:
        annotation = paths.resolve(exp.select.kind, exp.path)
    except PathError as exc:
        # +1: the column of a quoted scalar is its opening quote
        quoted = yamlio.is_quoted(tree, [*base, "path"])
        report([*base, "path"], f"unknown path {exp.path!r}: {exc}", offset=exc.offset + (1 if quoted else 0))
        return
    for key, message in value_issues(exp, annotation):
        report([*base, key], message)
    if exp.select.cluster is not None and exp.select.kind in ("dvswitch", "datastore"):
        report([*base, "select", "cluster"], f"{exp.select.kind}s are not cluster members: select them by name")


def _fits(adapter: TypeAdapter[Any], types: set[type], value: Any) -> bool:
    if value is None:
        return True  # "must be unset/null": always a possible value of an optional field or missing key
    if isinstance(value, bool) and bool not in types:
        return False  # YAML true is not the number 1
    try:
        adapter.validate_python(value, strict=True)
    except ValidationError:
        return isinstance(value, int) and float in types and not isinstance(value, bool)
    return True


def value_issues(exp: Expectation, annotation: Any) -> list[tuple[str, str]]:
    """(check key, message) for each check whose value cannot be a value of the path's type."""
    out: list[tuple[str, str]] = []
    adapter: TypeAdapter[Any] = TypeAdapter(annotation)
    types = paths.leaf_types(annotation)
    expected_type = _type_text(annotation)
    fields = exp.model_fields_set
    candidates: list[tuple[str, Any]] = []
    if "equals" in fields:
        candidates.append(("equals", exp.equals))
    if "one_of" in fields and exp.one_of is not None:
        bad = [v for v in exp.one_of if not _fits(adapter, types, v)]
        candidates += [("one_of", bad[0])] if bad else []
    for key, value in candidates:
        if not _fits(adapter, types, value):
            out.append((key, f"wrong type for {exp.path}: expected {expected_type}, got {value!r}"))
    if "matches" in fields and exp.matches is not None:
        out += _matches_issues(exp.path, exp.matches, types, expected_type)
    for bound in ("min", "max"):
        if bound in fields and not (types & {int, float}):
            out.append((bound, f"{bound} needs a number value; {exp.path} is {expected_type}"))
    if exp.min is not None and exp.max is not None and exp.min > exp.max:
        out.append(("max", f"max {exp.max} is below min {exp.min}"))
    return out


def _matches_issues(path: str, pattern: str, types: set[type], expected_type: str) -> list[tuple[str, str]]:
    out: list[tuple[str, str]] = []
    if str not in types:
        out.append(("matches", f"matches needs a string value; {path} is {expected_type}"))
    try:
        re.compile(pattern)
    except re.error as err:
        out.append(("matches", f"bad regular expression: {err}"))
    return out


def _type_text(annotation: Any) -> str:
    names = sorted(t.__name__ for t in paths.leaf_types(annotation))
    mapping = {"str": "a string", "int": "an integer", "float": "a number", "bool": "a boolean (true/false)"}
    return " or ".join(mapping.get(n, n) for n in names) or str(annotation)
