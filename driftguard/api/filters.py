"""What part of a report to show: the one :class:`Selector` behind ``--object``, ``--kind``, ``--path``, ``--by``,
``--status`` and ``--severity`` of ``diff``, ``log``, ``history`` and ``check`` (docs/incident-review.md), and the
snapshot commits that ``--since``/``--until`` name."""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from fnmatch import fnmatchcase
from pathlib import Path

from driftguard.api._common import UsageError
from driftguard.api.config import exemptions, load_config
from driftguard.baseline import BaselineSet
from driftguard.diff import diff_snapshots
from driftguard.models import KINDS, SEVERITIES, CheckReport, DiffReport, DriftItem, Finding, Snapshot
from driftguard.models.findings import ExemptedFinding
from driftguard.models.patterns import glob_any, glob_match, name_any
from driftguard.models.suppression import Suppressed, SuppressedBy
from driftguard.models.times import now
from driftguard.store import CONFIG_FILE, SnapshotRef

STATUSES = ("attributed", "unattributed", "unknown")


def user_forms(user: str) -> tuple[str, ...]:
    """A vCenter user as written and without its domain: ``VSPHERE.LOCAL\\carol`` and ``carol@vsphere.local``
    both also read ``carol``; lower case (user names are case-insensitive in vCenter)."""
    folded = user.casefold()
    bare = folded.rpartition("\\")[2].partition("@")[0]
    return (folded, bare) if bare != folded else (folded,)


def user_matches(patterns: Iterable[str], user: str | None) -> bool:
    """Whether the attributed ``user`` matches one of the name globs ``patterns`` (case-insensitive, with or
    without the domain on either side)."""
    if user is None:
        return False
    forms = user_forms(user)
    return any(fnmatchcase(form, wanted) for pattern in patterns for wanted in user_forms(pattern) for form in forms)


@dataclass(frozen=True)
class Selector:
    """The items and findings to keep; every empty criterion keeps everything."""

    objects: tuple[str, ...] = ()
    """Name globs (``web*``) or morefs (``vm-42``) of the objects."""
    kinds: tuple[str, ...] = ()
    paths: tuple[str, ...] = ()
    """Identifier globs on canonical paths (``ha.options["das.*"]``); docs/patterns.md."""
    by: tuple[str, ...] = ()
    """Name globs on the attributed user (not ``--user``, the vCenter login)."""
    status: tuple[str, ...] = ()
    severity: str | None = None
    """The lowest severity kept."""

    @classmethod
    def build(
        cls,
        *,
        objects: Sequence[str] = (),
        kinds: Sequence[str] = (),
        paths: Sequence[str] = (),
        by: Sequence[str] = (),
        status: Sequence[str] = (),
        severity: str | None = None,
    ) -> Selector:
        """A selector from option values; an unknown kind, status or severity is a usage error."""
        for option, values, known in (("--kind", kinds, KINDS), ("--status", status, STATUSES)):
            for value in values:
                if value not in known:
                    raise UsageError(f"{option} {value!r}: not one of {', '.join(known)}")
        if severity is not None and severity not in SEVERITIES:
            raise UsageError(f"--severity {severity!r}: not one of {', '.join(SEVERITIES)}")
        return cls(tuple(objects), tuple(kinds), tuple(paths), tuple(by), tuple(status), severity)

    @property
    def empty(self) -> bool:
        return not (self.objects or self.kinds or self.paths or self.by or self.status or self.severity)

    def _object(self, kind: str, ident: str, name: str, path: str | None, severity: str) -> bool:
        if self.objects and not (ident in self.objects or name_any(self.objects, name)):
            return False
        if self.kinds and kind not in self.kinds:
            return False
        if self.paths and not glob_any(self.paths, path or ""):
            return False
        return self.severity is None or SEVERITIES.index(severity) >= SEVERITIES.index(self.severity)

    def keeps(self, item: DriftItem) -> bool:
        """Whether the drift item ``item`` is selected."""
        if not self._object(item.kind, item.id, item.name, item.path, item.severity):
            return False
        status = item.attribution.status if item.attribution else "unknown"
        if self.status and status not in self.status:
            return False
        return not self.by or user_matches(self.by, item.attribution.user if item.attribution else None)

    def keeps_finding(self, finding: Finding) -> bool:
        """Whether the finding is selected (``--by``/``--status`` are about drift, not findings)."""
        return self._object(finding.kind, finding.id, finding.name, finding.path, finding.severity)

    def report(self, report: DiffReport) -> DiffReport:
        """``report`` with only the selected items, its summary counted again."""
        if self.empty:
            return report
        items = [item for item in report.items if self.keeps(item)]
        return report.model_copy(update={"items": items, "summary": DiffReport.summarize(items)})


