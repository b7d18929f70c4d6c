"""``driftguard check``: the rule catalogue and baselines run on a stored snapshot or on vCenter now."""

from __future__ import annotations

import contextlib
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import Any

from driftguard import baseline, policy
from driftguard.api._common import (
    Connection,
    OperationalError,
    Progress,
    UsageError,
    existing,
    opened,
    session,
    vcenter_name,
)
from driftguard.api.baselines import in_force_at, load_baselines, planned_rules
from driftguard.api.config import rule_config as repo_rule_config
from driftguard.api.config import zones as config_zones
from driftguard.api.drift import (
    Drift,
    DriftOptions,
    Live,
    collect_current,
    drift_between,
    latest,
    live_source,
    pick_vcenter,
    stored_drift,
)
from driftguard.api.filters import Selector, apply_exemptions, rule_sources, suppressed
from driftguard.api.history import hidden
from driftguard.api.ignore import ignore_patterns
from driftguard.baseline.evaluate import as_finding, sort_items, violations
from driftguard.models import SEVERITIES, Endpoint, Snapshot
from driftguard.models.findings import CheckReport, Finding
from driftguard.models.snapshot import KINDS
from driftguard.models.suppression import Suppressed
from driftguard.store import manifest_path, object_path

# --- policy: `driftguard check` and the rule catalogue (docs/rules.md) -------------------------------------------


@contextlib.contextmanager
def _policy_errors() -> Iterator[None]:
    """Rule selection, rule configuration and the zone file are the user's input (exit 2); a crashing rule or a
    broken plugin is operational (exit 3)."""
    try:
        yield
    except (policy.RuleConfigError, policy.ZoneConfigError) as exc:
        raise UsageError(str(exc)) from exc
    except (policy.RuleFailedError, policy.RegistryError) as exc:
        raise OperationalError(str(exc)) from exc


def rule_catalogue() -> list[policy.Rule]:
    """Every rule: the built-in catalogue, then rules installed under the ``driftguard.rules`` entry points."""
    with _policy_errors():
        return list(policy.all_rules().values())


def load_zones(repo_path: Path, zones: Path | None = None) -> policy.ZoneConfig:
    """The zones: the file of ``--zones`` when given, else the configuration's (driftguard.yaml, zones.yaml)."""
    return config_zones(repo_path, zones)


# The published signature the CLI and schedulers call: kept stable (additive changes only), hence 13 arguments.
def check(  # noqa: PLR0913
    repo_path: Path,
    rev: str | None = None,
    *,
    live: bool = False,
    conn: Connection | None = None,
    vcenter: str | None = None,
    rules: Sequence[str] | None = None,
    skip: Sequence[str] = (),
    config: policy.RuleConfig | None = None,
    zones: Path | None = None,
    progress: Progress | None = None,
    baselines: Sequence[str] | None = None,
    use_baselines: bool = True,
    select: Selector | None = None,
) -> CheckReport:
    """Run the rule catalogue on a stored snapshot (default: the latest) or on vCenter right now (``live``;
    ``vcenter`` then names it in the state repo, default from its URL).

    The rules also see the drift since the previous snapshot, attributed, and the events of that window: the
    stored history of the commit, or for ``live`` the history read from vCenter since the latest snapshot.
    ``rules``/``skip`` select rule ids or names; ``config`` is a :data:`driftguard.policy.RuleConfig`
    (default: what driftguard.yaml's ``extends`` and ``rules`` set). Each finding's ``location`` is the object's
    file in the state repo.

    Baselines run with the rules (docs/baselines.md): those of the working tree (of ``rev`` when given), all of
    them or the ``baselines`` named. Their ``rules:`` settings configure the catalogue (``config`` overrides
    them); their violations are findings with ``source: baseline`` and, in the diff shape, ``compliance``.

    Exemptions of driftguard.yaml move the findings they accept to ``exempted`` (an expired one is reported as
    such, and its finding stays); ``select`` keeps part of the findings; ``suppressed`` says what ignore rules
    hid from the drift the rules saw.
    """
    zone_config = load_zones(repo_path, zones)
    config = config if config is not None else repo_rule_config(repo_path)  # driftguard.yaml: extends, rules
    in_force = load_baselines(repo_path, rev, names=baselines) if use_baselines else baseline.BaselineSet()
    planned = planned_rules(in_force, config, select=rules, skip=skip)
    if live:
        if conn is None:
            raise UsageError("a live check needs a vCenter connection")
        ref = "live"
        target, drift, hid = _live_target(Live(conn, vcenter or vcenter_name(conn.url), progress), repo_path)
    else:
        ref, target, drift, hid = _stored_target(repo_path, rev, vcenter)
    history = drift.history if drift is not None else None
    context = policy.RuleContext.build(target, drift=drift.items if drift else [], history=history, zones=zone_config)
    with _policy_errors():
        findings = policy.run(target, context, planned)
    broken = violations(target, in_force)
    findings += [as_finding(resolved, item) for resolved, item in broken]
    findings = [_located(target, f) for f in policy.sort_findings(findings)]
    if select is not None:
        findings = [f for f in findings if select.keeps_finding(f)]
    report = CheckReport(
        target=Endpoint(ref=ref, collected_at=target.manifest.finished_at),
        findings=findings,
        summary=CheckReport.summarize(findings),
        compliance=sort_items(item for _, item in broken if select is None or select.keeps(item)),
        suppressed=hid,
    )
    return apply_exemptions(report, repo_path)


