"""Running the catalogue: resolve which rules run with which parameters, run them, order the findings.

Rule configuration is what baselines will set (``extends:`` chains resolve to one of these)::

    {"DG-HIST-003": {"params": {"max_migrations": 5}}, "DG-DRS-001": {"enabled": False}}

Every entry is validated against the rule's ``Params`` model; all problems are collected into one
:class:`RuleConfigError` whose ``issues`` carry the rule id and the location inside the entry, so a baseline
loader can turn them into ``file:line`` messages.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from pydantic import BaseModel, ConfigDict, ValidationError

from driftguard.models import SEVERITIES, Finding, Severity, Snapshot
from driftguard.policy.base import Rule, RuleParams
from driftguard.policy.context import RuleContext


class RuleSetting(BaseModel):
    """One rule's entry in a :data:`RuleConfig`."""

    model_config = ConfigDict(extra="forbid")

    enabled: bool = True
    params: dict[str, Any] = {}


RuleConfig = Mapping[str, RuleSetting | Mapping[str, Any]]
"""Rule id → ``{enabled, params}``: the interface for baselines."""


@dataclass(frozen=True)
class ConfigIssue:
    rule_id: str
    loc: tuple[str | int, ...]
    """Path inside the rule's entry, e.g. ``("params", "max_migrations")``."""
    message: str

    def __str__(self) -> str:
        where = ".".join(str(p) for p in self.loc)
        return f"{self.rule_id}: {where}: {self.message}" if where else f"{self.rule_id}: {self.message}"


class PolicyError(Exception):
    """Base of the policy stage's errors."""


class RuleConfigError(PolicyError):
    """Rule selection or configuration is invalid (a usage error)."""

    def __init__(self, issues: Sequence[ConfigIssue]) -> None:
        self.issues = list(issues)
        super().__init__("; ".join(str(i) for i in self.issues))


class RuleFailedError(PolicyError):
    """A rule raised while checking (a bug in that rule)."""


@dataclass(frozen=True)
class Planned:
    rule: Rule
    params: RuleParams


def plan(
    catalogue: Mapping[str, Rule],
    config: RuleConfig | None = None,
    *,
    select: Iterable[str] | None = None,
    skip: Iterable[str] = (),
) -> list[Planned]:
    """The rules to run, in catalogue order, with validated parameters.

    ``select`` (``--rules``) runs only those ids, even when the configuration disables them; ``skip``
    (``--skip``) removes ids. Unknown ids anywhere are errors, reported together.
    """
    issues: list[ConfigIssue] = []
    selected = _ids(select, catalogue, issues, "--rules") if select is not None else None
    skipped = _ids(skip, catalogue, issues, "--skip")
    settings: dict[str, RuleSetting] = {}
    for rule_id, raw in (config or {}).items():
        if rule_id not in catalogue:
            issues.append(ConfigIssue(rule_id, (), "no such rule"))
            continue
        try:
            settings[rule_id] = raw if isinstance(raw, RuleSetting) else RuleSetting.model_validate(raw)
        except ValidationError as exc:
            issues += [ConfigIssue(rule_id, tuple(e["loc"]), e["msg"]) for e in exc.errors()]
    out: list[Planned] = []
    for rule_id, rule in catalogue.items():
        setting = settings.get(rule_id, RuleSetting())
        try:
            params = rule.Params.model_validate(setting.params)
        except ValidationError as exc:
            issues += [ConfigIssue(rule_id, ("params", *e["loc"]), e["msg"]) for e in exc.errors()]
            continue
        wanted = rule_id in selected if selected is not None else setting.enabled
        if wanted and rule_id not in skipped:
            out.append(Planned(rule, params))
    if issues:
        raise RuleConfigError(issues)
    return out


def _ids(ids: Iterable[str], catalogue: Mapping[str, Rule], issues: list[ConfigIssue], flag: str) -> set[str]:
    out: set[str] = set()
    by_name = {rule.name: rule_id for rule_id, rule in catalogue.items()}
    for raw in ids:
        key = raw.strip()
        if not key:
            continue
        rule_id = key if key in catalogue else by_name.get(key)
        if rule_id is None:
            issues.append(ConfigIssue(key, (), f"no such rule (in {flag})"))
        else:
            out.add(rule_id)
    return out


def run(snapshot: Snapshot, context: RuleContext, planned: Sequence[Planned]) -> list[Finding]:
    """Every finding of the planned rules, most severe first, then by rule, object kind, name and path."""
    findings: list[Finding] = []
    for item in planned:
        try:
            findings.extend(item.rule.check(snapshot, context, item.params))
        except Exception as exc:
            raise RuleFailedError(f"rule {item.rule.id} failed: {type(exc).__name__}: {exc}") from exc
    return sort_findings(findings)


def sort_findings(findings: Iterable[Finding]) -> list[Finding]:
    return sorted(
        findings, key=lambda f: (-SEVERITIES.index(f.severity), f.rule_id, f.kind, f.name, f.id, f.path or "")
    )


def at_or_above(findings: Iterable[Finding], severity: Severity) -> list[Finding]:
    floor = SEVERITIES.index(severity)
    return [f for f in findings if SEVERITIES.index(f.severity) >= floor]
