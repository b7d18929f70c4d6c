"""Baselines without a vCenter: the format and its file:line:column errors, paths against the canonical model,
compliance, approval of history drift, pin, plan (grouping and the comment limit), and the commands.

State repos are real git repositories: snapshots written through the store (the simulator's golden snapshot,
changed by hand), baselines committed with git as a reviewer's merge would.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import git
import pytest

from driftguard import api, baseline
from driftguard.baseline import paths
from driftguard.models import DiffReport, Snapshot
from driftguard.models.paths import PathError
from driftguard.models.plan import PlanGroup, PlannedExpectation, PlanReport
from driftguard.report.plan import COMMENT_LIMIT, MARKER, group_line, plan_markdown
from driftguard.store import StateRepo
from tests.cli_runner import invoke
from tests.paths import FIXTURES, ROOT

FIXTURE = FIXTURES / "normalize" / "snapshot" / "vcsim-default.json"

ISOLATION = """\
version: 1
expectations:
  - id: isolation-address
    select: {kind: cluster}
    path: ha.options["das.isolationaddress0"]
    equals: %s
    severity: high
    reason: HA pings the core router.
"""


def snapshot(**changes: Any) -> Snapshot:
    data = json.loads(FIXTURE.read_text())["expected"]
    for cluster in data["clusters"].values():
        cluster["ha"]["options"].update(changes.get("options", {}))
    if "started" in changes:
        data["manifest"]["started_at"] = data["manifest"]["finished_at"] = changes["started"]
    return Snapshot.model_validate(data)


def commit_files(repo: Path, files: dict[str, str], message: str) -> str:
    for rel, text in files.items():
        (repo / rel).parent.mkdir(parents=True, exist_ok=True)
        (repo / rel).write_text(text)
    r = git.Repo(repo)
    r.index.add(list(files))
    return r.index.commit(message).hexsha


@pytest.fixture
def repo(tmp_path: Path) -> Path:
    path = tmp_path / "state"
    state = StateRepo.open(path, create=True)
    assert state.write_snapshot(snapshot(), "first") is not None
    state.close()
    return path


def load_one(text: str, name: str = "site") -> baseline.BaselineSet:
    return baseline.load({f"baselines/{name}.yaml": text}, shipped={})


# -- format and errors ----------------------------------------------------------------------------------------

BROKEN = {
    "bad YAML": ("expectations:\n  - id: a\n    select: {kind: cluster\n    path: x\n", 4, "not valid YAML"),
    "unknown path": (
        'expectations:\n  - id: a\n    select: {kind: cluster}\n    path: ha.optoins["x"]\n'
        "    equals: 1\n    reason: r\n",
        4,
        "unknown path 'ha.optoins[\"x\"]': unknown field 'optoins' of ha",
    ),
    "wrong type": (
        "expectations:\n  - id: a\n    select: {kind: host}\n    path: network.portgroups[*].vlan_id\n"
        '    equals: "20"\n    reason: r\n',
        5,
        "wrong type for network.portgroups[*].vlan_id: expected an integer, got '20'",
    ),
    "bool is not a number": (
        "expectations:\n  - id: a\n    select: {kind: cluster}\n    path: drs.vmotion_rate\n    equals: true\n"
        "    reason: r\n",
        5,
        "expected an integer, got True",
    ),
    "unknown selector field": (
        "expectations:\n  - id: a\n    select: {kind: cluster, folder: prod}\n    path: ha.enabled\n"
        "    equals: true\n    reason: r\n",
        3,
        "expectations[0].select.folder: unknown field",
    ),
    "custom attribute not collected yet": (
        "expectations:\n  - id: a\n    select:\n      kind: vm\n      custom_attribute: {env: prod}\n"
        "    path: cpu.count\n    equals: 2\n    reason: r\n",
        5,
        "custom attributes are not collected into snapshots yet",
    ),
    "missing reason": (
        "expectations:\n  - id: a\n    select: {kind: cluster}\n    path: ha.enabled\n    equals: true\n",
        2,
        "missing required field 'reason'",
    ),
    "two checks": (
        "expectations:\n  - id: a\n    select: {kind: cluster}\n    path: ha.enabled\n    equals: true\n"
        "    absent: true\n    reason: r\n",
        6,
        "one check per expectation",
    ),
    "min on a string": (
        "expectations:\n  - id: a\n    select: {kind: host}\n    path: lockdown_mode\n    min: 1\n    reason: r\n",
        5,
        "min needs a number value",
    ),
    "unknown top-level key": ("expectation: []\n", 1, "expectation: unknown field"),
    "unknown extends": ("extends: [nope]\n", 1, "extends unknown baseline 'nope'"),
    "bad ignore": ("ignore: ['vmx:cpu']\n", 1, "unknown kind 'vmx'"),
}


@pytest.mark.parametrize("case", sorted(BROKEN))
def test_broken_baselines_name_file_line_and_column(case: str) -> None:
    text, line, words = BROKEN[case]
    with pytest.raises(baseline.BaselineError) as info:
        load_one(text)
    first = info.value.issues[0]
    assert first.file == "baselines/site.yaml"
    assert first.line == line, str(first)
    assert first.column is not None and first.column >= 1
    assert words in first.message, str(first)


def test_every_issue_is_reported_not_only_the_first() -> None:
    text = (
        "expectations:\n"
        "  - {id: a, select: {kind: cluster}, path: ha.nope, equals: 1, reason: r}\n"
        "  - {id: b, select: {kind: vm}, path: cpu.count, equals: two, reason: r}\n"
    )
    with pytest.raises(baseline.BaselineError) as info:
        load_one(text)
    assert [i.line for i in info.value.issues] == [2, 3]


def test_unknown_path_column_points_at_the_bad_segment() -> None:
    text = "expectations:\n  - id: a\n    select: {kind: host}\n    path: network.portgroups[*].vlan\n"
    text += "    equals: 1\n    reason: r\n"
    with pytest.raises(baseline.BaselineError) as info:
        load_one(text)
    issue = info.value.issues[0]
    assert (issue.line, issue.column) == (4, len("    path: network.portgroups[*].") + 1)


def test_paths_resolve_against_the_models() -> None:
    assert paths.resolve("cluster", 'ha.options["das.isolationaddress0"]') is not None
    assert paths.resolve("host", "network.portgroups[*].effective_security.forged_transmits") is not None
    assert paths.resolve("vm", 'devices["CD/DVD drive 1"].backing.file_name') is not None
    for kind, bad in [("cluster", "ha.options.x"), ("vm", "cpu[*]"), ("host", "id"), ("host", 'network["x"]')]:
        with pytest.raises(PathError):
            paths.resolve(kind, bad)  # type: ignore[arg-type]


def test_extends_overrides_removes_and_merges_rules() -> None:
    parent = (
        "rules: {DG-HIST-003: {params: {max_migrations: 5, window_hours: 24}}}\nignore: ['host:ha_state']\n"
        "expectations:\n"
        "  - {id: a, select: {kind: cluster}, path: ha.enabled, equals: true, reason: parent}\n"
        "  - {id: b, select: {kind: cluster}, path: drs.enabled, equals: true, reason: parent}\n"
    )
    child = (
        "extends: parent\nremove: [b]\nrules: {DG-HIST-003: {params: {max_migrations: 8}}}\n"
        "expectations:\n  - {id: a, select: {kind: cluster}, path: ha.enabled, equals: false, reason: child}\n"
    )
    loaded = baseline.load(
        {"baselines/parent.yaml": parent, "baselines/child.yaml": child}, names=["child"], shipped={}
    )
    (only,) = loaded.expectations
    assert (only.baseline, only.expectation.reason) == ("child", "child")
    assert loaded.rules == {"DG-HIST-003": {"enabled": True, "params": {"max_migrations": 8, "window_hours": 24}}}
    assert loaded.ignore == ["host:ha_state"]


def test_extends_cycle_is_an_error() -> None:
    with pytest.raises(baseline.BaselineError, match="extends cycle"):
        baseline.load({"baselines/a.yaml": "extends: b\n", "baselines/b.yaml": "extends: a\n"}, shipped={})


def test_shipped_baselines_load_and_cite_the_chapter() -> None:
    shipped = baseline.shipped_sources()
    assert "seed-security" in shipped
    assert shipped["seed-security"] == (ROOT / "baselines" / "seed-security.yaml").read_text()
    loaded = baseline.load({}, names=["seed-security"])
    assert len(loaded.expectations) >= 8
    for r in loaded.expectations:
        assert r.expectation.source and r.expectation.source.startswith("Chapter 5"), r.expectation.id
    example = baseline.load({"baselines/example-site.yaml": (ROOT / "baselines" / "example-site.yaml").read_text()})
    assert {r.baseline for r in example.expectations} == {"seed-security", "example-site"}
    assert "dpm-off" not in {r.expectation.id for r in example.expectations}


def test_schema_file_describes_the_format() -> None:
    schema = json.loads((ROOT / "schemas" / "baseline.schema.json").read_text())
    assert {"extends", "expectations", "ignore", "rules", "remove"} <= set(schema["properties"])


# -- evaluation -----------------------------------------------------------------------------------------------


def test_compliance_found_and_not_found() -> None:
    snap = snapshot()  # the golden snapshot's cluster has das.isolationaddress0 10.0.0.1
    assert baseline.compliance(snap, load_one(ISOLATION % "10.0.0.1")) == []
    (item,) = baseline.compliance(snap, load_one(ISOLATION % "10.0.0.2"))
    assert (item.kind, item.path, item.change) == ("cluster", 'ha.options["das.isolationaddress0"]', "modified")
    assert (item.old, item.new, item.baseline, item.severity) == ("10.0.0.1", "10.0.0.2", "site", "high")
    assert item.expected == {"equals": "10.0.0.2"} and item.reason == "HA pings the core router."


@pytest.mark.parametrize(
    ("check", "compliant"),
    [
        ("present: true", True),
        ("absent: true", False),
        ("matches: '10\\.0\\.0\\.[0-9]+'", True),
        ("matches: '10\\.1\\..*'", False),
        ("one_of: ['10.0.0.1', '10.0.0.9']", True),
    ],
)
def test_check_kinds(check: str, compliant: bool) -> None:
    text = (
        "expectations:\n  - id: a\n    select: {kind: cluster}\n"
        f'    path: ha.options["das.isolationaddress0"]\n    {check}\n    reason: r\n'
    )
    assert (baseline.compliance(snapshot(), load_one(text)) == []) is compliant


def test_missing_values_and_optional() -> None:
    text = "expectations:\n  - {id: a, select: {kind: cluster}, path: 'ha.options[\"das.x\"]', min: 1, reason: r}\n"
    (item,) = baseline.compliance(snapshot(), load_one(text))
    assert item.change == "added" and item.old is None
    optional = text.replace("min: 1,", "min: 1, optional: true,")
    assert baseline.compliance(snapshot(), load_one(optional)) == []


def test_selectors_and_ignore_rules() -> None:
    text = (
        "ignore: ['host:*DMZ*']\nexpectations:\n"
        "  - {id: a, select: {kind: host, cluster: 'DC0_C*'}, path: 'network.portgroups[*].vlan_id', max: 0,\n"
        "     reason: r}\n"
    )
    items = baseline.compliance(snapshot(), load_one(text))
    assert items and all(i.kind == "host" and i.path.startswith("network.portgroups[") for i in items)
    assert not [i for i in items if "DMZ" in i.path]
    none = text.replace("DC0_C*", "other-*")
    assert baseline.compliance(snapshot(), load_one(none)) == []


def test_unknown_values_are_neither_compliant_nor_drift() -> None:
    data = snapshot().model_dump(mode="json")
    for cluster in data["clusters"].values():
        cluster["unknowns"] = {"ha.options": "no permission"}
    snap = Snapshot.model_validate(data)
    assert baseline.compliance(snap, load_one(ISOLATION % "10.0.0.2")) == []


def test_the_seed_baseline_finds_what_the_simulator_defaults_break() -> None:
    items = baseline.compliance(snapshot(), baseline.load({}, names=["seed-security"]))
    broken = {i.path.rsplit(".", 1)[-1] if "security" in i.path else i.path for i in items}
    assert {"forged_transmits", "mac_changes", "name"} <= broken
    assert not [i for i in items if i.path.endswith("allow_promiscuous")]


# -- pin, plan, the comment limit -----------------------------------------------------------------------------


def test_pin_writes_a_baseline_the_snapshot_complies_with() -> None:
    sel = baseline.Selector(kind="cluster")
    text = baseline.pin.pin([snapshot()], sel, ['ha.options["das.*"]', "drs.vmotion_rate"], name="pinned")
    loaded = baseline.load({"baselines/pinned.yaml": text}, shipped={})
    assert {r.expectation.path for r in loaded.expectations} == {
        'ha.options["das.isolationaddress0"]',
        'ha.options["das.usedefaultisolationaddress"]',
        "drs.vmotion_rate",
    }
    assert baseline.compliance(snapshot(), loaded) == []
    assert baseline.compliance(snapshot(options={"das.isolationaddress0": "10.9.9.9"}), loaded)


def test_plan_markdown_fits_the_comment_limit_with_a_pointer_to_the_json() -> None:
    objects = [
        {"vcenter": "vc", "kind": "cluster", "id": f"c-{n}", "name": f"cluster-{n:05}", "path": "ha.enabled",
         "observed": False, "target": True, "compliant": False}
        for n in range(5000)
    ]  # fmt: skip
    group = PlanGroup(path="ha.enabled", kind="cluster", observed=False, target=True, compliant=False, count=5000)
    exp = PlannedExpectation.model_validate(
        {"baseline": "site", "id": "ha", "change": "added", "kind": "cluster", "path": "ha.enabled",
         "expected": {"equals": True}, "severity": "high", "reason": "r", "selected": 5000, "noncompliant": 5000,
         "groups": [group], "objects": objects}
    )  # fmt: skip
    report = PlanReport.model_validate({"base": {"ref": "a" * 40}, "head": {"ref": "worktree"}, "expectations": [exp]})
    text = plan_markdown(report)
    assert len(text) <= COMMENT_LIMIT and text.startswith(MARKER)
    assert "Truncated to fit the 65,536-character comment limit" in text and "plan.json" in text
    assert "`ha.enabled` `false` → `true` on 5000 clusters" in text
    few = PlannedExpectation.model_validate({**exp.model_dump(), "objects": objects[:3]})
    small = plan_markdown(report.model_copy(update={"expectations": [few]}))
    assert "Truncated" not in small


def test_group_line_reads_like_the_issue() -> None:
    g = PlanGroup(path='ha.options["das.isolationaddress0"]', kind="cluster", observed="10.0.0.1", target="10.0.0.2",
                  compliant=False, count=14)  # fmt: skip
    assert group_line(g) == '`ha.options["das.isolationaddress0"]` `10.0.0.1` → `10.0.0.2` on 14 clusters'


# -- through the state repo and the command line --------------------------------------------------------------


def test_history_drift_approved_when_a_merged_baseline_asked_for_it(repo: Path) -> None:
    approving = commit_files(repo, {"baselines/site.yaml": ISOLATION % "10.0.0.2"}, "baselines: new isolation address")
    state = StateRepo.open(repo)
    changed = snapshot(options={"das.isolationaddress0": "10.0.0.2"}, started="2099-01-01T00:00:00+00:00")
    data = changed.model_dump(mode="json")
    first_vm = sorted(data["vms"])[0]
    data["vms"][first_vm]["cpu"]["count"] = 8
    assert state.write_snapshot(Snapshot.model_validate(data), "second") is not None
    state.close()
    result = invoke("diff", "--repo", repo, "--format", "json")
    assert result.exit_code == 0, result.output
    report = json.loads(result.stdout)
    by_path = {i["path"]: i for i in report["items"]}
    ha = by_path['ha.options["das.isolationaddress0"]']
    assert (ha["approved"], ha["baseline"], ha["approved_commit"]) == (True, "site", approving)
    assert ha["expected"] == {"equals": "10.0.0.2"} and ha["reason"] == "HA pings the core router."
    cpu = by_path["cpu.count"]
    assert cpu["approved"] is False and cpu["baseline"] is None
    assert report["summary"]["approved"] == 1 and report["summary"]["unapproved"] == 1


def test_check_reports_baselines_with_the_rules(repo: Path) -> None:
    (repo / "baselines").mkdir()
    (repo / "baselines" / "site.yaml").write_text(ISOLATION % "10.0.0.2")
    result = invoke("check", "--repo", repo, "--format", "json")
    assert result.exit_code == 0, result.output
    report = json.loads(result.stdout)
    (item,) = report["compliance"]
    assert (item["baseline"], item["old"], item["new"]) == ("site", "10.0.0.1", "10.0.0.2")
    found = [f for f in report["findings"] if f["source"] == "baseline"]
    assert [f["rule_id"] for f in found] == ["baseline/site/isolation-address"]
    assert invoke("check", "--repo", repo, "--fail-on", "high").exit_code == 1
    none = json.loads(invoke("check", "--repo", repo, "--format", "json", "--baseline", "none").stdout)
    assert none["compliance"] == []


def test_baseline_rule_settings_configure_check_and_bad_params_name_the_line(repo: Path) -> None:
    (repo / "baselines").mkdir()
    site = repo / "baselines" / "site.yaml"
    site.write_text("rules:\n  DG-HIST-003:\n    params: {max_migrations: lots}\n")
    result = invoke("check", "--repo", repo)
    assert result.exit_code == 2
    assert f"{Path('baselines/site.yaml')}:3:" in result.stderr and "max_migrations" in result.stderr
    site.write_text("rules:\n  DG-HA-001: {enabled: false}\n")
    report = json.loads(invoke("check", "--repo", repo, "--format", "json").stdout)
    assert not [f for f in report["findings"] if f["rule_id"] == "DG-HA-001"]


def test_validate_command_exit_2_and_nothing_written(repo: Path) -> None:
    (repo / "baselines").mkdir()
    bad = repo / "baselines" / "bad.yaml"
    bad.write_text(BROKEN["unknown path"][0])
    before = sorted(p.name for p in repo.rglob("*") if ".git" not in p.parts)
    result = invoke("validate", bad)
    assert result.exit_code == 2
    assert f"{bad}:4:" in result.stderr and "unknown path" in result.stderr
    assert sorted(p.name for p in repo.rglob("*") if ".git" not in p.parts) == before
    for command in (("check", "--repo", repo), ("plan", "--repo", repo)):
        assert invoke(*command).exit_code == 2
    good = repo / "baselines" / "bad.yaml"
    good.write_text(ISOLATION % "10.0.0.1")
    assert invoke("validate", good).exit_code == 0


def test_plan_for_a_branch_lists_every_object_and_the_group(repo: Path) -> None:
    commit_files(repo, {"baselines/site.yaml": ISOLATION % "10.0.0.1"}, "baselines: site")
    r = git.Repo(repo)
    base = r.head.commit.hexsha
    r.git.checkout("-b", "pr")
    commit_files(repo, {"baselines/site.yaml": ISOLATION % "10.0.0.2"}, "move the isolation address")
    result = invoke("plan", "--repo", repo, "--base", base, "--head", "HEAD", "--format", "json")
    assert result.exit_code == 0, result.output
    report = json.loads(result.stdout)
    (change,) = report["changes"]
    assert (change["key"], change["change"]) == ("isolation-address", "modified")
    (exp,) = report["expectations"]
    (group,) = exp["groups"]
    assert (group["observed"], group["target"], group["count"]) == ("10.0.0.1", "10.0.0.2", 1)
    assert [o["name"] for o in exp["objects"]] == ["DC0_C0"]
    assert report["summary"]["newly_noncompliant"] == 1
    md = invoke("plan", "--repo", repo, "--base", base, "--head", "HEAD").stdout
    assert "`10.0.0.1` → `10.0.0.2` on 1 cluster" in md


def test_pin_and_ignored_commands(repo: Path, tmp_path: Path) -> None:
    out = repo / "baselines" / "pinned.yaml"
    result = invoke("baseline", "pin", "--repo", repo, "--select", "kind=cluster", "--paths", "drs.*", "-o", out)
    assert result.exit_code == 0, result.output
    assert invoke("validate", out).exit_code == 0
    (repo / "baselines" / "site.yaml").write_text(ISOLATION % "10.0.0.2" + "ignore:\n  - 'cluster:ha.options*'\n")
    preview = json.loads(invoke("baseline", "ignored", "--repo", repo, "--format", "json").stdout)
    assert [i["path"] for i in preview["compliance"]] == ['ha.options["das.isolationaddress0"]']
    assert json.loads(invoke("check", "--repo", repo, "--format", "json").stdout)["compliance"] == []
    bad = invoke("baseline", "pin", "--repo", repo, "--select", "kind=folder", "-o", tmp_path / "x.yaml")
    assert bad.exit_code == 2 and not (tmp_path / "x.yaml").exists()


def test_commit_message_counts_approved_and_unapproved() -> None:
    snap = snapshot()
    items = baseline.compliance(snap, load_one(ISOLATION % "10.0.0.2"))
    marked = [items[0].model_copy(update={"approved": True}), items[0].model_copy(update={"approved": False})]
    report = DiffReport.model_validate(
        {"from": {"ref": "a"}, "to": {"ref": "b"}, "items": marked, "summary": DiffReport.summarize(marked)}
    )
    assert api.commit_message(report, snap).endswith("; 1 approved, 1 unapproved")


def test_docs_example_is_what_plan_renders() -> None:
    example = ROOT / "docs" / "examples"
    report = PlanReport.model_validate_json((example / "pr-review.json").read_text())
    rendered = plan_markdown(report)
    assert rendered == (example / "pr-review.md").read_text(), "run scripts/baseline_example.py"
    for doc in (ROOT / "docs" / "baselines.md", ROOT / "README.md"):
        text = doc.read_text()
        start = text.index("<!-- example:pr-review -->\n") + len("<!-- example:pr-review -->\n")
        shown = text[start : text.index("<!-- /example:pr-review -->")]
        if shown.startswith("````markdown\n"):  # the README shows the Markdown source in a fence
            shown = shown.removeprefix("````markdown\n").removesuffix("````\n")
        assert shown == rendered, doc
