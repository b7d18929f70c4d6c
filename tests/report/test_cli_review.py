"""The review layouts through the real CLI output path (``tests/cli_runner.invoke``: the command's own Rich console,
``COLUMNS`` 80 and 160, no colour), on a real state repo of two snapshots of the simulator's inventory.

Between the snapshots: VMs renamed to hostile names (Rich markup, ANSI escapes, a right-to-left override,
zero-width characters, a newline), one VM's CD-ROM re-pointed at an ISO with a hostile file name and the VM moved
to a new cluster, a portgroup with a hostile name that allows forged transmits, and memory changed on every VM.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from driftguard.models import Snapshot
from driftguard.store import StateRepo
from tests.cli_runner import invoke
from tests.faults._report_support import appears, raw_controls, shown
from tests.paths import FIXTURES

HOSTILE = {
    "vm-40": "web[bold red]01[/] [link=http://x]y",
    "vm-43": "[prod] web02 \x1b[31mred\x1b[0m rtl\u202egnp.exe zw\u200bx nl\nend",
}
ISO = "[LocalDS_0] iso/[red]rescue[/].iso"
PORTGROUP = "DMZ [blink]x[/blink]"


def _snapshots() -> tuple[Snapshot, Snapshot]:
    raw = json.loads((FIXTURES / "normalize" / "snapshot" / "vcsim-default.json").read_text())["expected"]
    new: dict[str, Any] = json.loads(json.dumps(raw))
    cluster = json.loads(json.dumps(new["clusters"]["clustercomputeresource-27"]))
    cluster.update(id="clustercomputeresource-54", name="DC0_C1")
    new["clusters"]["clustercomputeresource-54"] = cluster
    for vm_id, name in HOSTILE.items():
        new["vms"][vm_id]["name"] = name
        new["vms"][vm_id]["memory"]["size_mb"] = 4096
    vm = new["vms"]["vm-40"]
    vm["cluster"] = "clustercomputeresource-54"
    cdrom = next(d for d in vm["devices"].values() if d["type"] == "VirtualCdrom")
    cdrom["backing"] = {"type": "VirtualCdromIsoBackingInfo", "file_name": ISO}
    host = new["hosts"]["host-21"]["network"]["portgroups"]
    portgroup = json.loads(json.dumps(host["Prod-App"]))
    portgroup["vlan_id"] = 66
    portgroup["policy"]["security"]["forged_transmits"] = True
    host[PORTGROUP] = portgroup
    return Snapshot.model_validate(raw), Snapshot.model_validate(new)


@pytest.fixture(scope="module")
def repo(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("review") / "state"
    old, new = _snapshots()
    state = StateRepo.open(path, create=True)
    try:
        assert state.write_snapshot(old, "first") is not None
        assert state.write_snapshot(new, "second") is not None
    finally:
        state.close()
    return path


@pytest.mark.parametrize("columns", ["80", "160"])
def test_diff_shows_hostile_names_literally_and_one_row_per_logical_change(repo: Path, columns: str) -> None:
    result = invoke("diff", "--repo", repo, env={"COLUMNS": columns})
    assert result.exit_code == 0, result.output
    out = result.output
    for name in (*HOSTILE.values(), ISO, PORTGROUP):
        assert appears(name, out), f"{shown(name)!r} not shown literally at {columns} columns:\n{out}"
    assert raw_controls(out) == [], "control characters reached the terminal"
    assert "backing.type" not in out and "backing.file_name" not in out  # the CD-ROM is one change
    assert appears("→ ISO " + ISO, out) or appears("ISO " + ISO, out)
    assert appears("policy.security.forged_transmits: true", out)
    assert appears("- → DC0_C1", out)  # the new cluster's name, not its moref
    assert max(len(line) for line in out.splitlines()) <= int(columns)
    assert ("┃" in out) == (columns == "160")


def test_diff_stat_counts_by_kind_category_and_user(repo: Path) -> None:
    result = invoke("diff", "--repo", repo, "--stat", env={"COLUMNS": "80"})
    assert result.exit_code == 0, result.output
    lines = result.output.splitlines()
    assert "by kind" in lines and "by category" in lines and "by user" in lines
    assert any(line.startswith(" vm (2 VMs)") for line in lines), result.output
    assert any(line.startswith(" (unknown)") for line in lines), result.output  # no event history stored
    markdown = invoke("diff", "--repo", repo, "--stat", "--format", "markdown")
    assert markdown.exit_code == 0 and "| kind | changes |" in markdown.output


def test_diff_stat_refuses_json_with_a_usage_error(repo: Path) -> None:
    result = invoke("diff", "--repo", repo, "--stat", "--format", "json")
    assert result.exit_code == 2
    assert "--stat" in result.output and "Traceback" not in result.output


def test_diff_wide_shows_every_field_of_the_new_cluster(repo: Path) -> None:
    short = invoke("diff", "--repo", repo, env={"COLUMNS": "80"}).output
    wide = invoke("diff", "--repo", repo, "--wide", env={"COLUMNS": "80"}).output
    assert "more fields (--wide shows all)" in short
    assert "more fields" not in wide and len(wide.splitlines()) > len(short.splitlines())


@pytest.mark.parametrize("columns", ["80", "160"])
def test_check_shows_hostile_names_literally(repo: Path, columns: str) -> None:
    result = invoke("check", "--repo", repo, env={"COLUMNS": columns})
    assert result.exit_code == 0, result.output
    for name in (HOSTILE["vm-43"], PORTGROUP):  # vm-40's CD-ROM is an ISO now: no finding names it
        assert appears(name, result.output), f"{shown(name)!r} not shown at {columns} columns:\n{result.output}"
    assert raw_controls(result.output) == []


def test_check_statistics_counts_findings_per_rule(repo: Path) -> None:
    full = json.loads(invoke("check", "--repo", repo, "--format", "json").output)
    result = invoke("check", "--repo", repo, "--statistics", env={"COLUMNS": "80"})
    assert result.exit_code == 0, result.output
    counts: dict[str, int] = {}
    for finding in full["findings"]:
        counts[finding["rule_id"]] = counts.get(finding["rule_id"], 0) + 1
    for rule, count in counts.items():
        assert any(line.split()[:2] == [str(count), rule] for line in result.output.splitlines()), (rule, count)
    refused = invoke("check", "--repo", repo, "--statistics", "--format", "sarif")
    assert refused.exit_code == 2 and "--statistics" in refused.output
