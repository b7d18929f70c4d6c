"""The rule contract: one class per module with ``id``, ``name``, ``severity``, ``tags``, a typed ``Params`` model
and a pure ``check``. The class docstring is the rule's documentation (``driftguard rules show ID``).
"""

from __future__ import annotations

import re
from abc import ABC, abstractmethod
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, ClassVar

from pydantic import BaseModel, ConfigDict

from driftguard.models import Finding, Kind, Severity, Snapshot, SnapshotObject

if TYPE_CHECKING:
    from driftguard.policy.context import RuleContext

RULE_ID = re.compile(r"^[A-Z][A-Z0-9]*(-[A-Z0-9]+)+$")
"""``DG-VMOTION-001``; third-party rules use their own prefix (``ACME-NET-001``)."""
RULE_NAME = re.compile(r"^[a-z][a-z0-9]*(-[a-z0-9]+)*$")
SECTIONS = ("Why", "Non-compliant", "Compliant")
"""Docstring sections every rule must have, each opened by ``*Section*:``."""


class RuleParams(BaseModel):
    """Base of every rule's parameters: defaults are the seed chapter's values; unknown keys are errors."""

    model_config = ConfigDict(extra="forbid", frozen=True)


class NoParams(RuleParams):
    """For rules without parameters."""


@dataclass(frozen=True)
class RuleDoc:
    """A rule docstring split into its parts."""

    title: str
    body: str
    sections: dict[str, str]


def parse_doc(doc: str | None) -> RuleDoc:
    """Title (first line), the whole body, and the ``*Why*`` / ``*Non-compliant*`` / ``*Compliant*`` sections."""
    text = _dedent(doc or "")
    title, _, body = text.partition("\n")
    sections: dict[str, str] = {}
    matches = list(re.finditer(r"^\*(Why|Non-compliant|Compliant)\*:?\s*", body, flags=re.MULTILINE))
    for i, m in enumerate(matches):
        end = matches[i + 1].start() if i + 1 < len(matches) else len(body)
        sections[m.group(1)] = body[m.end() : end].strip()
    return RuleDoc(title=title.strip(), body=body.strip(), sections=sections)


def _dedent(doc: str) -> str:
    lines = doc.expandtabs().splitlines()
    if not lines:
        return ""
    rest = [ln for ln in lines[1:] if ln.strip()]
    indent = min((len(ln) - len(ln.lstrip()) for ln in rest), default=0)
    return "\n".join([lines[0].strip(), *(ln[indent:] for ln in lines[1:])]).strip()


class Rule(ABC):
    """Base class of policy rules. Subclasses set the class attributes and implement :meth:`check`.

    Rules hold no state: ``check`` reads only its arguments, so the engine may run one instance for every
    snapshot and in any order.
    """

    id: ClassVar[str]
    name: ClassVar[str]
    severity: ClassVar[Severity]
    tags: ClassVar[tuple[str, ...]] = ()
    Params: ClassVar[type[RuleParams]] = NoParams

    @abstractmethod
    def check(self, snapshot: Snapshot, context: RuleContext, params: Any) -> Iterator[Finding]:
        """Yield a finding for every violation in ``snapshot`` (and in ``context``: drift, events, zones)."""

    def history_events(self, params: Any) -> tuple[str, ...]:
        """Event types (globs) this rule reads from the history beyond the events that explain drift.

        The snapshot commit keeps these in its stored history, so the rule works on stored snapshots too, not
        only on ``--live`` checks. Tasks are matched by ``descriptionId``.
        """
        return ()

    @classmethod
    def doc(cls) -> RuleDoc:
        return parse_doc(cls.__doc__)

    @property
    def title(self) -> str:
        return self.doc().title

    @property
    def description(self) -> str:
        """The docstring without its title line (Markdown)."""
        return self.doc().body

    def finding(
        self,
        snapshot: Snapshot,
        obj: SnapshotObject,
        message: str,
        *,
        path: str | None = None,
        evidence: Mapping[str, Any] | None = None,
        related: Iterable[str] = (),
        severity: Severity | None = None,
    ) -> Finding:
        """A finding of this rule about ``obj`` of ``snapshot``."""
        return self.finding_on(
            snapshot,
            obj.kind,
            obj.id,
            obj.name,
            message,
            path=path,
            evidence=evidence,
            related=related,
            severity=severity,
        )

    def finding_on(
        self,
        snapshot: Snapshot,
        kind: Kind,
        object_id: str,
        name: str,
        message: str,
        *,
        path: str | None = None,
        evidence: Mapping[str, Any] | None = None,
        related: Iterable[str] = (),
        severity: Severity | None = None,
        vcenter: str | None = None,
        location: str | None = None,
    ) -> Finding:
        """A finding about an object named by kind and id (which need not be in ``snapshot``: a removed one).

        ``vcenter`` defaults to the snapshot's (evidence findings name the bundle's); ``location`` is a state-repo
        file for SARIF when it is not the object's own."""
        return Finding(
            rule_id=self.id,
            rule_name=self.name,
            severity=severity or self.severity,
            message=message,
            vcenter=vcenter or snapshot.manifest.vcenter.name,
            kind=kind,
            id=object_id,
            name=name,
            path=path,
            evidence=dict(evidence or {}),
            related=sorted(set(related)),
            location=location,
        )


def join_names(names: Iterable[str], limit: int = 5) -> str:
    """``a, b, c`` or ``a, b, c, d, e and 3 more``: for messages that must stay one line."""
    items = sorted(set(names))
    if len(items) <= limit:
        return ", ".join(items)
    return f"{', '.join(items[:limit])} and {len(items) - limit} more"
