"""``driftguard check --format sarif`` for GitHub code scanning (issue 13, point 5), on a real state repo.

Each result must validate against the OASIS schema and pass GitHub's documented ingestion rules
(:mod:`tests.report.github_sarif`); point at the line of the offending field in the object's file; be located by
moref so that a rename or a move to another cluster keeps the alert; and each run names its vCenter (the GitHub
category) and the state repo's remote and commit."""

from __future__ import annotations

import json
import subprocess
from pathlib import Path
from typing import Any
from urllib.parse import unquote

import jsonschema
import pytest

from driftguard.models import CheckReport, Endpoint, Finding
from driftguard.models.canonical import canonical_dumps, locate
from driftguard.models.paths import parse
from driftguard.report.sarif import MAX_RESULTS, check_sarif
from driftguard.store import StateRepo
from driftguard.store.remote import public_uri
from tests.cli_runner import invoke
from tests.paths import DATA
from tests.report.github_sarif import category, violations
from tests.rule_cases import build_snapshot, deep_merge

SARIF_SCHEMA = json.loads((DATA / "sarif-schema-2.1.0.json").read_text())
HOSTILE_VM = "web [01] 50%2F"
HOSTILE_CLUSTER = "Prod Cluster #1"
CDROM = {"key": 3000, "type": "VirtualCdrom", "connected": True, "backing": {"type": "VirtualCdromAtapiBackingInfo"}}
HOST: dict[str, Any] = {
    "network": {
        "vswitches": {"vSwitch0": {"uplinks": ["vmnic0"]}},
        "portgroups": {"Management Network": {"vswitch": "vSwitch0"}, "DMZ": {"vswitch": "vSwitch0", "vlan_id": 20}},
    },
}
BASE: dict[str, Any] = {
    "clusters": {"c1": {"name": HOSTILE_CLUSTER}, "c2": {"name": "Other"}},
    "hosts": {
        "host-1": {**HOST, "name": "esx01", "cluster": "c1"},
        "host-2": {**HOST, "name": "esx02", "cluster": "c2"},
    },
    "vms": {"vm-1": {"name": HOSTILE_VM, "host": "host-1", "devices": {"CD/DVD drive 1": CDROM}}},
}
BASELINE = """\
version: 1
expectations:
  - id: dmz-vlan
    select: {kind: host}
    path: network.portgroups["DMZ"].vlan_id
    equals: 30
    severity: high
    reason: The DMZ lives on VLAN 30 [see the network plan].
"""
ORIGIN = "https://ci-bot:s3cr3t-t0ken@git.example.com/infra/vsphere-state.git"


def git(repo: Path, *args: str) -> str:
    return subprocess.run(["git", "-C", str(repo), *args], check=True, capture_output=True, text=True).stdout.strip()


@pytest.fixture
def state(tmp_path: Path) -> Path:
    path = tmp_path / "state"
    StateRepo.open(path, create=True).write_snapshot(build_snapshot(BASE), "first")
    (path / "baselines").mkdir()
    (path / "baselines" / "site.yaml").write_text(BASELINE)
    git(path, "remote", "add", "origin", ORIGIN)
    return path


def sarif(repo: Path, *args: str) -> dict[str, Any]:
    result = invoke("check", "--repo", repo, "--format", "sarif", *args)
    assert result.exit_code == 0, result.output
    log: dict[str, Any] = json.loads(result.stdout)
    jsonschema.Draft4Validator(SARIF_SCHEMA).validate(log)
    assert violations(log) == []
    return log


def result_for(log: dict[str, Any], rule_id: str, moref: str) -> dict[str, Any]:
    (run,) = log["runs"]
    (found,) = [
        r
        for r in run["results"]
        if r["ruleId"] == rule_id and r["locations"][0]["logicalLocations"][0]["name"] == moref
    ]
    return found


def expected_line(file_text: str, path: str) -> int:
    """An oracle independent of the implementation: the value at ``path`` replaced by a marker, re-serialised."""
    data = json.loads(file_text)
    node = data
    segments = parse(path)
    for segment in segments[:-1]:
        node = node[segment if isinstance(segment, str) else str(segment.value)]
    last = segments[-1]
    node[last if isinstance(last, str) else str(last.value)] = "\u0000marker"
    marked = canonical_dumps(data).decode()
    return next(i for i, line in enumerate(marked.split("\n"), start=1) if "\\u0000marker" in line)


