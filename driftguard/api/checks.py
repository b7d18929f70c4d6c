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
    _collect,
    _connect,
    _open_existing,
    _operational,
    vcenter_name,
)
from driftguard.api.baselines import _planned_rules, load_baselines
from driftguard.api.diffs import _single_vcenter, stored_drift
from driftguard.api.ignore import ignore_patterns
from driftguard.api.snapshots import _window
from driftguard.attribute import attribute
from driftguard.baseline.evaluate import as_finding, sort_items, violations
from driftguard.collect import collect_history
from driftguard.diff import diff_snapshots
from driftguard.models import SEVERITIES, DriftItem, Endpoint, History, Snapshot
from driftguard.models.findings import CheckReport, Finding
from driftguard.models.snapshot import KINDS
from driftguard.normalize.events import normalize_history
from driftguard.store import StateRepo, manifest_path, object_path

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
    """The zone file: ``zones`` when given, else ``<repo>/zones.yaml`` when it exists, else no zones."""
    path = zones if zones is not None else repo_path / policy.ZONES_FILE
    if zones is None and not path.is_file():
        return policy.ZoneConfig()
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as exc:
        raise UsageError(f"cannot read zone file {path}: {exc.strerror or exc}") from exc
    with _policy_errors():
        return policy.parse_zones(text, str(path))


def check(
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
) -> CheckReport:
    """Run the rule catalogue on a stored snapshot (default: the latest) or on vCenter right now (``live``).

    The rules also see the drift since the previous snapshot, attributed, and the events of that window: the
    stored history of the commit, or for ``live`` the history read from vCenter since the latest snapshot.
    ``rules``/``skip`` select rule ids or names; ``config`` is a :data:`driftguard.policy.RuleConfig`
    (what baselines set). Each finding's ``location`` is the object's file in the state repo.

    Baselines run with the rules (docs/baselines.md): those of the working tree (of ``rev`` when given), all of
    them or the ``baselines`` named. Their ``rules:`` settings configure the catalogue (``config`` overrides
    them); their violations are findings with ``source: baseline`` and, in the diff shape, ``compliance``.
    """
    zone_config = load_zones(repo_path, zones)
    in_force = load_baselines(repo_path, rev, names=baselines) if use_baselines else baseline.BaselineSet()
    planned = _planned_rules(in_force, config, select=rules, skip=skip)
    if live:
        if conn is None:
            raise UsageError("a live check needs a vCenter connection")
        ref = "live"
        target, drift, history = _live_target(conn, repo_path, progress)
    else:
        ref, target, drift, history = _stored_target(repo_path, rev, vcenter)
    context = policy.RuleContext.build(target, drift=drift, history=history, zones=zone_config)
    with _policy_errors():
        findings = policy.run(target, context, planned)
    broken = violations(target, in_force)
    findings += [as_finding(resolved, item) for resolved, item in broken]
    findings = [_located(target, f) for f in policy.sort_findings(findings)]
    return CheckReport(
        target=Endpoint(ref=ref, collected_at=target.manifest.finished_at),
        findings=findings,
        summary=CheckReport.summarize(findings),
        compliance=sort_items(item for _, item in broken),
    )


def _stored_target(
    repo_path: Path, rev: str | None, vcenter: str | None
) -> tuple[str, Snapshot, list[DriftItem], History | None]:
    with _operational():
        repo = StateRepo.open(repo_path)
        name = _single_vcenter(repo, vcenter, rev or "HEAD")
        commit = repo.latest_commit(name, repo.resolve(rev) if rev else "HEAD")
        if commit is None:
            raise UsageError(f"no snapshot of {name} at {rev or 'HEAD'}")
        previous = repo.previous_commit(commit, name)
        if previous is None:
            return commit, repo.load(commit, name), [], None
        # one load of each snapshot: the rules judge the stored one, with the drift and history since the last
        drift = stored_drift(repo, repo_path, name, previous, commit)
    return commit, drift.stored_new, drift.items, drift.history


def _live_target(
    conn: Connection, repo_path: Path, progress: Progress | None
) -> tuple[Snapshot, list[DriftItem], History | None]:
    with _operational():
        repo = _open_existing(repo_path)
        name = vcenter_name(conn.url)
        old_commit = repo.latest_commit(name) if repo else None
        old = repo.load(old_commit, name) if repo and old_commit else None
        with _connect(conn) as si:
            live = _collect(si, conn, progress)
            if repo is None or old is None:
                return live, [], None
            window = _window(repo, old_commit, old, live)
            history = normalize_history(collect_history(si, begin=window[0], end=window[1]))
        items = diff_snapshots(old, live, ignore=ignore_patterns(repo_path))
        if items:
            items = attribute(items, history, old=old, new=live, window=window)
        return live, items, history


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
