"""End to end against the vCenter simulator, through the real command line: snapshot, change as named admins,
snapshot, diff — plus the failure modes an operator meets (dead vCenter, bad password, untrusted certificate)."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import git
import pytest
from pyVmomi import vim

from tests.cli_runner import invoke
from tests.vcsim import scenario

pytestmark = pytest.mark.vcsim

AUDITOR = "VSPHERE.LOCAL\\driftguard-audit"
ALICE = "VSPHERE.LOCAL\\alice"
BOB = "VSPHERE.LOCAL\\bob"
CAROL = "VSPHERE.LOCAL\\carol"
SECRET = "s3cret-never-printed"


def snapshot(url: str, repo: Path, *extra: str, password: str = SECRET) -> Any:
    return invoke("snapshot", "--vcenter", url, "--user", AUDITOR, "--repo", repo, *extra, password=password)


def commits(repo: Path) -> list[str]:
    r = git.Repo(repo)
    return [c.hexsha for c in r.iter_commits()] if r.head.is_valid() else []


def test_attributed_diff_end_to_end(vcsim: Any, tmp_path: Path) -> None:
    repo = tmp_path / "state"
    first = snapshot(vcsim.url, repo)
    assert first.exit_code == 0, first.output
    assert len(commits(repo)) == 1

    with scenario.session(vcsim.url, AUDITOR) as si:
        vms = scenario.names(si, vim.VirtualMachine)
        clusters = scenario.names(si, vim.ClusterComputeResource)
        hosts = scenario.names(si, vim.HostSystem)
    before = datetime.now(UTC)
    scenario.set_vm_cpus(vcsim.url, ALICE, vms[0], 4)
    scenario.set_vm_memory(vcsim.url, BOB, vms[1], 2048)
    scenario.connect_cdrom_iso(vcsim.url, BOB, vms[1], "[LocalDS_0] iso/rescue.iso")
    scenario.set_das_option(vcsim.url, CAROL, clusters[0], "das.isolationaddress0", "10.9.9.9")
    scenario.add_portgroup(vcsim.url, "root", hosts[0], "Shadow-DMZ", 66)
    after = datetime.now(UTC)

    second = snapshot(vcsim.url, repo)
    assert second.exit_code == 0, second.output
    assert len(commits(repo)) == 2
    head = git.Repo(repo).head.commit
    assert "unattributed" in head.message and "alice" in head.message and "bob" in head.message

    result = invoke("diff", "--repo", repo, "--format", "json")
    assert result.exit_code == 0, result.output
    report = json.loads(result.stdout)
    assert report["schema"] == "driftguard.diff/v1"
    items = report["items"]
    by_object: dict[tuple[str, str], list[dict[str, Any]]] = {}
    for item in items:
        by_object.setdefault((item["kind"], item["name"]), []).append(item)
    assert set(by_object) == {("vm", vms[0]), ("vm", vms[1]), ("cluster", clusters[0]), ("host", hosts[0])}

    # alice: exactly one change, the CPU count
    (cpu,) = by_object[("vm", vms[0])]
    assert (cpu["path"], cpu["old"], cpu["new"], cpu["change"]) == ("cpu.count", 1, 4, "modified")
    assert_attributed(cpu, ALICE, "VmReconfiguredEvent", before, after)

    # bob: memory and the CD-ROM now backed by an ISO, each attributed to his own reconfigure
    bob_items = by_object[("vm", vms[1])]
    memory = [i for i in bob_items if i["path"] == "memory.size_mb"]
    assert len(memory) == 1 and memory[0]["new"] == 2048
    cdrom = [i for i in bob_items if i["path"].startswith("devices[")]
    assert cdrom, bob_items
    assert {i["path"] for i in bob_items} == {"memory.size_mb"} | {i["path"] for i in cdrom}
    assert any(i["new"] == "[LocalDS_0] iso/rescue.iso" for i in cdrom)
    for item in bob_items:
        assert_attributed(item, BOB, "VmReconfiguredEvent", before, after)
    assert memory[0]["attribution"]["event_key"] != cdrom[0]["attribution"]["event_key"]

    # carol: the HA option, matched exactly through ClusterReconfiguredEvent.configChanges
    (das,) = by_object[("cluster", clusters[0])]
    assert das["path"] == 'ha.options["das.isolationaddress0"]' and das["new"] == "10.9.9.9"
    assert_attributed(das, CAROL, "ClusterReconfiguredEvent", before, after)

    # a portgroup added with no event in vCenter's history: unattributed, which is itself the signal
    (pg,) = by_object[("host", hosts[0])]
    assert pg["path"] == 'network.portgroups["Shadow-DMZ"]' and pg["change"] == "added"
    assert pg["new"]["vlan_id"] == 66
    assert pg["attribution"]["status"] == "unattributed"

    summary = report["summary"]
    assert summary["objects"] == 4 and summary["items"] == len(items)
    assert summary["unattributed"] == 1 and summary["attributed"] == len(items) - 1

    # Nothing changed since: no noise commit.
    third = snapshot(vcsim.url, repo)
    assert third.exit_code == 0, third.output
    assert len(commits(repo)) == 2
    assert "nothing committed" in third.stderr

    # --exit-code turns drift into exit 1 for CI; text and markdown render the same items.
    assert invoke("diff", "--repo", repo, "--exit-code").exit_code == 1
    text = invoke("diff", "--repo", repo).stdout
    assert "alice" in text and "unattributed" in text and "Shadow-DMZ" in text
    markdown = invoke("diff", "--repo", repo, "--format", "markdown").stdout
    # one row per logical change (the header row aside): the CD-ROM's changed fields are one row
    assert markdown.count("\n| ") - 1 == len(items) - len(cdrom) + 1


def assert_attributed(item: dict[str, Any], user: str, event_type: str, before: datetime, after: datetime) -> None:
    attribution = item["attribution"]
    assert attribution["status"] == "attributed", item
    assert attribution["confidence"] == "exact", item
    assert attribution["user"] == user
    assert attribution["event_type"] == event_type
    assert before <= datetime.fromisoformat(attribution["time"]) <= after


def test_live_diff_shows_changes_not_yet_snapshotted(vcsim: Any, tmp_path: Path) -> None:
    repo = tmp_path / "state"
    assert snapshot(vcsim.url, repo).exit_code == 0
    with scenario.session(vcsim.url, AUDITOR) as si:
        vm = scenario.names(si, vim.VirtualMachine)[2]
    scenario.set_vm_cpus(vcsim.url, ALICE, vm, 2)
    result = invoke("diff", "--live", "--repo", repo, "--vcenter", vcsim.url, "--user", AUDITOR, "--format", "json")
    assert result.exit_code == 0, result.output
    report = json.loads(result.stdout)
    assert report["to"]["ref"] == "live"
    (item,) = report["items"]
    assert item["name"] == vm and item["path"] == "cpu.count"
    assert item["attribution"]["user"] == ALICE
    assert len(commits(repo)) == 1  # a live diff writes nothing


def test_vcenter_dying_mid_collection_leaves_repo_untouched(vcsim: Any, vcsim_factory: Any, tmp_path: Path) -> None:
    repo = tmp_path / "state"
    assert snapshot(vcsim.url, repo).exit_code == 0
    before = commits(repo)
    files_before = sorted(str(p.relative_to(repo)) for p in repo.rglob("*") if ".git" not in p.parts)
    dying = vcsim_factory(stop_after_requests=4)
    result = snapshot(dying.url, repo)
    assert result.exit_code == 3, result.output
    assert dying.host in result.stderr and "nothing committed" in result.stderr
    assert commits(repo) == before
    assert git.Repo(repo).is_dirty(untracked_files=True) is False
    assert sorted(str(p.relative_to(repo)) for p in repo.rglob("*") if ".git" not in p.parts) == files_before


def test_wrong_password_exits_3_naming_vcenter_without_the_password(vcsim_factory: Any, tmp_path: Path) -> None:
    sim = vcsim_factory(username="administrator@vsphere.local", password="correct-horse")
    result = snapshot(sim.url, tmp_path / "state", password=SECRET)
    assert result.exit_code == 3
    assert sim.host in result.stderr
    assert "password" in result.stderr.lower() or "login" in result.stderr.lower()
    assert SECRET not in result.output and SECRET not in result.stderr
    assert not (tmp_path / "state").exists()  # nothing created, let alone committed


def test_tls_self_signed_refused_by_default_and_allowed_with_insecure(vcsim_factory: Any, tmp_path: Path) -> None:
    sim = vcsim_factory(tls=True)
    assert sim.url.startswith("https://")
    refused = snapshot(sim.url, tmp_path / "state")
    assert refused.exit_code == 3
    assert "certificate" in refused.stderr.lower() and "--insecure" in refused.stderr
    allowed = snapshot(sim.url, tmp_path / "state", "--insecure")
    assert allowed.exit_code == 0, allowed.output
    assert "verification is OFF" in allowed.stderr


def test_stored_history_keeps_the_events_policy_rules_read(vcsim: Any, tmp_path: Path) -> None:
    # Migrations explain no drift, yet migration churn is a finding (DG-HIST-003): the commit must keep them so
    # `driftguard check` on the stored snapshot sees what a live check would.
    repo = tmp_path / "state"
    assert snapshot(vcsim.url, repo).exit_code == 0
    with scenario.session(vcsim.url, AUDITOR) as si:
        vms = scenario.names(si, vim.VirtualMachine)
    scenario.post_migrations(vcsim.url, ALICE, vms[0], 5)
    scenario.set_vm_cpus(vcsim.url, ALICE, vms[1], 2)  # some drift, so the run commits
    assert snapshot(vcsim.url, repo).exit_code == 0
    stored = json.loads(git.Repo(repo).git.show(f"HEAD:{vcsim.host}_{vcsim.port}/history.json"))
    assert sum(e["type"] == "DrsVmMigratedEvent" for e in stored["events"]) == 5
    result = invoke("check", "--repo", repo, "--rules", "DG-HIST-003", "--format", "json")
    assert result.exit_code == 0, result.output
    (finding,) = json.loads(result.stdout)["findings"]
    assert finding["rule_id"] == "DG-HIST-003" and finding["name"] == vms[0]
