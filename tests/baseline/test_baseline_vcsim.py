"""Acceptance of baselines against the vCenter simulator, through the real command line: a state repo built from
simulator snapshots; compliance drift found and not found; the seed-security baseline against the simulator's
defaults; `plan` for a pull-request branch that moves das.isolationaddress0 on 14 clusters; history drift
approved once the baseline is merged, unapproved otherwise; a broken baseline stops the nightly snapshot before
anything is written."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import git
import pytest
from pyVmomi import vim

from tests.cli_runner import invoke
from tests.e2e.test_e2e import ALICE, AUDITOR, BOB, CAROL, snapshot
from tests.vcsim import scenario

pytestmark = pytest.mark.vcsim

SITE = """\
version: 1
extends: seed-security
expectations:
  - id: isolation-address
    select: {kind: cluster}
    path: ha.options["das.isolationaddress0"]
    equals: %s
    severity: high
    reason: HA pings the core router of the management network.
"""


def commit(repo: Path, text: str, message: str) -> str:
    (repo / "baselines").mkdir(exist_ok=True)
    (repo / "baselines" / "site.yaml").write_text(text)
    r = git.Repo(repo)
    r.index.add(["baselines/site.yaml"])
    return r.index.commit(message).hexsha


def as_json(result: Any) -> Any:
    assert result.exit_code in (0, 1), result.output
    return json.loads(result.stdout)


def test_baselines_review_compliance_and_approval(vcsim_factory: Any, tmp_path: Path) -> None:
    sim = vcsim_factory(clusters=14, hosts=1, vms=1)
    with scenario.session(sim.url, AUDITOR) as si:
        clusters = scenario.names(si, vim.ClusterComputeResource)
        vms = scenario.names(si, vim.VirtualMachine)
    assert len(clusters) == 14
    for name in clusters:
        scenario.set_das_option(sim.url, ALICE, name, "das.isolationaddress0", "10.0.0.1")
    repo = tmp_path / "state"
    assert snapshot(sim.url, repo).exit_code == 0
    r = git.Repo(repo)

    # compliance: the site's isolation address holds everywhere; seed-security finds what vcsim's defaults break
    commit(repo, SITE % "10.0.0.1", "baselines: site")
    report = as_json(invoke("check", "--repo", repo, "--format", "json"))
    by_baseline: dict[str, list[dict[str, Any]]] = {}
    for item in report["compliance"]:
        by_baseline.setdefault(item["baseline"], []).append(item)
    assert "site" not in by_baseline
    seed = by_baseline["seed-security"]
    forged = [i for i in seed if i["path"].endswith("effective_security.forged_transmits")]
    assert forged and all(i["old"] is True and i["new"] is False for i in forged)
    assert {i["name"] for i in seed if i["path"] == "name"}  # hosts added by short name, not FQDN
    assert any(
        f["source"] == "baseline" and f["rule_id"].startswith("baseline/seed-security/") for f in report["findings"]
    )
    commit(repo, SITE % "10.0.0.9", "baselines: site (temporary)")
    drifted = as_json(invoke("check", "--repo", repo, "--format", "json", "--baseline", "site"))
    site_items = [i for i in drifted["compliance"] if i["baseline"] == "site"]
    assert sorted(i["name"] for i in site_items) == sorted(clusters)
    assert all((i["old"], i["new"]) == ("10.0.0.1", "10.0.0.9") for i in site_items)
    main = commit(repo, SITE % "10.0.0.1", "baselines: site back to 10.0.0.1")

    # the pull request: move the isolation address
    r.git.checkout("-b", "move-isolation")
    pr_commit = commit(repo, SITE % "10.0.0.2", "site: isolation address 10.0.0.2")
    plan = as_json(invoke("plan", "--repo", repo, "--base", main, "--head", "HEAD", "--format", "json"))
    assert plan["errors"] == []
    (change,) = plan["changes"]
    assert (change["baseline"], change["key"], change["change"]) == ("site", "isolation-address", "modified")
    (exp,) = plan["expectations"]
    assert sorted(o["name"] for o in exp["objects"]) == sorted(clusters)
    assert all((o["observed"], o["target"], o["compliant"]) == ("10.0.0.1", "10.0.0.2", False) for o in exp["objects"])
    (group,) = exp["groups"]
    assert group["count"] == 14 and sorted(group["names"]) == sorted(clusters)
    assert plan["summary"]["newly_noncompliant"] == 14 and plan["summary"]["resolved"] == 0
    markdown = invoke("plan", "--repo", repo, "--base", main, "--head", "HEAD").stdout
    assert '`ha.options["das.isolationaddress0"]` `10.0.0.1` → `10.0.0.2` on 14 clusters' in markdown
    assert len(markdown) <= 65_536 and markdown.startswith("<!-- driftguard-plan -->")

    # merged; carol applies it on one cluster (approved), bob resizes a VM (no baseline asked for it)
    r.git.checkout("master" if "master" in r.heads else "main")
    r.git.merge("--no-ff", "move-isolation", "-m", "Merge pull request: move the isolation address")
    scenario.set_das_option(sim.url, CAROL, clusters[0], "das.isolationaddress0", "10.0.0.2")
    scenario.set_vm_cpus(sim.url, BOB, vms[0], 4)
    nightly = snapshot(sim.url, repo)
    assert nightly.exit_code == 0, nightly.output
    assert "1 approved, 1 unapproved" in r.head.commit.message
    diff = as_json(invoke("diff", "--repo", repo, "--format", "json"))
    items = {(i["kind"], i["path"]): i for i in diff["items"]}
    ha = items[("cluster", 'ha.options["das.isolationaddress0"]')]
    assert (ha["approved"], ha["baseline"], ha["attribution"]["user"]) == (True, "site", CAROL)
    assert ha["approved_commit"] in (pr_commit, r.head.commit.parents[0].hexsha)
    cpu = items[("vm", "cpu.count")]
    assert (cpu["approved"], cpu["attribution"]["user"]) == (False, BOB)
    text = invoke("diff", "--repo", repo).stdout  # people reading the table see the verdict too
    assert "approved by site" in text and "unapproved" in text and "1 approved, 1 unapproved" in text

    # a broken baseline on main: the nightly snapshot stops before collecting; nothing is written
    commit(repo, "expectations:\n  - {id: x, select: {kind: cluster, folder: a}, path: ha.enabled, equals: 1}\n", "bad")
    head = r.head.commit.hexsha
    scenario.set_vm_cpus(sim.url, BOB, vms[0], 2)
    broken = snapshot(sim.url, repo)
    assert broken.exit_code == 2
    assert "baselines/site.yaml:2:" in broken.stderr and "unknown field" in broken.stderr
    assert r.head.commit.hexsha == head and not r.is_dirty(untracked_files=True)
