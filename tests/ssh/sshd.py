"""A real OpenSSH server for the host-file tests, registered from tests/conftest.py (``pytest_plugins``).

``sshd_server`` (session): Debian's ``/usr/sbin/sshd`` (``make ssh-deps``) on a free loopback port, run as the
current user with a generated config (``-D -e -f``), a throwaway ed25519 host key and key-only login for the
current user through an ``AuthorizedKeysFile`` in the temp dir: no PAM, no passwords, nothing of this machine's
SSH setup is read or changed. When sshd is missing the tests are skipped — except under ``CI=true``, where they
fail: CI must run them.

The fake ESXi hosts are directories (``fake_host_root``): driftguard's ``remote_root`` setting points each host at
one, so tests read ``<tmp>/<host>/etc/opt/vmware/fdm/...`` and never this machine's ``/etc``.
"""

from __future__ import annotations

import getpass
import gzip
import os
import socket
import subprocess
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

SSHD = Path(os.environ.get("DRIFTGUARD_SSHD", "/usr/sbin/sshd"))

CLUSTERCONFIG = """<clusterConfig><clusterKey>domain-c27</clusterKey>
<option><key>das.isolationaddress0</key><value>10.0.0.1</value></option>
<hostMonitoring>enabled</hostMonitoring><admissionControl>true</admissionControl></clusterConfig>
"""
HOSTLIST = "<hostList><host><hostId>host-34</hostId><hostName>DC0_C0_H0</hostName></host></hostList>\n"
FDM_CFG = """<config>
  <log><level>verbose</level><maxFileNum>8</maxFileNum></log>
  <vpxa><password>hunter2-agent-secret</password></vpxa>
</config>
"""
PRETTY_PRINT = """#!/bin/sh
# A stand-in for /opt/vmware/fdm/fdm/prettyPrint.sh: FDM's files are compressed; the real tool prints them decoded.
root="$(cd "$(dirname "$0")/../../../.." && pwd)"
case "$1" in
  clusterconfig|hostlist) gzip -dc "$root/etc/opt/vmware/fdm/$1" ;;
  *) echo "usage: prettyPrint.sh clusterconfig|hostlist|vmmetadata" >&2; exit 1 ;;
esac
"""


def _in_ci() -> bool:
    return os.environ.get("CI", "").strip().lower() in {"1", "true", "yes"}


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def keygen(path: Path, comment: str) -> Path:
    subprocess.run(
        ["ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-C", comment, "-f", str(path)],
        check=True,
        capture_output=True,
    )
    return path


@dataclass
class Sshd:
    process: subprocess.Popen[bytes]
    port: int
    workdir: Path
    host_key: Path
    client_key: Path
    user: str

    def known_hosts_line(self, address: str = "127.0.0.1") -> str:
        """The line OpenSSH would record for this server (``[127.0.0.1]:PORT ssh-ed25519 AAAA...``)."""
        kind, blob = (self.host_key.with_suffix(".pub")).read_text().split()[:2]
        return f"[{address}]:{self.port} {kind} {blob}\n"

    def log(self) -> str:
        return (self.workdir / "sshd.log").read_text(errors="replace")

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=5)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()


