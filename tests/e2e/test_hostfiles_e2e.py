"""End to end with the vCenter simulator and a real OpenSSH server: ``snapshot --host-files ssh`` collects the HA
agent files, an edit on the host is unattributed drift, the same kind of change after an HA reconfigure in vCenter
is *likely* explained by it, and a dead host is recorded unknown while the rest of the snapshot commits."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import git
import pytest
from pyVmomi import vim

from tests.cli_runner import invoke
from tests.e2e.test_e2e import AUDITOR, CAROL, SECRET, commits
from tests.ssh.sshd import CLUSTERCONFIG, Sshd, fake_host_root, ssh_config, write_clusterconfig
from tests.vcsim import scenario

pytestmark = pytest.mark.vcsim

CLUSTERCONFIG_PATH = 'ha_agent.files["/etc/opt/vmware/fdm/clusterconfig"]'


def snapshot(url: str, repo: Path, config: Path, *extra: str) -> Any:
    return invoke(
        "snapshot", "--vcenter", url, "--user", AUDITOR, "--repo", repo,
        "--host-files", "ssh", "--host-files-hosts", "DC0_C0_*", "--config", config, *extra, password=SECRET,
    )  # fmt: skip


def diff_items(repo: Path) -> list[dict[str, Any]]:
    result = invoke("diff", "--repo", repo, "--format", "json")
    assert result.exit_code == 0, result.output
    items: list[dict[str, Any]] = json.loads(result.stdout)["items"]
    return items


def stored_host(repo: Path, name: str) -> dict[str, Any]:
    (path,) = list(repo.rglob(f"hosts/*/{name}~*.json"))
    data: dict[str, Any] = json.loads(path.read_text())
    return data


def test_agent_file_drift_end_to_end(vcsim: Any, sshd_server: Sshd, tmp_path: Path) -> None:
    with scenario.session(vcsim.url, AUDITOR) as si:
        hosts = [h for h in scenario.names(si, vim.HostSystem) if h.startswith("DC0_C0_")]
        cluster = "DC0_C0"
    assert hosts == ["DC0_C0_H0", "DC0_C0_H1", "DC0_C0_H2"]
    roots = {h: fake_host_root(tmp_path / "hosts" / h, h) for h in hosts}
    known = tmp_path / "known_hosts"
    known.write_text(sshd_server.known_hosts_line())
    config = ssh_config(tmp_path / "driftguard.toml", sshd_server, roots, dead=("DC0_C0_H2",), known_hosts=known)
    repo = tmp_path / "state"

    # 1. first snapshot: two hosts read, the dead one unknown with its reason, the snapshot commits anyway
    first = snapshot(vcsim.url, repo, config)
    assert first.exit_code == 0, first.output
    assert len(commits(repo)) == 1
    assert "HA agent files of DC0_C0_H2" in first.stderr and "refused" in first.stderr
    h0 = stored_host(repo, "DC0_C0_H0")
    assert h0["ha_agent"]["source"] == "ssh"
    assert sorted(h0["ha_agent"]["files"]) == [
        "/etc/opt/vmware/fdm/clusterconfig",
        "/etc/opt/vmware/fdm/compatlist",
        "/etc/opt/vmware/fdm/fdm.cfg",
        "/etc/opt/vmware/fdm/hostlist",
    ]
    assert "hunter2" not in json.dumps(h0)
    h2 = stored_host(repo, "DC0_C0_H2")
    assert h2["ha_agent"]["files"] == {} and "refused" in h2["unknowns"]["ha_agent"]
    # the simulator has no RetrieveDasAdvancedRuntimeInfo: unknown with the server's fault, not a failure
    (cluster_file,) = repo.rglob(f"clusters/*/{cluster}~*.json")
    cluster_data = json.loads(cluster_file.read_text())
    assert cluster_data["ha_runtime"] is None and "MethodNotFound" in cluster_data["unknowns"]["ha_runtime"]

    # 2. someone edits the agent's configuration on the host: drift, and nothing in vCenter explains it
    write_clusterconfig(roots["DC0_C0_H0"], CLUSTERCONFIG.replace("10.0.0.1", "10.6.6.6"))
    second = snapshot(vcsim.url, repo, config)
    assert second.exit_code == 0, second.output
    assert len(commits(repo)) == 2
    items = diff_items(repo)
    assert {(i["name"], i["path"].split("]")[0] + "]") for i in items} == {("DC0_C0_H0", CLUSTERCONFIG_PATH)}
    by_path = {i["path"]: i for i in items}
    text = by_path[f"{CLUSTERCONFIG_PATH}.text"]
    assert "10.0.0.1" in text["old"] and "10.6.6.6" in text["new"]
    assert f"{CLUSTERCONFIG_PATH}.sha256" in by_path
    for item in items:
        assert item["kind"] == "host" and item["change"] == "modified"
        assert item["attribution"]["status"] == "unattributed", item
    assert "unattributed" in git.Repo(repo).head.commit.message

    # 3. an HA reconfigure in vCenter pushes configuration to the agents: a file change in that window is likely
    scenario.set_das_option(vcsim.url, CAROL, cluster, "das.isolationaddress0", "10.7.7.7")
    write_clusterconfig(roots["DC0_C0_H1"], CLUSTERCONFIG.replace("10.0.0.1", "10.7.7.7"))
    third = snapshot(vcsim.url, repo, config)
    assert third.exit_code == 0, third.output
    items = diff_items(repo)
    host_items = [i for i in items if i["kind"] == "host"]
    assert host_items and {i["name"] for i in host_items} == {"DC0_C0_H1"}
    for item in host_items:
        assert item["path"].startswith(CLUSTERCONFIG_PATH)
        attribution = item["attribution"]
        assert attribution["status"] == "attributed" and attribution["confidence"] == "likely", item
        assert attribution["event_type"] == "ClusterReconfiguredEvent" and attribution["user"] == CAROL
    (das,) = [i for i in items if i["kind"] == "cluster"]
    assert das["attribution"]["confidence"] == "exact"

    # 4. a snapshot without --host-files is not "every agent file removed": the files are unknown, not drift
    plain = invoke("snapshot", "--vcenter", vcsim.url, "--user", AUDITOR, "--repo", repo)
    assert plain.exit_code == 0, plain.output
    assert "ha_agent" in stored_host(repo, "DC0_C0_H0")["unknowns"]
    assert len(commits(repo)) == 4  # the stored unknowns changed
    assert not [i for i in diff_items(repo) if "ha_agent" in i["path"] or "ha_runtime" in i["path"]]


def test_strict_host_files_fail_and_commit_nothing(vcsim: Any, sshd_server: Sshd, tmp_path: Path) -> None:
    roots = {"DC0_C0_H0": fake_host_root(tmp_path / "h0"), "DC0_C0_H1": fake_host_root(tmp_path / "h1")}
    known = tmp_path / "known_hosts"
    known.write_text("")  # nothing trusted: every host refused
    config = ssh_config(tmp_path / "driftguard.toml", sshd_server, roots, known_hosts=known)
    repo = tmp_path / "state"
    result = invoke(
        "snapshot", "--vcenter", vcsim.url, "--user", AUDITOR, "--repo", repo, "--host-files", "ssh",
        "--host-files-hosts", "DC0_C0_H[01]", "--config", config, "--host-files-strict",
    )  # fmt: skip
    assert result.exit_code == 3
    assert "DC0_C0_H0" in result.stderr and "not in" in result.stderr and "nothing committed" in result.stderr
    assert not repo.exists() or not commits(repo)
