"""Read the HA agent's files from ESXi hosts over SSH (paramiko): the only route to the raw on-host files
(reference §8). Gathering only: bytes, modes and ``prettyPrint.sh`` output go into the raw layer as they are;
``normalize`` hashes, decodes and redacts.

Host keys are verified against one known_hosts file and nothing else: an unknown key or a changed key is an
error naming the host, never an automatic accept. :func:`trust_hosts` records keys explicitly.
"""

from __future__ import annotations

import base64
import posixpath
import shlex
import socket
import stat
import time
from collections.abc import Callable, Iterable, Mapping
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import paramiko

from driftguard.collect.errors import CollectError
from driftguard.collect.hostfiles.config import SshTarget
from driftguard.models.raw import RAW_HOST_FILES_SCHEMA, RawFile, RawHostFiles, RawHostRead
from driftguard.models.times import iso, now

AGENT_DIRS: tuple[str, ...] = ("/etc/opt/vmware/aam", "/etc/opt/vmware/fdm")
"""Legacy AAM (ESX ≤ 4.1) and FDM (vSphere 5.0+) configuration directories."""
PRETTY_PRINT = "/opt/vmware/fdm/fdm/prettyPrint.sh"
PRETTY_PRINT_ARGS: tuple[str, ...] = ("clusterconfig", "hostlist")
MAX_FILE_BYTES = 8 * 1024 * 1024
"""Agent files are kilobytes; anything larger is not configuration and is listed without its bytes."""
MAX_DEPTH = 3
MAX_OUTPUT_BYTES = 8 * 1024 * 1024


class HostKeyError(CollectError):
    """A host's SSH key is not in the known_hosts file, or differs from the one recorded there."""


class SshError(CollectError):
    """A host could not be reached or refused the login (used by :func:`trust_hosts`)."""


class _UnknownKey(Exception):
    def __init__(self, key: paramiko.PKey) -> None:
        super().__init__("unknown host key")
        self.key = key


class _RejectUnknown(paramiko.MissingHostKeyPolicy):
    """paramiko's RejectPolicy, but keeping the key so the message can show its fingerprint."""

    def missing_host_key(self, client: paramiko.SSHClient, hostname: str, key: paramiko.PKey) -> None:
        raise _UnknownKey(key)


def fingerprint(key: paramiko.PKey) -> str:
    """OpenSSH's ``SHA256:<base64>`` form, which ``ssh-keygen -lf`` and the ESXi console show."""
    return key.fingerprint


def _trust_hint(target: SshTarget) -> str:
    return f"check the fingerprint on the host's console, then run `driftguard hosts trust {target.host}`"


def _connect(target: SshTarget, known_hosts: Path, timeout: float) -> paramiko.SSHClient:
    """A logged-in client; raises :class:`HostKeyError` or :class:`SshError` with a message naming the host."""
    client = paramiko.SSHClient()
    try:
        if known_hosts.exists():
            client.load_host_keys(str(known_hosts))
    except (OSError, paramiko.SSHException) as exc:
        client.close()
        raise HostKeyError(f"cannot read known_hosts file {known_hosts}: {exc}", host=target.host) from None
    client.set_missing_host_key_policy(_RejectUnknown())
    password = target.password()
    try:
        client.connect(
            target.address,
            port=target.port,
            username=target.user,
            password=password,
            key_filename=target.key_file,
            timeout=timeout,
            banner_timeout=timeout,
            auth_timeout=timeout,
            channel_timeout=timeout,
            allow_agent=True,
            look_for_keys=False,
        )
    except _UnknownKey as exc:
        client.close()
        raise HostKeyError(
            f"host key of {target.host} ({target.endpoint}, {exc.key.get_name()} {fingerprint(exc.key)}) is not in "
            f"{known_hosts}; refusing to connect: {_trust_hint(target)}",
            host=target.host,
        ) from None
    except paramiko.BadHostKeyException as exc:
        client.close()
        raise HostKeyError(
            f"host key of {target.host} ({target.endpoint}) CHANGED: known_hosts {known_hosts} has "
            f"{exc.expected_key.get_name()} {fingerprint(exc.expected_key)}, the host presented "
            f"{exc.key.get_name()} {fingerprint(exc.key)}; refusing to connect (a reinstalled host, or someone in "
            f"the middle): verify it, then `driftguard hosts trust --replace {target.host}`",
            host=target.host,
        ) from None
    except paramiko.AuthenticationException:
        client.close()
        how = "key file" if target.key_file else "password" if password else "no password or key configured"
        raise SshError(
            f"login to {target.host} ({target.endpoint}) as {target.user} failed ({how})", host=target.host
        ) from None
    except (OSError, paramiko.SSHException, EOFError) as exc:
        client.close()
        raise SshError(
            f"cannot reach {target.host} over SSH ({target.endpoint}): {_reason(exc)}", host=target.host
        ) from None
    return client


