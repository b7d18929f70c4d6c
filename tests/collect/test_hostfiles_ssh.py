"""The SSH host-file source against a real OpenSSH server (tests/ssh): files, decoding, redaction, host keys,
dead hosts, parallelism, and ``driftguard hosts trust``."""

from __future__ import annotations

import hashlib
import subprocess
import time
from pathlib import Path

import pytest

from driftguard.collect.hostfiles import SshConfig, SshTarget, collect_host_files, read_host, trust_hosts
from driftguard.collect.hostfiles.ssh import HostKeyError
from driftguard.normalize.hostfiles import REDACTED, agent_files
from tests.cli_runner import invoke
from tests.ssh.sshd import FDM_CFG, Sshd, fake_host_root, free_port, ssh_config


def target(server: Sshd, root: Path, host: str = "esx01", port: int | None = None) -> SshTarget:
    return SshTarget(
        host=host,
        address="127.0.0.1",
        port=port or server.port,
        user=server.user,
        key_file=str(server.client_key),
        remote_root=str(root),
    )


def trusted(server: Sshd, path: Path) -> Path:
    path.write_text(server.known_hosts_line())
    return path


def test_reads_agent_files_decoded_and_redacted(sshd_server: Sshd, tmp_path: Path) -> None:
    root = fake_host_root(tmp_path / "esx01")
    read = read_host(target(sshd_server, root), trusted(sshd_server, tmp_path / "known_hosts"), timeout=10)
    assert read["error"] is None, read["error"]
    assert sorted(read["files"]) == [
        "/etc/opt/vmware/fdm/clusterconfig",
        "/etc/opt/vmware/fdm/compatlist",
        "/etc/opt/vmware/fdm/fdm.cfg",
        "/etc/opt/vmware/fdm/hostlist",
    ]
    assert read["files"]["/etc/opt/vmware/fdm/fdm.cfg"]["mode"] == "0600"
    assert sorted(read["decoded"]) == ["clusterconfig", "hostlist"]

    files = agent_files(read, SshConfig().redact)
    config = files["/etc/opt/vmware/fdm/clusterconfig"]
    assert config.binary and config.text is not None and "das.isolationaddress0" in config.text
    raw = (root / "etc/opt/vmware/fdm/clusterconfig").read_bytes()
    assert config.sha256 == hashlib.sha256(raw).hexdigest() and config.size == len(raw)
    cfg = files["/etc/opt/vmware/fdm/fdm.cfg"]
    assert not cfg.binary and cfg.text is not None
    assert "hunter2" not in cfg.text and f"<password>{REDACTED}</password>" in cfg.text
    # the hash is of the real bytes: a changed secret is still a change
    assert cfg.sha256 == hashlib.sha256(FDM_CFG.encode()).hexdigest()
    assert files["/etc/opt/vmware/fdm/compatlist"].text is None  # binary, and prettyPrint.sh does not decode it


def test_host_without_ha_agent_has_no_files(sshd_server: Sshd, tmp_path: Path) -> None:
    root = tmp_path / "bare"
    root.mkdir()
    read = read_host(target(sshd_server, root), trusted(sshd_server, tmp_path / "known_hosts"), timeout=10)
    assert read["error"] is None and read["files"] == {} and read["decoded"] == {}


def test_unknown_host_key_is_refused(sshd_server: Sshd, tmp_path: Path) -> None:
    root = fake_host_root(tmp_path / "esx01")
    known = tmp_path / "known_hosts"
    known.write_text("")
    read = read_host(target(sshd_server, root, host="esx01.example.com"), known, timeout=10)
    assert read["files"] == {}
    assert read["error"] is not None
    assert "esx01.example.com" in read["error"] and "is not in" in read["error"] and "SHA256:" in read["error"]
    assert "driftguard hosts trust esx01.example.com" in read["error"]
    assert known.read_text() == ""  # never an automatic accept