def test_github_accepts_it_and_the_oasis_schema_validates_it(state: Path) -> None:
    log = sarif(state)
    (run,) = log["runs"]
    assert run["results"], "the fixture has findings"
    assert run["columnKind"] == "unicodeCodePoints"


def test_region_is_the_line_of_the_offending_field_in_the_committed_file(state: Path) -> None:
    log = sarif(state)
    found = result_for(log, "baseline/site/dmz-vlan", "host-1")
    physical = found["locations"][0]["physicalLocation"]
    committed = git(state, "show", f"HEAD:{unquote(physical['artifactLocation']['uri'])}") + "\n"
    region = physical["region"]
    line = committed.split("\n")[region["startLine"] - 1]
    assert region["startLine"] == expected_line(committed, 'network.portgroups["DMZ"].vlan_id')
    assert line.strip().rstrip(",") == '"vlan_id": 20'
    assert region["endLine"] == region["startLine"]
    assert region["startColumn"] == line.index('"') + 1 and region["endColumn"] == len(line) + 1
    # a finding about the whole object points at its first line
    whole = result_for(log, "DG-VMOTION-001", "vm-1")["locations"][0]["physicalLocation"]["region"]
    assert (whole["startLine"], whole["startColumn"]) == (1, 1)


def test_uris_are_percent_encoded_and_decode_to_the_file(state: Path) -> None:
    found = result_for(sarif(state), "DG-VMOTION-001", "vm-1")
    uri = found["locations"][0]["physicalLocation"]["artifactLocation"]["uri"]
    assert " " not in uri and "[" not in uri and "#" not in uri
    # the file name holds a literal "%2F" (layout.py encodes "%"): it must not decode to "/"
    assert uri.count("/") == 3
    decoded = unquote(uri)
    assert (state / decoded).is_file()
    assert git(state, "ls-files", "--", decoded) == decoded


def test_baseline_rules_carry_full_metadata(state: Path) -> None:
    log = sarif(state)
    (run,) = log["runs"]
    rules = {r["id"]: r for r in run["tool"]["driver"]["rules"]}
    rule = rules["baseline/site/dmz-vlan"]
    assert rule["name"] == "dmz-vlan"
    # descriptions are not messages: no embedded links there, so brackets stay as written
    assert rule["shortDescription"]["text"] == "The DMZ lives on VLAN 30 [see the network plan]."
    full = rule["fullDescription"]["text"]
    assert "site" in full and 'network.portgroups["DMZ"].vlan_id' in full and "30" in full
    assert "baselines/site.yaml" in rule["help"]["text"] and "baselines/site.yaml" in rule["help"]["markdown"]
    assert rule["defaultConfiguration"]["level"] == "error"
    assert rule["properties"]["security-severity"] == "8.0"
    assert {"security", "baseline"} <= set(rule["properties"]["tags"])
    found = result_for(log, "baseline/site/dmz-vlan", "host-1")
    assert run["tool"]["driver"]["rules"][found["ruleIndex"]]["id"] == "baseline/site/dmz-vlan"


def test_one_category_per_vcenter_and_provenance_without_userinfo(state: Path) -> None:
    result = invoke("check", "--repo", state, "--format", "sarif")
    assert "s3cr3t" not in result.stdout and "ci-bot" not in result.stdout
    (run,) = json.loads(result.stdout)["runs"]
    assert run["automationDetails"]["id"] == "driftguard/vc.example/"
    assert category(run) == "driftguard/vc.example"
    (provenance,) = run["versionControlProvenance"]
    assert provenance == {
        "repositoryUri": "https://git.example.com/infra/vsphere-state.git",
        "revisionId": git(state, "rev-parse", "HEAD"),
    }


@pytest.mark.parametrize(
    ("remote", "uri"),
    [
        ("git@github.com:infra/vsphere-state.git", "ssh://github.com/infra/vsphere-state.git"),
        ("ssh://git@git.example.com:2222/infra/state.git", "ssh://git.example.com:2222/infra/state.git"),
    ],
)
def test_scp_like_and_ssh_remotes_become_uris(state: Path, remote: str, uri: str) -> None:
    git(state, "remote", "set-url", "origin", remote)
    (run,) = sarif(state)["runs"]
    assert run["versionControlProvenance"][0]["repositoryUri"] == uri