def _reason(exc: BaseException) -> str:
    if isinstance(exc, ConnectionRefusedError):
        return "connection refused (is the SSH service TSM-SSH running?)"
    if isinstance(exc, socket.gaierror):
        return "host name could not be resolved"
    if isinstance(exc, TimeoutError | socket.timeout):
        return "timed out"
    if isinstance(exc, paramiko.ssh_exception.NoValidConnectionsError):
        return "connection refused (is the SSH service TSM-SSH running?)"
    text = str(exc).strip()
    return text or type(exc).__name__


@dataclass
class _Deadline:
    end: float
    host: str
    seconds: float

    def check(self) -> float:
        left = self.end - time.monotonic()
        if left <= 0:
            raise TimeoutError(f"reading {self.host} took longer than {self.seconds:g} s")
        return left


def read_host(target: SshTarget, known_hosts: Path, timeout: float) -> RawHostRead:
    """Everything one host gives; never raises for a host problem (the reason goes into ``error``)."""
    started = time.monotonic()
    result = RawHostRead(
        target=f"{target.user}@{target.endpoint}",
        root=target.remote_root,
        files={},
        decoded={},
        error=None,
        seconds=0.0,
    )
    try:
        client = _connect(target, known_hosts, timeout)
    except CollectError as exc:
        result["error"] = exc.message
        result["seconds"] = round(time.monotonic() - started, 3)
        return result
    deadline = _Deadline(started + timeout, target.host, timeout)
    try:
        sftp = client.open_sftp()
        sftp.get_channel().settimeout(timeout)  # type: ignore[union-attr]  # an open SFTP client has a channel
        with sftp:
            for directory in AGENT_DIRS:
                _read_tree(sftp, target.remote_root, directory, result["files"], deadline, 0)
            script = _remote(target.remote_root, PRETTY_PRINT)
            if _exists(sftp, script):
                for arg in PRETTY_PRINT_ARGS:
                    output = _run(client, f"{shlex.quote(script)} {arg}", deadline)
                    if output is not None:
                        result["decoded"][arg] = output
    except (OSError, paramiko.SSHException, EOFError) as exc:
        result["files"], result["decoded"] = {}, {}
        result["error"] = f"reading {target.host} ({target.endpoint}) failed: {_reason(exc)}"
    finally:
        client.close()
    result["files"] = dict(sorted(result["files"].items()))
    result["seconds"] = round(time.monotonic() - started, 3)
    return result


def _remote(root: str, path: str) -> str:
    return posixpath.join(root, path.lstrip("/"))


def _exists(sftp: paramiko.SFTPClient, path: str) -> bool:
    try:
        sftp.stat(path)
    except FileNotFoundError:
        return False
    return True


def _read_tree(
    sftp: paramiko.SFTPClient, root: str, directory: str, out: dict[str, RawFile], deadline: _Deadline, depth: int
) -> None:
    deadline.check()
    try:
        entries = sftp.listdir_attr(_remote(root, directory))
    except FileNotFoundError:
        return  # AAM is gone since 5.0, FDM exists only where HA was configured: absence is a state, not an error
    for entry in sorted(entries, key=lambda e: e.filename):
        path = posixpath.join(directory, entry.filename)
        mode = entry.st_mode or 0
        if stat.S_ISDIR(mode):
            if depth < MAX_DEPTH:
                _read_tree(sftp, root, path, out, deadline, depth + 1)
            continue
        if not stat.S_ISREG(mode):
            continue  # symlinks, sockets: not configuration content
        data = b""
        if (entry.st_size or 0) <= MAX_FILE_BYTES:
            deadline.check()
            with sftp.open(_remote(root, path), "rb") as handle:
                data = handle.read(MAX_FILE_BYTES + 1)
        out[path] = RawFile(
            mode=f"{stat.S_IMODE(mode):04o}",
            size=entry.st_size if entry.st_size is not None else len(data),
            base64=base64.b64encode(data[:MAX_FILE_BYTES]).decode("ascii"),
        )


def _run(client: paramiko.SSHClient, command: str, deadline: _Deadline) -> str | None:
    """stdout of a command that exited 0, else None (an agent without the tool is not an error)."""
    left = deadline.check()
    _, stdout, _ = client.exec_command(command, timeout=left)
    data = stdout.read(MAX_OUTPUT_BYTES)
    if stdout.channel.recv_exit_status() != 0:
        return None
    return data.decode("utf-8", "replace")


