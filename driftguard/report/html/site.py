"""What the HTML report shows, shaped from the pipeline's models: one row per drift item seen between two
consecutive snapshots, grouped per object, with the findings of the latest snapshot beside them."""

from __future__ import annotations

import hashlib
import json
import re
from collections import Counter, defaultdict
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from driftguard.models import DiffReport, DriftItem, Finding, LogEntry, Manifest
from driftguard.models.findings import CheckReport
from driftguard.report.check import RuleInfo

STATUSES = ("attributed", "unattributed", "unknown")
"""Every attribution status, in the order the charts stack them."""

_SAFE = re.compile(r"[^A-Za-z0-9_.-]")


@dataclass(frozen=True)
class SiteInput:
    """Everything one report is made from (built by ``driftguard.api.report``)."""

    vcenter: str
    generated_at: datetime
    snapshots: Sequence[LogEntry]
    """The snapshots in the range, oldest first."""
    steps: Sequence[DiffReport]
    """One attributed diff per consecutive pair of snapshots whose newer side is in the range, oldest first."""
    check: CheckReport | None
    """The rules and baselines run on the latest snapshot of the range (None when there is none)."""
    rules: Sequence[RuleInfo]
    manifest: Manifest | None
    """The latest snapshot's manifest: object counts and unknowns (coverage)."""
    since: str | None = None
    until: str | None = None


@dataclass(frozen=True)
class Change:
    """One drift item as the report shows it: when the snapshot saw it and which page holds its object."""

    seen: datetime | None
    commit: str
    item: DriftItem
    page: str

    @property
    def status(self) -> str:
        return self.item.attribution.status if self.item.attribution else "unknown"

    @property
    def user(self) -> str:
        return (self.item.attribution.user or "") if self.item.attribution else ""


@dataclass
class ObjectPage:
    kind: str
    id: str
    page: str
    names: list[str] = field(default_factory=list)
    changes: list[Change] = field(default_factory=list)
    findings: list[Finding] = field(default_factory=list)

    @property
    def name(self) -> str:
        return self.names[-1] if self.names else self.id

    @property
    def statuses(self) -> Counter[str]:
        return Counter(c.status for c in self.changes)


def page_name(kind: str, ident: str) -> str:
    """The object page's file name: ``vm-vm-42.html``; an id with other characters gets a digest so two ids can
    never share a page and no id can leave the directory."""
    base = f"{kind}-{ident}"
    safe = _SAFE.sub("_", base)[:80]
    if safe != base:
        safe += "-" + hashlib.sha256(base.encode("utf-8")).hexdigest()[:10]
    return f"objects/{safe}.html"


def changes(steps: Sequence[DiffReport]) -> list[Change]:
    """Every drift item of ``steps``, oldest snapshot first, in each diff's own order."""
    return [
        Change(seen=step.to.collected_at, commit=step.to.ref, item=item, page=page_name(item.kind, item.id))
        for step in steps
        for item in step.items
    ]


def objects(rows: Sequence[Change], findings: Sequence[Finding]) -> dict[tuple[str, str], ObjectPage]:
    """The objects that changed in the range (only those get a page), each with its changes in order and the
    findings about it."""
    pages: dict[tuple[str, str], ObjectPage] = {}
    for row in rows:
        key = (row.item.kind, row.item.id)
        page = pages.setdefault(key, ObjectPage(kind=row.item.kind, id=row.item.id, page=row.page))
        if not page.names or page.names[-1] != row.item.name:
            page.names.append(row.item.name)
        page.changes.append(row)
    for finding in findings:
        if (finding.kind, finding.id) in pages:
            pages[(finding.kind, finding.id)].findings.append(finding)
    return pages


def value_text(value: Any, limit: int) -> str:
    """A drift value as one line of JSON (strings as they are), cut at ``limit`` characters."""
    if value is None:
        return ""
    text = value if isinstance(value, str) else json.dumps(value, ensure_ascii=False, sort_keys=True, default=str)
    return text if len(text) <= limit else text[: limit - 1] + "…"


def pretty(value: Any, limit: int = 4000) -> str:
    """A drift value for an object page: strings as they are, anything else as indented JSON, cut at ``limit``."""
    if value is None:
        return ""
    if isinstance(value, str):
        return value_text(value, limit)
    return value_text(json.dumps(value, ensure_ascii=False, sort_keys=True, indent=2, default=str), limit)


def why(description: str) -> str:
    """The *Why* paragraph of a rule's documentation (the whole description when it has none)."""
    match = re.search(r"\*Why\*:\s*(.*?)(?:\n\s*\n|\Z)", description, re.S)
    text = match.group(1) if match else description
    return " ".join(text.split())


def code_spans(text: str) -> list[tuple[str, bool]]:
    """Markdown text as (segment, is code) pairs: the docstrings mark names with ````double```` or `single`
    backticks; everything else of Markdown stays as typed (the template escapes every segment)."""
    parts = re.split(r"``(.+?)``|`([^`]+)`", text)
    spans: list[tuple[str, bool]] = []
    for i in range(0, len(parts), 3):
        if parts[i]:
            spans.append((parts[i], False))
        if i + 1 < len(parts):
            spans.append((parts[i + 1] or parts[i + 2] or "", True))
    return spans


def per_day(rows: Sequence[Change], key: str) -> dict[str, Counter[str]]:
    """Changes per UTC day of the snapshot that saw them, counted by ``status`` or by ``user``."""
    days: dict[str, Counter[str]] = defaultdict(Counter)
    for row in rows:
        if row.seen is None:
            continue
        label = row.status if key == "status" else (row.user or "")
        days[row.seen.strftime("%Y-%m-%d")][label] += 1
    return days