def test_changed_host_key_is_refused_naming_the_host(sshd_server: Sshd, tmp_path: Path) -> None:
    root = fake_host_root(tmp_path / "esx01")
    other = tmp_path / "other_key"
    subprocess.run(["ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-f", str(other)], check=True)
    kind, blob = other.with_suffix(".pub").read_text().split()[:2]
    known = tmp_path / "known_hosts"
    known.write_text(f"[127.0.0.1]:{sshd_server.port} {kind} {blob}\n")
    read = read_host(target(sshd_server, root, host="esx07.example.com"), known, timeout=10)
    assert read["error"] is not None and read["files"] == {}
    assert "host key of esx07.example.com" in read["error"] and "CHANGED" in read["error"]

    # trusting does not paper over it either, unless asked by name
    with pytest.raises(HostKeyError, match=r"esx07\.example\.com"):
        trust_hosts([target(sshd_server, root, host="esx07.example.com")], known)
    (result,) = trust_hosts([target(sshd_server, root, host="esx07.example.com")], known, replace=True)
    assert result.status == "replaced"
    assert read_host(target(sshd_server, root), known, timeout=10)["error"] is None


def test_dead_host_is_an_error_not_an_exception(sshd_server: Sshd, tmp_path: Path) -> None:
    root = fake_host_root(tmp_path / "esx01")
    known = trusted(sshd_server, tmp_path / "known_hosts")
    read = read_host(target(sshd_server, root, host="esx09", port=free_port()), known, timeout=3)
    assert read["error"] is not None and "esx09" in read["error"] and "refused" in read["error"]


def test_wrong_key_is_a_login_failure(sshd_server: Sshd, tmp_path: Path) -> None:
    fake_host_root(tmp_path / "esx01")
    stranger = tmp_path / "stranger"
    subprocess.run(["ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-f", str(stranger)], check=True)
    bad = SshTarget(
        host="esx01", address="127.0.0.1", port=sshd_server.port, user=sshd_server.user, key_file=str(stranger)
    )
    read = read_host(bad, trusted(sshd_server, tmp_path / "known_hosts"), timeout=10)
    assert read["error"] is not None and "login to esx01" in read["error"]


def test_trust_command_records_the_key(sshd_server: Sshd, tmp_path: Path) -> None:
    repo = tmp_path / "state"
    repo.mkdir()
    root = fake_host_root(tmp_path / "esx01")
    config = ssh_config(tmp_path / "driftguard.toml", sshd_server, {"esx01*": root})
    result = invoke("hosts", "trust", "esx01.lab", "--repo", repo, "--config", config)
    assert result.exit_code == 0, result.output
    assert "esx01.lab" in result.stdout and "SHA256:" in result.stdout and "added" in result.stdout
    assert (repo / "known_hosts").read_text() == sshd_server.known_hosts_line()
    again = invoke("hosts", "trust", "esx01.lab", "--repo", repo, "--config", config)
    assert "already trusted" in again.stdout
    assert (repo / "known_hosts").read_text() == sshd_server.known_hosts_line()


def test_bounded_parallelism(sshd_server: Sshd, tmp_path: Path) -> None:
    known = trusted(sshd_server, tmp_path / "known_hosts")
    hosts = 8
    targets = {
        f"host-{i}": target(sshd_server, fake_host_root(tmp_path / f"h{i}", f"esx{i:02d}"), f"esx{i:02d}")
        for i in range(hosts)
    }
    timings = {}
    for parallelism in (1, 4):
        started = time.perf_counter()
        raw = collect_host_files(targets, known_hosts=known, parallelism=parallelism, timeout=20)
        timings[parallelism] = time.perf_counter() - started
        assert all(read["error"] is None for read in raw["hosts"].values()), raw["hosts"]
        assert all(len(read["files"]) == 4 for read in raw["hosts"].values())
    # a figure for the record (never a timed assert): printed with -s / in the -ra summary of a failure
    print(f"SSH host files, {hosts} hosts: parallelism 1 {timings[1]:.2f} s, parallelism 4 {timings[4]:.2f} s")