ProgressCallback = Callable[[str, int, int | None], None]


def collect_host_files(
    targets: Mapping[str, SshTarget],
    *,
    known_hosts: Path,
    parallelism: int,
    timeout: float,
    on_progress: ProgressCallback | None = None,
) -> RawHostFiles:
    """Read every target (host id → target) with at most ``parallelism`` connections at once.

    A host that cannot be read has its reason in ``error``; the collection itself never fails for one host.
    """
    started_at = iso(now())
    ids = sorted(targets)
    hosts: dict[str, RawHostRead] = {}
    done = 0
    if ids:
        with ThreadPoolExecutor(max_workers=max(1, min(parallelism, len(ids))), thread_name_prefix="ssh") as pool:
            futures = {host_id: pool.submit(read_host, targets[host_id], known_hosts, timeout) for host_id in ids}
            for host_id in ids:
                hosts[host_id] = futures[host_id].result()
                done += 1
                if on_progress is not None:
                    on_progress("host-files", done, len(ids))
    return RawHostFiles(
        schema=RAW_HOST_FILES_SCHEMA,
        source="ssh",
        started_at=started_at,
        finished_at=iso(now()),
        hosts=hosts,
        cluster_runtime={},
        parallelism=parallelism,
    )


# --- recording keys ------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class TrustResult:
    host: str
    endpoint: str
    key_type: str
    fingerprint: str
    status: str
    """``added``, ``already trusted`` or ``replaced``."""


def fetch_host_key(target: SshTarget, timeout: float) -> paramiko.PKey:
    """The key the host presents (no login)."""
    try:
        sock = socket.create_connection((target.address, target.port), timeout=timeout)
    except OSError as exc:
        raise SshError(
            f"cannot reach {target.host} over SSH ({target.endpoint}): {_reason(exc)}", host=target.host
        ) from None
    transport = paramiko.Transport(sock)
    try:
        transport.start_client(timeout=timeout)
        return transport.get_remote_server_key()
    except (OSError, paramiko.SSHException, EOFError) as exc:
        raise SshError(
            f"SSH handshake with {target.host} ({target.endpoint}) failed: {_reason(exc)}", host=target.host
        ) from None
    finally:
        transport.close()


def trust_hosts(
    targets: Iterable[SshTarget], known_hosts: Path, *, replace: bool = False, timeout: float = 10.0
) -> list[TrustResult]:
    """Record each host's current key in ``known_hosts`` (created 0600 when missing).

    A host whose recorded key differs is refused (:class:`HostKeyError`) unless ``replace``: that is exactly
    the situation the check exists for, so replacing must be asked for by name.
    """
    results = []
    for target in targets:
        key = fetch_host_key(target, timeout)
        known = paramiko.HostKeys()
        if known_hosts.exists():
            known.load(str(known_hosts))
        recorded: Mapping[str, paramiko.PKey] = known.lookup(target.known_hosts_name) or {}
        existing: Any = recorded.get(key.get_name())
        status = "added"
        if existing is not None and existing == key:
            status = "already trusted"
        elif recorded and not replace:
            old = next(iter(recorded.values()))
            raise HostKeyError(
                f"host key of {target.host} ({target.endpoint}) differs from the one in {known_hosts} "
                f"({old.get_name()} {fingerprint(old)} recorded, {key.get_name()} {fingerprint(key)} presented); "
                f"pass --replace to record the new key",
                host=target.host,
            )
        elif recorded:
            status = "replaced"
            _remove_entries(known_hosts, target.known_hosts_name)
        if status != "already trusted":
            _append(known_hosts, f"{target.known_hosts_name} {key.get_name()} {key.get_base64()}\n")
        results.append(TrustResult(target.host, target.endpoint, key.get_name(), fingerprint(key), status))
    return results


def _append(path: Path, line: str) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    existed = path.exists()
    with path.open("a", encoding="ascii") as handle:
        handle.write(line)
    if not existed:
        path.chmod(0o600)


def _remove_entries(path: Path, name: str) -> None:
    """Drop the plain (unhashed) lines for ``name``; hashed lines are matched through paramiko."""
    kept = []
    for line in path.read_text(encoding="ascii").splitlines(keepends=True):
        fields = line.split()
        names = fields[0].split(",") if fields and not line.startswith("#") else []
        if names and (name in names or _hashed_match(names[0], name)):
            continue
        kept.append(line)
    path.write_text("".join(kept), encoding="ascii")


def _hashed_match(entry: str, name: str) -> bool:
    return entry.startswith("|1|") and paramiko.HostKeys.hash_host(name, entry) == entry