def _stored_target(
    repo_path: Path, rev: str | None, vcenter: str | None
) -> tuple[str, Snapshot, Drift | None, Suppressed]:
    with opened(repo_path) as repo:
        name = pick_vcenter(repo, vcenter, rev or "HEAD")
        commit = repo.latest_commit(name, repo.resolve(rev) if rev else "HEAD")
        if commit is None:
            raise UsageError(f"no snapshot of {name} at {rev or 'HEAD'}")
        previous = repo.previous_commit(commit, name)
        if previous is None:
            return commit, repo.load(commit, name), None, Suppressed()
        # the rules judge the stored snapshot, with the drift and history since the one before
        drift = stored_drift(repo, name, previous, commit, ignore_patterns(repo_path))
        return commit, drift.target, drift, hidden(repo_path, repo, commit, drift, ())


def _live_target(live: Live, repo_path: Path) -> tuple[Snapshot, Drift | None, Suppressed]:
    """vCenter now, with the drift since its latest snapshot: the same pipeline as ``diff --live``."""
    patterns = ignore_patterns(repo_path)
    with existing(repo_path) as repo, session(live.conn) as si:
        old = latest(repo, live.name)
        current = collect_current(si, live, old)
        if repo is None or old is None:
            return current, None, Suppressed()
        options = DriftOptions(ignore=patterns, in_force=in_force_at(repo, "HEAD"), always_history=True)
        drift = drift_between(repo, old, current, live_source(si), options)
        hid = suppressed(drift.old, drift.new, rule_sources(repo_path, (), options.in_force.baselines))
        return drift.target, drift, hid


def _located(snapshot: Snapshot, finding: Finding) -> Finding:
    obj = snapshot.get(finding.kind, finding.id) if finding.kind in KINDS else None
    path = object_path(snapshot, obj) if obj is not None else manifest_path(snapshot.manifest.vcenter.name)
    return finding.model_copy(update={"location": str(path)})


# --- added for the CLI (issue 10: no logic the api could answer in the CLI) --------------------------------------


def fails_on(report: CheckReport, severity: str | None) -> bool:
    """``--fail-on``: whether a finding at or above ``severity`` exists (never, when ``severity`` is None)."""
    if severity is None:
        return False
    floor = SEVERITIES.index(severity)
    return any(SEVERITIES.index(f.severity) >= floor for f in report.findings)


def find_rule(rule_id: str) -> policy.Rule:
    """The rule named by ``rule_id``: its id (any case) or its slug name (``driftguard rules show``)."""
    wanted = rule_id.strip()
    for rule in rule_catalogue():
        if wanted in (rule.id, rule.name) or wanted.upper() == rule.id:
            return rule
    raise UsageError(f"no rule {wanted!r} (see `driftguard rules list`)")


def rule_defaults(rules: Sequence[policy.Rule]) -> dict[str, dict[str, Any]]:
    """Each rule's parameter defaults by rule id, as JSON values (``rules list --format markdown``, ``rules show``)."""
    return {r.id: r.Params().model_dump(mode="json") for r in rules}


def rule_schemas(rules: Sequence[policy.Rule]) -> dict[str, dict[str, Any]]:
    """Each rule's parameter JSON Schema by rule id (``rules list --format json``)."""
    return {r.id: r.Params.model_json_schema() for r in rules}
