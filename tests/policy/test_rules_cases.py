"""Every rule against its case file (``tests/fixtures/rules/<ID>.yaml``), and the meta-tests that keep the
catalogue documented: a rule without a docstring section, a chapter citation, or passing and failing cases
fails here."""

from __future__ import annotations

import re

import pytest

from driftguard.policy import BUILTIN, SnapshotIndex, all_rules, plan
from driftguard.policy.base import SECTIONS
from driftguard.policy.registry import validate_rule
from tests.rule_cases import CASES_DIR, Case, build_context, build_snapshot, load_all, matches

ALL_CASES = load_all()
RULES = all_rules(include_plugins=False)
PARAMS = [pytest.param(case, id=f"{rule}:{case.name}") for rule, cases in ALL_CASES.items() for case in cases]


@pytest.mark.parametrize("case", PARAMS)
def test_rule_case(case: Case) -> None:
    rule = RULES[case.rule]
    (planned,) = plan({rule.id: rule}, {rule.id: {"params": case.params}})
    snapshot = build_snapshot(case.snapshot)
    context = build_context(case, snapshot)
    findings = list(rule.check(snapshot, context, planned.params))
    shown = "\n".join(f"  {f.id} {f.path} {f.severity}: {f.message}" for f in findings)
    assert len(findings) == len(case.expect), f"expected {len(case.expect)} finding(s), got:\n{shown}"
    unmatched = list(findings)
    for expected in case.expect:
        hit = next((f for f in unmatched if matches(expected, f)), None)
        assert hit is not None, f"no finding matches {expected}; got:\n{shown}"
        unmatched.remove(hit)
    for f in findings:
        assert f.rule_id == rule.id and f.rule_name == rule.name and f.vcenter == "vc.example"
    # Pure: the same input gives the same findings, in the same order.
    again = list(rule.check(snapshot, build_context(case, snapshot), planned.params))
    assert [f.model_dump() for f in again] == [f.model_dump() for f in findings]


@pytest.mark.parametrize("rule_id", sorted(RULES))
def test_every_rule_has_passing_and_failing_cases(rule_id: str) -> None:
    cases = ALL_CASES.get(rule_id)
    assert cases, f"{rule_id} has no case file {CASES_DIR / (rule_id + '.yaml')}"
    assert any(c.passing for c in cases), f"{rule_id} has no passing case"
    assert any(not c.passing for c in cases), f"{rule_id} has no failing case"


def test_no_case_file_without_a_rule() -> None:
    assert set(ALL_CASES) <= set(RULES)


@pytest.mark.parametrize("rule_id", sorted(RULES))
def test_every_rule_is_documented(rule_id: str) -> None:
    rule = RULES[rule_id]
    doc = rule.doc()
    assert doc.title and doc.title.endswith("."), "the first docstring line is the title, a sentence"
    for section in SECTIONS:
        assert doc.sections.get(section), f"{rule_id} docstring lacks *{section}*"
    why = doc.sections["Why"]
    assert re.search(r"Chapter 5|Figure 5\.\d+", why), f"{rule_id} *Why* does not cite the seed chapter"
    assert '"' in why, f"{rule_id} *Why* quotes no passage of the chapter"
    validate_rule(type(rule), "builtin")


def test_ids_and_names_are_unique_and_stable() -> None:
    ids = [cls.id for cls in BUILTIN]
    names = [cls.name for cls in BUILTIN]
    assert len(set(ids)) == len(ids) and len(set(names)) == len(names)
    assert {"DG-VMOTION-001", "DG-VMOTION-002", "DG-ZONE-004", "DG-HIST-001"} <= set(ids)


@pytest.mark.parametrize("rule_id", sorted(RULES))
def test_rules_hold_no_state(rule_id: str) -> None:
    rule = RULES[rule_id]
    assert vars(rule) == {}, f"{rule_id} instance carries state"


def test_index_is_lazy_and_cached() -> None:
    snapshot = build_snapshot({"hosts": {"h1": {"cluster": "c1"}}, "clusters": {"c1": {}}})
    from driftguard.policy import ZoneConfig

    index = SnapshotIndex(snapshot, ZoneConfig())
    assert index.hosts_by_cluster is index.hosts_by_cluster
    assert [h.id for h in index.hosts_by_cluster["c1"]] == ["h1"]