def test_no_remote_no_provenance(state: Path) -> None:
    git(state, "remote", "remove", "origin")
    (run,) = sarif(state)["runs"]
    assert "versionControlProvenance" not in run


def test_rename_and_cluster_move_keep_fingerprint_and_location_identity(state: Path) -> None:
    before = sarif(state)
    moved = deep_merge(BASE, {"vms": {"vm-1": {"name": "web02-renamed", "host": "host-2"}}})
    moved["vms"]["vm-1"].pop("cluster", None)
    StateRepo.open(state).write_snapshot(build_snapshot(moved), "renamed and moved to another cluster")
    after = sarif(state)
    old = result_for(before, "DG-VMOTION-001", "vm-1")
    new = result_for(after, "DG-VMOTION-001", "vm-1")
    assert old["partialFingerprints"] == new["partialFingerprints"]
    assert old["locations"][0]["logicalLocations"] == new["locations"][0]["logicalLocations"]
    assert old["locations"][0]["logicalLocations"][0]["fullyQualifiedName"] == "vc.example/vm/vm-1"
    # the file moved (it is named for people); the physical location follows it
    old_uri = old["locations"][0]["physicalLocation"]["artifactLocation"]["uri"]
    new_uri = new["locations"][0]["physicalLocation"]["artifactLocation"]["uri"]
    assert old_uri != new_uri and "Other/web02-renamed~vm-1.json" in new_uri
    assert (state / unquote(new_uri)).is_file() and not (state / unquote(old_uri)).exists()


def test_results_are_capped_at_githubs_limit_most_severe_first() -> None:
    assert MAX_RESULTS == 25_000
    findings = [
        Finding(
            rule_id="DG-X-001",
            rule_name="x",
            severity="high" if i % 3 == 0 else "low",
            message=f"finding {i}",
            vcenter="vc",
            kind="vm",
            id=f"vm-{i}",
            name=f"vm{i}",
            location=f"vc/vms/_standalone/vm{i}~vm-{i}.json",
        )
        for i in range(9)
    ]
    report = CheckReport(target=Endpoint(ref="live"), findings=findings, summary=CheckReport.summarize(findings))
    log = json.loads(check_sarif(report, [], max_results=4))
    jsonschema.Draft4Validator(SARIF_SCHEMA).validate(log)
    (run,) = log["runs"]
    assert [r["level"] for r in run["results"]] == ["error", "error", "error", "note"]
    (note,) = run["invocations"][0]["toolExecutionNotifications"]
    assert "5 of 9 results left out" in note["message"]["text"]
    assert run["properties"]["omitted"] == 5


@pytest.mark.parametrize(
    ("remote", "uri"),
    [
        ("https://ci-bot:s3cr3t@git.example.com/a/b.git", "https://git.example.com/a/b.git"),
        ("https://[::1]:8443/a b.git?access_token=s3cr3t#x", "https://[::1]:8443/a%20b.git"),
        ("host.example:/srv/state.git", "ssh://host.example/srv/state.git"),
        ("/srv/git/state.git", "file:///srv/git/state.git"),
        ("../state.git", None),
        ("", None),
    ],
)
def test_remote_urls_lose_their_credentials(remote: str, uri: str | None) -> None:
    assert public_uri(remote) == uri


def _leaves(node: Any, prefix: tuple[str | int, ...] = ()) -> list[tuple[str | int, ...]]:
    if isinstance(node, dict) and node:
        return [leaf for key, value in node.items() for leaf in _leaves(value, (*prefix, key))]
    if isinstance(node, list) and node:
        return [leaf for i, value in enumerate(node) for leaf in _leaves(value, (*prefix, i))]
    return [prefix]


def test_locate_finds_every_leaf_of_a_canonical_file() -> None:
    data = {"b": [{"y": [1, {"z": None}]}, [], {}], "a": {"k e y": {"é": "x\ny"}, "n": 3}, "c": []}
    data = json.loads(canonical_dumps(build_snapshot(BASE).hosts["host-1"].model_dump(mode="json"))) | data
    raw = canonical_dumps(data)
    for leaf in _leaves(data):
        marked = json.loads(raw)
        target: Any = marked
        for segment in leaf[:-1]:
            target = target[segment]
        target[leaf[-1]] = "\u0000marker"
        text = canonical_dumps(marked).decode()
        want = next(i for i, line in enumerate(text.split("\n"), start=1) if "\\u0000marker" in line)
        assert locate(raw, leaf)[0] == want, leaf