def refs_within(refs: Iterable[SnapshotRef], begin: datetime | None, end: datetime | None) -> list[SnapshotRef]:
    """The snapshot refs committed in ``[begin, end]`` (either open)."""
    return [r for r in refs if (begin is None or r.committed_at >= begin) and (end is None or r.committed_at <= end)]


def commit_at(refs: Sequence[SnapshotRef], moment: datetime) -> str | None:
    """The snapshot in force at ``moment``: the latest of ``refs`` (newest first) committed at or before it."""
    return next((ref.commit for ref in refs if ref.committed_at <= moment), None)


# --- suppressions: what ignore rules hid, said in every report ----------------------------------------------


def rule_sources(repo_path: Path, extra: Sequence[str], in_force: BaselineSet) -> list[tuple[str, str]]:
    """(pattern, source) of every ignore rule a drift runs with, in the order they apply (the last match wins):
    the baselines' ``ignore:``, then the configuration's (driftguard.yaml or .driftguardignore), then
    ``--ignore``."""
    owners: dict[str, str] = {}
    for name, parsed in in_force.baselines.items():
        for pattern in parsed.model.ignore:
            owners.setdefault(pattern.strip(), f"baseline {name}")
    rules = [(pattern, owners.get(pattern.strip(), "baselines")) for pattern in in_force.ignore]
    loaded = load_config(repo_path, quiet=True)
    legacy = [Path(file).name for file, section in loaded.from_legacy.items() if section == "ignore"]
    source = legacy[0] if legacy else CONFIG_FILE
    rules += [(pattern, source) for pattern in loaded.config.ignore_patterns()]
    return rules + [(pattern.strip(), "--ignore") for pattern in extra]


def _hiding_rule(rules: Sequence[tuple[str, str]], kind: str, path: str) -> tuple[str, str] | None:
    verdict = None
    for pattern, source in rules:
        body = pattern.strip()
        kind_glob, _, path_glob = body.removeprefix("!").partition(":")
        if glob_match(kind_glob, kind) and glob_match(path_glob, path):
            verdict = None if body.startswith("!") else (pattern, source)
    return verdict


def suppressed(old: Snapshot, new: Snapshot, rules: Sequence[tuple[str, str]]) -> Suppressed:
    """The drift items from ``old`` to ``new`` that ``rules`` hide (the built-in defaults aside), by rule."""
    if not rules:
        return Suppressed()
    counts: Counter[tuple[str, str]] = Counter()
    for item in diff_snapshots(old, new):
        rule = _hiding_rule(rules, item.kind, item.path)
        if rule is not None:
            counts[rule] += 1
    ranked = sorted(counts.items(), key=lambda entry: (-entry[1], entry[0]))
    return Suppressed(
        items=sum(counts.values()),
        rules=[SuppressedBy(pattern=pattern, source=source, items=n) for (pattern, source), n in ranked],
    )


def add_suppressed(first: Suppressed, second: Suppressed) -> Suppressed:
    """Two suppression counts as one (``diff --each``, ``history``: several drifts)."""
    counts: Counter[tuple[str, str]] = Counter()
    for part in (first, second):
        for rule in part.rules:
            counts[(rule.pattern, rule.source)] += rule.items
    ranked = sorted(counts.items(), key=lambda entry: (-entry[1], entry[0]))
    return Suppressed(
        items=first.items + second.items,
        rules=[SuppressedBy(pattern=pattern, source=source, items=n) for (pattern, source), n in ranked],
    )


# --- exemptions: accepted findings, reported as such ---------------------------------------------------------


def apply_exemptions(report: CheckReport, repo_path: Path, today: date | None = None) -> CheckReport:
    """``report`` with the findings an active exemption of driftguard.yaml covers moved to ``exempted``; a
    finding whose exemption has expired stays a finding and is listed in ``expired_exemptions`` too."""
    day = today or now().date()
    rules = exemptions(load_config(repo_path, quiet=True).config, include_expired=True)
    if not rules:
        return report
    kept: list[Finding] = []
    exempted: list[ExemptedFinding] = []
    expired: list[ExemptedFinding] = []
    for finding in report.findings:
        covering = [e for e in rules if e.matches(finding.rule_id, finding.kind, finding.name, finding.vcenter)]
        active = next((e for e in covering if e.active(day)), None)
        if active is not None:
            exempted.append(ExemptedFinding(finding=finding, exemption=active))
            continue
        kept.append(finding)
        if covering:
            expired.append(ExemptedFinding(finding=finding, exemption=covering[0]))
    summary = CheckReport.summarize(kept).model_copy(
        update={"exempted": len(exempted), "expired_exemptions": len(expired)}
    )
    return report.model_copy(
        update={"findings": kept, "summary": summary, "exempted": exempted, "expired_exemptions": expired}
    )
