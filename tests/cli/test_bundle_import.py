"""``driftguard import-bundle``: tarballs built here with the real vm-support layout (``esx-<host>-<date>--<time>``
top directory, ``commands/*.txt``, ``etc/opt/vmware/fdm``, ``var/run/log/vmkernel*`` plain and gzipped)."""

from __future__ import annotations

import gzip
import io
import json
import tarfile
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import git

from tests.cli_runner import invoke
from tests.ssh.sshd import CLUSTERCONFIG, FDM_CFG, HOSTLIST

TOP = "esx-esx01.lab.local-2024-05-10--02.00-12345"
NAA_HOT = "naa.60014055f8b2795a91c490c97bcac81b"
NAA_CALM = "naa.60014057a7407bf702f4f9e9d92a9ede"


def esxi_conflict(moment: datetime, naa: str, path: str = "vmhba2:C0:T0:L1") -> str:
    """An ESXi 5+ vmkernel line for a command failed with device status 0x18 (RESERVATION CONFLICT)."""
    stamp = moment.strftime("%Y-%m-%dT%H:%M:%S.123Z")
    return (
        f'{stamp} cpu7:33561)NMP: nmp_ThrottleLogForDevice:3788: Cmd 0x2a (0x45a1c1a2b3c0, 0) to dev "{naa}" '
        f'on path "{path}" Failed: H:0x0 D:0x18 P:0x0 Invalid sense data: 0x0 0x0 0x0. Act:NONE'
    )


def vmkernel_log() -> str:
    start = datetime(2024, 5, 10, 1, 0, tzinfo=UTC)
    lines = [f"{start:%Y-%m-%dT%H:%M:%S}.000Z cpu0:1)Boot Successful"]
    # a burst: 12 conflicts in 33 s on one LUN (threshold 10 per 60 s)
    lines += [esxi_conflict(start + timedelta(minutes=5, seconds=3 * i), NAA_HOT) for i in range(12)]
    # background noise: 3 conflicts ten minutes apart on another LUN
    lines += [esxi_conflict(start + timedelta(minutes=20 + 10 * i), NAA_CALM, "vmhba3:C0:T1:L4") for i in range(3)]
    lines.append(f"{start + timedelta(hours=1):%Y-%m-%dT%H:%M:%S}.000Z cpu1:2)ScsiDeviceIO: 3015: Cmd OK")
    return "\n".join(lines) + "\n"


def chapter_log() -> str:
    """The chapter's ESX 3.x lines (wrapped as printed): three conflicts on vmhba1:0:1 within a minute."""
    return (
        "May 10 02:01:25 aurora02 vmkernel: 1:12:11:30.946 cpu7:1078)SCSI: 4782:\n"
        "path vmhba1:0:1: Passing device status RESERVATION_CONFLICT (18) through\n"
        "May 10 02:02:03 aurora02 vmkernel: 1:12:12:09.517 cpu6:1091)SCSI: 4782:\n"
        "path vmhba1:0:1: Passing device status RESERVATION_CONFLICT (18) through\n"
        "May 10 02:02:15 aurora02 vmkernel: 1:12:12:21.237 cpu7:1081)SCSI: 4782:\n"
        "path vmhba1:0:1: Passing device status RESERVATION_CONFLICT (18) through\n"
    )


FDM_LOG = "".join(
    f"2024-05-10T01:{minute}:00.000Z {level} fdm[2099340] [Originator@6876 sub={sub} opID=SWI-{n}] {message}\n"
    for n, (minute, level, sub, message) in enumerate(
        [
            ("00", "info", "Cluster", "errors=0, state master"),
            ("10", "error", "Cluster", "Failed to read clusterconfig: bad checksum"),
            ("20", "error", "Invt", "Failed to read clusterconfig: bad checksum"),
            ("30", "verbose", "Election", "heartbeat sent"),
        ]
    )
)