def start_sshd(workdir: Path) -> Sshd:
    if not SSHD.exists():
        raise FileNotFoundError(f"{SSHD} not found (run `make ssh-deps`: Debian's openssh-server)")
    workdir.mkdir(parents=True, exist_ok=True)
    user = getpass.getuser()
    host_key = keygen(workdir / "host_ed25519", "driftguard-test-host")
    client_key = keygen(workdir / "client_ed25519", "driftguard-test-client")
    (workdir / "authorized_keys").write_text((workdir / "client_ed25519.pub").read_text())
    (workdir / "authorized_keys").chmod(0o600)
    if os.geteuid() == 0:
        Path("/run/sshd").mkdir(mode=0o755, exist_ok=True)  # sshd's privilege-separation directory
    port = free_port()
    config = workdir / "sshd_config"
    config.write_text(
        "\n".join(
            [
                f"Port {port}",
                "ListenAddress 127.0.0.1",
                f"HostKey {host_key}",
                f"PidFile {workdir / 'sshd.pid'}",
                f"AuthorizedKeysFile {workdir / 'authorized_keys'}",
                f"AllowUsers {user}",
                "PubkeyAuthentication yes",
                "PasswordAuthentication no",
                "KbdInteractiveAuthentication no",
                "UsePAM no",
                "StrictModes no",  # the temp dir is ours; its parents' modes are the CI machine's business
                "PermitRootLogin prohibit-password",  # CI runs as root: key only
                "Subsystem sftp internal-sftp",
                "MaxStartups 100:30:200",
                "MaxSessions 50",
                "LogLevel VERBOSE",
                "",
            ]
        )
    )
    log = (workdir / "sshd.log").open("wb")
    process = subprocess.Popen([str(SSHD), "-D", "-e", "-f", str(config)], stdout=log, stderr=log)
    log.close()
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"sshd exited with {process.returncode}: {(workdir / 'sshd.log').read_text()}")
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=0.2):
                break
        except OSError:
            time.sleep(0.05)
    else:
        process.kill()
        raise RuntimeError(f"sshd did not listen on {port}: {(workdir / 'sshd.log').read_text()}")
    return Sshd(process, port, workdir, host_key, client_key, user)


@pytest.fixture(scope="session")
def sshd_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Sshd]:
    try:
        server = start_sshd(tmp_path_factory.mktemp("sshd"))
    except (FileNotFoundError, RuntimeError, subprocess.CalledProcessError) as exc:
        if _in_ci():
            pytest.fail(f"CI=true and the test OpenSSH server cannot start: {exc}", pytrace=False)
        pytest.skip(f"OpenSSH server not available: {exc}")
    try:
        yield server
    finally:
        server.stop()


def fake_host_root(root: Path, host: str = "DC0_C0_H0", clusterconfig: str = CLUSTERCONFIG) -> Path:
    """A directory laid out like an ESXi host with FDM configured (compressed files + prettyPrint.sh)."""
    fdm = root / "etc/opt/vmware/fdm"
    fdm.mkdir(parents=True, exist_ok=True)
    write_clusterconfig(root, clusterconfig)
    (fdm / "hostlist").write_bytes(gzip.compress(HOSTLIST.replace("DC0_C0_H0", host).encode(), mtime=0))
    (fdm / "compatlist").write_bytes(gzip.compress(b"<compatList/>\n", mtime=0))
    (fdm / "fdm.cfg").write_text(FDM_CFG)
    (fdm / "fdm.cfg").chmod(0o600)
    tool = root / "opt/vmware/fdm/fdm/prettyPrint.sh"
    tool.parent.mkdir(parents=True, exist_ok=True)
    tool.write_text(PRETTY_PRINT)
    tool.chmod(0o755)
    return root


def write_clusterconfig(root: Path, text: str) -> None:
    (root / "etc/opt/vmware/fdm/clusterconfig").write_bytes(gzip.compress(text.encode(), mtime=0))


def ssh_config(
    path: Path, server: Sshd, roots: dict[str, Path], *, dead: tuple[str, ...] = (), known_hosts: Path | None = None
) -> Path:
    """A driftguard.toml mapping each host name to the test server (``dead`` ones to a closed port)."""
    lines = ["[ssh]", "parallelism = 4", "timeout = 10"]
    if known_hosts is not None:
        lines.append(f'known_hosts = "{known_hosts}"')
    closed = free_port()
    for host, root in roots.items():
        lines += [
            f'[ssh.hosts."{host}"]',
            'address = "127.0.0.1"',
            f"port = {closed if host in dead else server.port}",
            f'user = "{server.user}"',
            f'key_file = "{server.client_key}"',
            f'remote_root = "{root}"',
        ]
    path.write_text("\n".join(lines) + "\n")
    return path


__all__ = ["Sshd", "fake_host_root", "free_port", "ssh_config", "sshd_server", "write_clusterconfig"]
