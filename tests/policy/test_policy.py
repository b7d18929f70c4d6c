"""The policy engine: rule selection, configuration validation (the interface baselines use), the registry and
its entry-point plugins, and ordering (zone files: tests/config/)."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from driftguard.models import BundleLogs, Finding, LogLine, Snapshot
from driftguard.policy import (
    EvidenceParams,
    NoParams,
    RegistryError,
    Rule,
    RuleConfigError,
    RuleContext,
    RuleFailedError,
    all_rules,
    evidence_findings,
    evidence_rules,
    plan,
    run,
)
from driftguard.policy import registry as registry_module
from tests.rule_cases import build_snapshot

CATALOGUE = all_rules(include_plugins=False)


def test_plan_defaults_to_every_rule_in_catalogue_order() -> None:
    planned = plan(CATALOGUE)
    assert [p.rule.id for p in planned] == list(CATALOGUE)


def test_select_and_skip_by_id_or_name() -> None:
    planned = plan(
        CATALOGUE, select=["DG-VMOTION-001", "failover-commingling", "DG-HA-001"], skip=["ha-isolation-address"]
    )
    assert [p.rule.id for p in planned] == ["DG-VMOTION-001", "DG-ZONE-004"]


def test_config_disables_and_sets_typed_params() -> None:
    planned = plan(CATALOGUE, {"DG-DRS-001": {"enabled": False}, "DG-HIST-003": {"params": {"max_migrations": 5}}})
    ids = [p.rule.id for p in planned]
    assert "DG-DRS-001" not in ids
    (churn,) = [p for p in planned if p.rule.id == "DG-HIST-003"]
    assert churn.params.model_dump()["max_migrations"] == 5  # type: ignore[attr-defined]
    # --rules wins over a configuration that disables the rule
    assert [p.rule.id for p in plan(CATALOGUE, {"DG-DRS-001": {"enabled": False}}, select=["DG-DRS-001"])] == [
        "DG-DRS-001"
    ]


def test_config_errors_are_collected_with_locations() -> None:
    config: dict[str, Any] = {
        "DG-HIST-003": {"params": {"max_migrations": "many", "typo": 1}},
        "DG-NOPE-001": {},
        "DG-DRS-001": {"enabled": "sometimes"},
    }
    with pytest.raises(RuleConfigError) as info:
        plan(CATALOGUE, config, select=["nonsense"])
    issues = {(i.rule_id, i.loc) for i in info.value.issues}
    assert ("DG-HIST-003", ("params", "max_migrations")) in issues
    assert ("DG-HIST-003", ("params", "typo")) in issues
    assert ("DG-NOPE-001", ()) in issues
    assert ("DG-DRS-001", ("enabled",)) in issues
    assert ("nonsense", ()) in issues
    assert "DG-HIST-003: params.max_migrations:" in str(info.value)


class _Exploding(Rule):
    """Explodes.

    *Why*: Chapter 5 "tests".

    *Non-compliant*: x.

    *Compliant*: y.
    """

    id = "TEST-BOOM-001"
    name = "boom"
    severity = "low"

    def check(self, snapshot: Snapshot, context: RuleContext, params: NoParams) -> Iterator[Finding]:
        raise KeyError("nope")


def test_a_crashing_rule_is_named() -> None:
    snapshot = build_snapshot({})
    with pytest.raises(RuleFailedError, match="rule TEST-BOOM-001 failed: KeyError"):
        run(snapshot, RuleContext.build(snapshot), plan({"TEST-BOOM-001": _Exploding()}))


class _FakeEntryPoint:
    def __init__(self, name: str, value: object) -> None:
        self.name, self.value, self._obj = name, f"fake:{name}", value

    def load(self) -> object:
        return self._obj


def test_plugins_come_from_the_entry_point_group(monkeypatch: pytest.MonkeyPatch) -> None:
    seen: list[str] = []

    def fake(group: str) -> list[_FakeEntryPoint]:
        seen.append(group)
        return [_FakeEntryPoint("boom", _Exploding)]

    monkeypatch.setattr(registry_module, "entry_points", fake)
    rules = all_rules()
    assert seen == ["driftguard.rules"]
    assert list(rules)[-1] == "TEST-BOOM-001" and list(rules)[: len(CATALOGUE)] == list(CATALOGUE)


@pytest.mark.parametrize(
    ("plugin", "message"),
    [
        (object, "is not a driftguard.policy.Rule subclass"),
        (type("Bad", (_Exploding,), {"id": "lowercase", "__doc__": _Exploding.__doc__}), "must look like"),
        (type("NoDoc", (_Exploding,), {"__doc__": "Title only."}), "lacks Why, Non-compliant, Compliant"),
        (
            type("Dup", (_Exploding,), {"id": "DG-VMOTION-001", "__doc__": _Exploding.__doc__}),
            "reuses the id of a built-in rule",
        ),
    ],
)
def test_bad_plugins_are_refused(monkeypatch: pytest.MonkeyPatch, plugin: object, message: str) -> None:
    monkeypatch.setattr(registry_module, "entry_points", lambda group: [_FakeEntryPoint("bad", plugin)])
    with pytest.raises(RegistryError, match=message):
        all_rules()


# --- the evidence rules through the engine (import-bundle) ------------------------------------------------------


def _bundle(count: int, seconds: int) -> BundleLogs:
    base = datetime(2024, 5, 10, 1, 0, tzinfo=UTC)
    lines = [
        LogLine(file="var/run/log/vmkernel.log", text='to dev "naa.1" Failed: D:0x18', time=base + timedelta(seconds=i))
        for i in range(0, count * seconds, seconds)
    ]
    errors = [LogLine(file="var/run/log/fdm.log", text="error fdm[1] x", time=base)]
    return BundleLogs(vcenter="vc1", host_id="host-1", name="esx01", reservation_lines=lines, ha_log_lines=errors)


def test_evidence_rules_are_ordinary_catalogue_rules() -> None:
    assert {"DG-EVIDENCE-001", "DG-EVIDENCE-002"} <= set(evidence_rules())
    assert set(evidence_rules()) <= set(CATALOGUE)
    snapshot = build_snapshot({"hosts": {"h1": {}}})
    found = run(snapshot, RuleContext.build(snapshot), plan(CATALOGUE))
    assert not [f for f in found if f.rule_id.startswith("DG-EVIDENCE")]  # a snapshot alone has no bundle logs


def test_evidence_findings_take_the_import_flags_as_rule_params() -> None:
    bundle = _bundle(count=4, seconds=10)  # 4 conflicts in 30 s
    default = evidence_findings([bundle])
    assert [f.rule_id for f in default] == ["DG-EVIDENCE-002"]  # below the default 10-in-60 s
    tight = evidence_findings([bundle], EvidenceParams(reservation_threshold=4, reservation_window=30).rule_config())
    assert [f.rule_id for f in tight] == ["DG-EVIDENCE-001", "DG-EVIDENCE-002"]  # most severe first
    assert tight[0].vcenter == "vc1" and tight[0].id == "host-1" and tight[0].evidence["count"] == 4
    off = evidence_findings([bundle], {"DG-EVIDENCE-002": {"enabled": False}})
    assert off == []
    with pytest.raises(RuleConfigError):
        evidence_findings([bundle], {"DG-EVIDENCE-001": {"params": {"threshold": 0}}})
