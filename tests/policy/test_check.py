"""``driftguard check`` and ``driftguard rules`` without a vCenter: a state repo built from model fragments, the
facade, the formatters (SARIF validated against the official OASIS schema) and exit codes."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import jsonschema
import pytest

from driftguard import api
from driftguard.models import History
from driftguard.models.canonical import canonical_bytes
from driftguard.policy import all_rules
from driftguard.report.check import rules_markdown
from driftguard.store import StateRepo
from tests.cli_runner import invoke
from tests.paths import DATA, ROOT
from tests.rule_cases import build_snapshot, deep_merge

SARIF_SCHEMA = json.loads((DATA / "sarif-schema-2.1.0.json").read_text())
DOCS = ROOT / "docs" / "rules.md"

HOST: dict[str, Any] = {
    "cluster": "c1",
    "network": {
        "vswitches": {"vSwitch0": {"uplinks": ["vmnic0"]}, "vSwitch1": {"uplinks": ["vmnic1"]}},
        "portgroups": {
            "Management Network": {"vswitch": "vSwitch0"},
            "Prod-App": {"vswitch": "vSwitch1"},
            "DMZ": {"vswitch": "vSwitch1", "vlan_id": 20},
        },
        "vmkernel_nics": {"vmk0": {"portgroup": "Management Network", "services": ["management"]}},
    },
}
CDROM = {"key": 3000, "type": "VirtualCdrom", "connected": True, "backing": {"type": "VirtualCdromAtapiBackingInfo"}}
BASE: dict[str, Any] = {
    "clusters": {"c1": {"name": "C1", "ha": {"enabled": True, "default_vm_settings": {"restart_priority": "medium"}}}},
    "hosts": {"host-1": {**HOST, "name": "esx01"}, "host-2": {**HOST, "name": "esx02"}},
    "vms": {
        "vm-1": {"name": "dmz-web01", "host": "host-1", "networks": ["DMZ"], "devices": {"CD/DVD drive 1": CDROM}},
        "vm-2": {"name": "app01", "host": "host-2", "networks": ["Prod-App"]},
    },
}
ZONES = "zones:\n  dmz:\n    vms: ['dmz-*']\n  production:\n    portgroups: ['Prod-*']\n"


@pytest.fixture
def state(tmp_path: Path) -> Path:
    """Two snapshots: the second adds a VLAN change nobody explains (history.json holds no event)."""
    path = tmp_path / "state"
    repo = StateRepo.open(path, create=True)
    first = build_snapshot(BASE)
    repo.write_snapshot(first, "first")
    changed = deep_merge(BASE, {"hosts": {"host-2": {"network": {"portgroups": {"DMZ": {"vlan_id": 30}}}}}})
    history = History(begin=None, end=None, events=[], complete=True)
    repo.write_snapshot(build_snapshot(changed), "second", extra_files={"history.json": canonical_bytes(history)})
    (path / "zones.yaml").write_text(ZONES)
    return path


def test_check_json_locates_findings_in_the_state_repo(state: Path) -> None:
    result = invoke("check", "--repo", state, "--format", "json")
    assert result.exit_code == 0, result.output
    report = json.loads(result.stdout)
    assert report["schema"] == "driftguard.check/v1"
    head = StateRepo.open(state).head()
    assert report["target"]["ref"] == head
    by_rule: dict[str, list[dict[str, Any]]] = {}
    for f in report["findings"]:
        by_rule.setdefault(f["rule_id"], []).append(f)
        assert (state / f["location"]).is_file(), f["location"]
        assert len(f["fingerprint"]) == 32
    (blocker,) = by_rule["DG-VMOTION-001"]
    assert blocker["name"] == "dmz-web01" and "CD-ROM" in blocker["message"]
    assert blocker["location"] == "vc.example/vms/C1/dmz-web01~vm-1.json"
    (label,) = by_rule["DG-NET-001"]
    assert "VLAN differs (esx01: 20, esx02: 30)" in label["message"]
    # the VLAN change since the first snapshot is unattributed: the stored history has no event for it
    (unexplained,) = by_rule["DG-HIST-001"]
    assert unexplained["path"] == 'network.portgroups["DMZ"].vlan_id'
    # zones from zones.yaml: the DMZ VM would restart next to production
    assert {f["name"] for f in by_rule["DG-ZONE-004"]} == {"dmz-web01", "app01"}
    assert report["summary"]["findings"] == len(report["findings"])


def test_rev_checks_an_older_snapshot(state: Path) -> None:
    first = StateRepo.open(state).history("vc.example")[-1].commit
    report = json.loads(invoke("check", "--repo", state, "--rev", first, "--format", "json").stdout)
    assert report["target"]["ref"] == first
    rules = {f["rule_id"] for f in report["findings"]}
    assert "DG-NET-001" not in rules and "DG-HIST-001" not in rules  # no VLAN drift, no previous snapshot


def test_fingerprints_are_stable_across_runs(state: Path) -> None:
    def prints() -> list[str]:
        return [
            f["fingerprint"]
            for f in json.loads(invoke("check", "--repo", state, "--format", "json").stdout)["findings"]
        ]

    assert prints() == prints()


def test_sarif_validates_against_the_official_schema(state: Path) -> None:
    result = invoke("check", "--repo", state, "--format", "sarif")
    assert result.exit_code == 0, result.output
    log = json.loads(result.stdout)
    jsonschema.Draft4Validator.check_schema(SARIF_SCHEMA)
    jsonschema.Draft4Validator(SARIF_SCHEMA).validate(log)
    (run,) = log["runs"]
    driver = run["tool"]["driver"]
    assert driver["name"] == "driftguard"
    rules = {r["id"]: r for r in driver["rules"]}
    assert set(rules) == set(all_rules())
    vm = rules["DG-VMOTION-001"]
    assert vm["defaultConfiguration"]["level"] == "warning"
    assert vm["shortDescription"]["text"].startswith("VMs that cannot be moved with vMotion")
    assert "*Why*" in vm["fullDescription"]["text"] and "Chapter 5" in vm["help"]["text"]
    result0 = next(r for r in run["results"] if r["ruleId"] == "DG-VMOTION-001")
    assert driver["rules"][result0["ruleIndex"]]["id"] == "DG-VMOTION-001"
    location = result0["locations"][0]["physicalLocation"]["artifactLocation"]["uri"]
    assert location == "vc.example/vms/C1/dmz-web01~vm-1.json" and (state / location).is_file()
    fingerprints = json.loads(invoke("check", "--repo", state, "--format", "json").stdout)["findings"]
    assert result0["partialFingerprints"]["driftguardFingerprint/v1"] in {f["fingerprint"] for f in fingerprints}
    assert {r["level"] for r in run["results"]} <= {"error", "warning", "note"}


def test_fail_on(state: Path) -> None:
    assert invoke("check", "--repo", state, "--fail-on", "high").exit_code == 1
    assert invoke("check", "--repo", state, "--fail-on", "critical").exit_code == 0
    only_medium = invoke("check", "--repo", state, "--rules", "DG-VMOTION-001", "--fail-on", "high")
    assert only_medium.exit_code == 0
    assert invoke("check", "--repo", state, "--rules", "DG-VMOTION-001", "--fail-on", "medium").exit_code == 1
    assert invoke("check", "--repo", state).exit_code == 0  # findings alone never fail without --fail-on


def test_rules_and_skip_select(state: Path) -> None:
    result = invoke("check", "--repo", state, "--rules", "DG-VMOTION-001,failover-commingling", "--format", "json")
    rules = {f["rule_id"] for f in json.loads(result.stdout)["findings"]}
    assert rules == {"DG-VMOTION-001", "DG-ZONE-004"}
    skipped = invoke("check", "--repo", state, "--skip", "DG-VMOTION-001", "--skip", "DG-ZONE-004", "--format", "json")
    rules = {f["rule_id"] for f in json.loads(skipped.stdout)["findings"]}
    assert "DG-VMOTION-001" not in rules and "DG-ZONE-004" not in rules and rules


def test_text_and_markdown(state: Path) -> None:
    text = invoke("check", "--repo", state).stdout
    assert "DG-VMOTION-001" in text and "dmz-web01 cannot vMotion" in text and "findings:" in text
    markdown = invoke("check", "--repo", state, "--format", "markdown").stdout
    assert markdown.startswith("### driftguard check") and "| high |" in markdown


def test_usage_errors_exit_2(state: Path, tmp_path: Path) -> None:
    unknown = invoke("check", "--repo", state, "--rules", "DG-NOPE-001")
    assert unknown.exit_code == 2 and "DG-NOPE-001: no such rule" in unknown.stderr
    bad_zones = tmp_path / "zones.yaml"
    bad_zones.write_text("zones:\n  dmz:\n    vm: [x]\n")
    result = invoke("check", "--repo", state, "--zones", bad_zones)
    assert result.exit_code == 2 and f"{bad_zones}:3:5: zones.dmz.vm: unknown field" in result.stderr
    assert invoke("check", "--repo", state, "--rev", "nope").exit_code == 2
    assert invoke("check", "--repo", state, "--live", "--rev", "HEAD").exit_code == 2


def test_missing_repo_is_operational(tmp_path: Path) -> None:
    assert invoke("check", "--repo", tmp_path / "nothing").exit_code == 3


def test_api_accepts_a_rule_config(state: Path) -> None:
    report = api.check(state, config={"DG-VMOTION-001": {"params": {"skip": ["removable-media"]}}})
    assert not [f for f in report.findings if f.rule_id == "DG-VMOTION-001"]
    with pytest.raises(api.UsageError, match=r"DG-VMOTION-001: params\.skip\.0"):
        api.check(state, config={"DG-VMOTION-001": {"params": {"skip": ["cd"]}}})


def test_rules_list_and_show() -> None:
    listing = invoke("rules", "list")
    assert listing.exit_code == 0 and "DG-ZONE-004" in listing.stdout and "failover-commingling" in listing.stdout
    as_json = json.loads(invoke("rules", "list", "--format", "json").stdout)
    churn = next(r for r in as_json["rules"] if r["id"] == "DG-HIST-003")
    assert churn["params"]["properties"]["max_migrations"]["default"] == 3
    shown = invoke("rules", "show", "DG-VMOTION-001")
    assert shown.exit_code == 0
    for part in ("DG-VMOTION-001 vmotion-blockers (medium)", "*Why*", "Chapter 5", "*Non-compliant*", "*Compliant*"):
        assert part in shown.stdout
    assert "skip: []" in shown.stdout
    assert invoke("rules", "show", "failover-commingling").exit_code == 0
    assert invoke("rules", "show", "DG-NOPE-001").exit_code == 2


def test_docs_rules_md_is_generated_from_the_docstrings() -> None:
    catalogue = list(all_rules(include_plugins=False).values())
    defaults = {r.id: r.Params().model_dump(mode="json") for r in catalogue}
    assert DOCS.read_text() == rules_markdown(catalogue, defaults), (
        "docs/rules.md is stale: run `driftguard rules list --format markdown > docs/rules.md`"
    )


def test_check_json_loads_back(state: Path) -> None:
    from driftguard.models import CheckReport

    text = invoke("check", "--repo", state, "--format", "json").stdout
    report = CheckReport.model_validate_json(text)
    assert report.model_dump_json(by_alias=True, indent=2) + "\n" == text
