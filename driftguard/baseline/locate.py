"""Where in the baselines a rule setting that the policy stage rejected was written (``file:line:column``)."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Protocol

from driftguard.baseline.loader import BaselineSet
from driftguard.models.plan import BaselineIssue


class RuleIssue(Protocol):
    """One rejected rule setting, as the policy stage reports it (``policy.ConfigIssue``)."""

    @property
    def rule_id(self) -> str: ...
    @property
    def loc(self) -> Sequence[str | int]: ...
    @property
    def message(self) -> str: ...


def locate_rule_issues(baselines: BaselineSet, issues: Iterable[RuleIssue]) -> list[BaselineIssue]:
    """Each issue at the ``file:line:column`` of the baseline that set that rule, worded ``rules.ID.loc: why``."""
    located = []
    for issue in issues:
        pos = baselines.locate_rule(issue.rule_id, [str(p) for p in issue.loc])
        where = ".".join(str(p) for p in issue.loc)
        message = f"rules.{issue.rule_id}{'.' + where if where else ''}: {issue.message}"
        located.append(BaselineIssue(file=pos.file, line=pos.line, column=pos.column, message=message))
    return located