def build_bundle(path: Path, *, clusterconfig: str = CLUSTERCONFIG, top: str = TOP) -> Path:
    files: dict[str, bytes] = {
        "commands/uname_-a.txt": b"VMkernel esx01.lab.local 7.0.3 #1 SMP Release build-21930508 Jun 2 2023 x86_64\n",
        "commands/vmware_-vl.txt": b"VMware ESXi 7.0.3 build-21930508\nVMware ESXi 7.0 Update 3\n",
        "commands/df.txt": b"Filesystem Bytes Used Available Use% Mounted on\n",
        "commands/prettyPrint.sh_clusterconfig.txt": clusterconfig.encode(),
        "commands/prettyPrint.sh_hostlist.txt": HOSTLIST.encode(),
        "etc/opt/vmware/fdm/clusterconfig": gzip.compress(clusterconfig.encode(), mtime=0),
        "etc/opt/vmware/fdm/hostlist": gzip.compress(HOSTLIST.encode(), mtime=0),
        "etc/opt/vmware/fdm/fdm.cfg": FDM_CFG.encode(),
        "etc/vmware/esx.conf": b'/adv/Misc/HostName = "esx01.lab.local"\n',
        "var/run/log/vmkernel.log": vmkernel_log().encode(),
        "var/run/log/vmkernel.0.gz": gzip.compress(chapter_log().encode(), mtime=0),
        "var/run/log/fdm.log": FDM_LOG.encode(),
        "var/run/log/hostd.log": b"2024-05-10T01:00:00.000Z error hostd[1] not an HA agent log\n",
        "action.log": b"vm-support finished\n",
    }
    with tarfile.open(path, "w:gz") as archive:
        for name in ("commands", "etc", "var", "var/run", "var/run/log"):
            info = tarfile.TarInfo(f"{top}/{name}")
            info.type, info.mode = tarfile.DIRTYPE, 0o755
            archive.addfile(info)
        for name, data in files.items():
            info = tarfile.TarInfo(f"{top}/{name}")
            info.size, info.mode, info.mtime = len(data), 0o600 if name.endswith("fdm.cfg") else 0o644, 1715302800
            archive.addfile(info, io.BytesIO(data))
    return path


def test_import_commits_evidence_and_reports_findings(tmp_path: Path) -> None:
    bundle = build_bundle(tmp_path / "esx01.tgz")
    repo = tmp_path / "state"
    result = invoke("import-bundle", bundle, "--repo", repo, "--format", "json")
    assert result.exit_code == 0, result.output
    report = json.loads(result.stdout)
    assert report["schema"] == "driftguard.evidence-import/v1" and report["commit"]
    (host,) = report["hosts"]
    assert host["path"] == "evidence/_bundles/esx01.lab.local.json"
    assert host["host"] == {
        "name": "esx01.lab.local",
        "version": "VMware ESXi 7.0.3",
        "build": "build-21930508",
        "update": "VMware ESXi 7.0 Update 3",
    }
    assert host["files"] == [
        "/etc/opt/vmware/fdm/clusterconfig",
        "/etc/opt/vmware/fdm/fdm.cfg",
        "/etc/opt/vmware/fdm/hostlist",
    ]

    by_rule: dict[str, list[dict[str, Any]]] = {}
    for finding in report["findings"]:
        by_rule.setdefault(finding["rule_id"], []).append(finding)
    (burst,) = by_rule["DG-EVIDENCE-001"]  # the calm LUN and the chapter's 3 lines stay below the threshold
    evidence = burst["evidence"]
    assert evidence["lun"] == NAA_HOT and evidence["count"] == 12 and evidence["peak_in_window"] == 12
    assert evidence["paths"] == ["vmhba2:C0:T0:L1"]
    assert (evidence["first"], evidence["last"]) == ("2024-05-10T01:05:00.123000Z", "2024-05-10T01:05:33.123000Z")
    assert burst["severity"] == "high" and burst["kind"] == "host" and burst["name"] == "esx01.lab.local"
    (ha,) = by_rule["DG-EVIDENCE-002"]
    assert ha["evidence"]["count"] == 2 and ha["evidence"]["files"] == ["var/run/log/fdm.log"]
    assert ha["evidence"]["top_messages"] == [{"message": "Failed to read clusterconfig: bad checksum", "count": 2}]
    assert report["summary"] == {"findings": 2, "by_severity": {"high": 1, "medium": 1}}

    stored = (repo / "evidence/_bundles/esx01.lab.local.json").read_text()
    assert "hunter2" not in stored
    data = json.loads(stored)
    assert data["schema"] == "driftguard.evidence/v1" and data["ha_agent"]["source"] == "bundle"
    config = data["ha_agent"]["files"]["/etc/opt/vmware/fdm/clusterconfig"]
    assert config["binary"] and "das.isolationaddress0" in config["text"]  # decoded by the bundle's prettyPrint.sh
    assert data["ha_agent"]["files"]["/etc/opt/vmware/fdm/fdm.cfg"]["mode"] == "0600"
    head = git.Repo(repo).head.commit
    assert "esx01.lab.local" in head.message and "2 finding(s)" in head.message
    assert not git.Repo(repo).is_dirty(untracked_files=True)


