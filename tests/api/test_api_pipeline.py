"""The one drift pipeline of :mod:`driftguard.api`, against the simulator: a live check aligns host evidence like
every other command, stored attribution survives any vCenter name, and the facade closes what it opens."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from pydantic import SecretStr
from pyVmomi import vim

from driftguard import api
from driftguard.store import StateRepo
from tests.cli.test_bundle_import import build_bundle
from tests.cli_runner import invoke
from tests.e2e.test_e2e import ALICE, AUDITOR, SECRET
from tests.e2e.test_hostfiles_e2e import snapshot as host_files_snapshot
from tests.ssh.sshd import Sshd, fake_host_root, ssh_config
from tests.vcsim import scenario

pytestmark = pytest.mark.vcsim


def connection(url: str) -> api.Connection:
    return api.Connection(url=url, user=AUDITOR, password=SecretStr(SECRET))


def test_live_check_of_a_host_files_snapshot_raises_no_false_agent_file_finding(
    vcsim: Any, sshd_server: Sshd, tmp_path: Path
) -> None:
    hosts = ["DC0_C0_H0", "DC0_C0_H1", "DC0_C0_H2"]
    roots = {h: fake_host_root(tmp_path / "hosts" / h, h) for h in hosts}
    known = tmp_path / "known_hosts"
    known.write_text(sshd_server.known_hosts_line())
    config = ssh_config(tmp_path / "driftguard.toml", sshd_server, roots, known_hosts=known)
    repo = tmp_path / "state"
    first = host_files_snapshot(vcsim.url, repo, config)
    assert first.exit_code == 0, first.output

    # vCenter now, without host files: the agent files are not collected, which is not "every file removed"
    args = ["check", "--live", "--repo", repo, "--vcenter", vcsim.url, "--user", AUDITOR, "--format", "json"]
    result = invoke(*args, password=SECRET)
    assert result.exit_code == 0, result.output
    report = json.loads(result.stdout)
    assert report["target"]["ref"] == "live"
    assert [f for f in report["findings"] if f["rule_id"] == "DG-HIST-002"] == []


@pytest.mark.parametrize("name", ["fd00::10", "evidence"])
def test_stored_attribution_survives_a_vcenter_name_that_is_sanitised(vcsim: Any, tmp_path: Path, name: str) -> None:
    repo = tmp_path / "state"
    conn = connection(vcsim.url)
    api.snapshot(conn, repo, vcenter=name)
    with scenario.session(vcsim.url, AUDITOR) as si:
        vm = scenario.names(si, vim.VirtualMachine)[0]
    scenario.set_vm_cpus(vcsim.url, ALICE, vm, 4)
    second = api.snapshot(conn, repo, vcenter=name)
    assert second.commit is not None and "alice" in second.message

    report = api.diff(repo, vcenter=name)
    (item,) = report.items
    assert item.path == "cpu.count"
    assert item.attribution is not None
    assert item.attribution.status == "attributed", item.attribution
    assert item.attribution.user == ALICE


def test_facade_closes_every_state_repo_it_opens(vcsim: Any, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """A scheduler calling the facade for months must not accumulate git helper processes: every StateRepo the
    facade opens is closed before the call returns, on success and on error."""
    repo = tmp_path / "state"
    conn = connection(vcsim.url)
    opened: list[StateRepo] = []
    closed: list[StateRepo] = []
    real_open, real_close = StateRepo.open.__func__, StateRepo.close  # type: ignore[attr-defined]

    def spy_open(cls: type[StateRepo], path: Any, create: bool = False) -> StateRepo:
        state: StateRepo = real_open(cls, path, create)
        opened.append(state)
        return state

    def spy_close(self: StateRepo) -> None:
        closed.append(self)
        real_close(self)

    monkeypatch.setattr(StateRepo, "open", classmethod(spy_open))
    monkeypatch.setattr(StateRepo, "close", spy_close)
    api.snapshot(conn, repo)
    scenario.set_vm_cpus(vcsim.url, ALICE, "DC0_C0_H0_VM0", 2)
    api.snapshot(conn, repo)
    api.diff(repo)
    api.check(repo)
    api.log(repo)
    api.diff_live(conn, repo)
    api.check(repo, live=True, conn=conn)
    api.plan(repo)
    api.ignored(repo)
    api.load_baselines(repo, "HEAD")
    api.pin(repo, {"kind": "host"}, ["ntp_servers"])
    api.import_bundles([build_bundle(tmp_path / "esx.tgz")], repo)
    api.init(tmp_path / "fresh")
    with pytest.raises(api.UsageError):
        api.diff(repo, vcenter="no-such-vcenter")
    assert opened
    assert {id(s) for s in opened} <= {id(s) for s in closed}


def test_several_vcenters_in_one_repo_are_told_apart_by_name(vcsim: Any, tmp_path: Path) -> None:
    repo = tmp_path / "state"
    conn = connection(vcsim.url)
    for name in ("vc-a", "vc-b"):
        api.snapshot(conn, repo, vcenter=name)
    scenario.set_vm_cpus(vcsim.url, ALICE, "DC0_C0_H0_VM0", 3)
    api.snapshot(conn, repo, vcenter="vc-b")
    with pytest.raises(api.UsageError, match=r"several vCenters \(vc-a, vc-b\): pick one with --vcenter-name"):
        api.diff(repo)
    (item,) = api.diff(repo, vcenter="vc-b").items
    assert (item.vcenter, item.path, item.new) == ("vc-b", "cpu.count", 3)
    live = api.diff_live(conn, repo, vcenter="vc-a")
    assert [(i.vcenter, i.path, i.new) for i in live.items] == [("vc-a", "cpu.count", 3)]
    assert api.check(repo, vcenter="vc-b").target.ref == api.log(repo, vcenter="vc-b")[0].commit