def test_threshold_and_window_are_configurable(tmp_path: Path) -> None:
    bundle = build_bundle(tmp_path / "esx01.tgz")
    result = invoke(
        "import-bundle", bundle, "--repo", tmp_path / "state", "--format", "json",
        "--reservation-threshold", "3", "--reservation-window", "60",
    )  # fmt: skip
    assert result.exit_code == 0, result.output
    bursts = [f for f in json.loads(result.stdout)["findings"] if f["rule_id"] == "DG-EVIDENCE-001"]
    by_lun = {f["evidence"]["lun"]: f["evidence"] for f in bursts}
    # the chapter's wrapped ESX 3.x lines: the time is on the line before; the year comes from the bundle's name
    assert set(by_lun) == {NAA_HOT, "vmhba1:0:1"}
    chapter = by_lun["vmhba1:0:1"]
    assert chapter["count"] == 3 and chapter["files"] == ["var/run/log/vmkernel.0.gz"]
    assert (chapter["first"], chapter["last"]) == ("2024-05-10T02:01:25Z", "2024-05-10T02:02:15Z")


def test_reimport_is_idempotent_and_a_new_bundle_shows_the_change(tmp_path: Path) -> None:
    repo = tmp_path / "state"
    bundle = build_bundle(tmp_path / "esx01.tgz")
    assert invoke("import-bundle", bundle, "--repo", repo).exit_code == 0
    again = invoke("import-bundle", bundle, "--repo", repo)
    assert again.exit_code == 0 and "nothing committed" in again.stderr
    assert len(list(git.Repo(repo).iter_commits())) == 1

    later = build_bundle(
        tmp_path / "esx01-later.tgz",
        clusterconfig=CLUSTERCONFIG.replace("10.0.0.1", "10.6.6.6"),
        top="esx-esx01.lab.local-2024-05-11--02.00-999",
    )
    text = invoke("import-bundle", later, "--repo", repo, "--exit-code")
    assert text.exit_code == 1  # findings present and --exit-code given
    assert "DG-EVIDENCE-001" in text.stdout and "esx01.lab.local" in text.stdout
    r = git.Repo(repo)
    assert len(list(r.iter_commits())) == 2
    changed = r.git.diff("HEAD~1", "HEAD", "--", "evidence/_bundles/esx01.lab.local.json")
    assert "10.6.6.6" in changed and "10.0.0.1" in changed


def test_markdown_output(tmp_path: Path) -> None:
    bundle = build_bundle(tmp_path / "esx01.tgz")
    result = invoke("import-bundle", bundle, "--repo", tmp_path / "state", "--format", "markdown")
    assert result.exit_code == 0, result.output
    assert "| esx01.lab.local | VMware ESXi 7.0.3 | build-21930508 | 3 |" in result.stdout
    assert "| DG-EVIDENCE-001 | high | esx01.lab.local |" in result.stdout


def test_not_a_bundle_is_a_usage_error(tmp_path: Path) -> None:
    junk = tmp_path / "junk.tgz"
    with tarfile.open(junk, "w:gz") as archive:
        info = tarfile.TarInfo("notes/readme.txt")
        info.size = 2
        archive.addfile(info, io.BytesIO(b"hi"))
    result = invoke("import-bundle", junk, "--repo", tmp_path / "state")
    assert result.exit_code == 2
    assert "not a vm-support bundle" in result.stderr
