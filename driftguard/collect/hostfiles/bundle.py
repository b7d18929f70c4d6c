"""Read an ESXi support bundle (``vm-support``; "Export System Logs" in the client) — the chapter's route to the
host's files on ESXi, which has no service console.

The real layout, under one top directory ``esx-<host>-<date>--<time>-<pid>/``::

    commands/uname_-a.txt                 "VMkernel esx01 7.0.3 #1 SMP ..." (host name)
    commands/vmware_-vl.txt               "VMware ESXi 7.0.3 build-21930508" / "VMware ESXi 7.0 Update 3"
    commands/hostname.txt                 (some versions) the FQDN
    commands/prettyPrint.sh_clusterconfig.txt, prettyPrint.sh_hostlist.txt   decoded FDM files
    etc/opt/vmware/fdm/*                  FDM's files (5.0+);   etc/opt/vmware/aam/*   legacy AAM
    var/run/log/vmkernel.log, vmkernel.0.gz ...   (ESXi 5+; var/log/ holds links, older ESX the files)
    var/run/log/fdm.log, fdm.0.gz ...     var/log/vmware/fdm*, var/log/vmware/aam/*  (HA agent logs)

Bundles are usually ``.tgz``; some exports nest per-host ``.tgz`` files in one archive, which is read member by
member too. Only the files above are read; logs are streamed line by line (plain and ``.gz``) and only the
lines that matter are kept, so a bundle of gigabytes costs memory in proportion to its findings.
"""

from __future__ import annotations

import base64
import fnmatch
import gzip
import hashlib
import io
import posixpath
import re
import tarfile
from collections.abc import Iterator
from pathlib import Path
from typing import IO

from driftguard.collect.errors import CollectError
from driftguard.collect.hostfiles.ssh import AGENT_DIRS, MAX_FILE_BYTES
from driftguard.models.raw import RAW_BUNDLE_SCHEMA, RawBundle, RawFile, RawHostRead, RawLogMatch

IDENTITY_COMMANDS = ("uname_-a.txt", "vmware_-vl.txt", "hostname.txt", "esxcfg-info_-a.txt")
PRETTY_PRINT_PREFIX = "prettyPrint.sh_"
VMKERNEL_LOGS = ("var/run/log/vmkernel*", "var/log/vmkernel*")
HA_LOGS = ("var/run/log/fdm*", "var/log/fdm*", "var/log/vmware/fdm*", "var/log/vmware/aam/*", "var/log/vmware/aam*")

RESERVATION_RE = re.compile(r"RESERVATION_CONFLICT|\bD:0x18\b")
"""SCSI status 0x18 is RESERVATION CONFLICT: spelled out by ESX 3.x ("Passing device status RESERVATION_CONFLICT
(18)"), as ``D:0x18`` in the device-status triple of ESXi 5+ ("failed H:0x0 D:0x18 P:0x0")."""
HA_ERROR_RE = re.compile(r"(?:^\S+\s+|\[[0-9A-Fa-f]+\s+)(?:error|panic)\b|\b(?:ERROR|PANIC)\b")
"""Error level in FDM logs ("<time> error fdm[123] [...]" since 6.x, "[FFE3AB90 error 'Cluster' ...]" in 5.x) and
AAM's "ERROR"; not every "error" word (info lines say "errors=0")."""
_STARTS_WITH_TIME = re.compile(r"^(\d{4}-\d{2}-\d{2}T|[A-Z][a-z]{2} +\d{1,2} \d{2}:)")
MAX_MATCHES = 200_000
"""A runaway log still terminates in bounded memory; the count of matches beyond it is not needed for a finding."""


class BundleError(CollectError):
    """The file is not a readable vm-support bundle."""


def read_bundle(path: Path) -> list[RawBundle]:
    """Every host bundle in ``path`` (one, or several when host bundles are nested in one archive)."""
    digest = _sha256(path)
    try:
        with tarfile.open(path, "r:*") as archive:
            return _read_archive(archive, path.name, digest)
    except (tarfile.TarError, OSError, EOFError) as exc:
        raise BundleError(f"{path.name} is not a readable vm-support bundle: {exc}", host=path.name) from None


def _sha256(path: Path) -> str:
    h = hashlib.sha256()
    try:
        with path.open("rb") as handle:
            for chunk in iter(lambda: handle.read(1 << 20), b""):
                h.update(chunk)
    except OSError as exc:
        raise BundleError(f"cannot read bundle {path}: {exc.strerror}", host=path.name) from None
    return h.hexdigest()


def _read_archive(archive: tarfile.TarFile, name: str, digest: str) -> list[RawBundle]:
    members = archive.getmembers()
    tops = sorted({_top(m.name) for m in members if _top(m.name)})
    bundles: list[RawBundle] = []
    for top in tops:
        inside = [m for m in members if _top(m.name) == top]
        if any(_relative(m.name) == "commands" or _relative(m.name).startswith("commands/") for m in inside):
            bundles.append(_read_host(archive, inside, top, name, digest, len(members)))
    if bundles:
        return bundles
    # an "export system logs" archive of several hosts: host bundles as nested .tgz members
    for member in members:
        if member.isfile() and member.name.endswith((".tgz", ".tar.gz")):
            handle = archive.extractfile(member)
            if handle is None:
                continue
            with tarfile.open(fileobj=io.BytesIO(handle.read()), mode="r:*") as nested:
                bundles.extend(_read_archive(nested, f"{name}:{posixpath.basename(member.name)}", digest))
    if not bundles:
        raise BundleError(f"{name} is not a vm-support bundle: no esx-*/commands/ directory in it", host=name)
    return bundles


def _top(name: str) -> str:
    parts = name.lstrip("./").split("/", 1)
    return parts[0] if len(parts) == 2 or name.endswith("/") else ""


def _relative(name: str) -> str:
    parts = name.lstrip("./").split("/", 1)
    return parts[1].rstrip("/") if len(parts) == 2 else ""


def _read_host(
    archive: tarfile.TarFile, members: list[tarfile.TarInfo], top: str, name: str, digest: str, count: int
) -> RawBundle:
    commands: dict[str, str] = {}
    files: dict[str, RawFile] = {}
    decoded: dict[str, str] = {}
    reservation: list[RawLogMatch] = []
    ha_errors: list[RawLogMatch] = []
    scanned: list[str] = []
    for member in sorted(members, key=lambda m: m.name):
        rel = _relative(member.name)
        if not member.isfile() or not rel:
            continue
        if rel.startswith("commands/"):
            base = rel.removeprefix("commands/")
            if base in IDENTITY_COMMANDS or base.startswith(PRETTY_PRINT_PREFIX):
                text = _read_text(archive, member)
                commands[base] = text
                if base.startswith(PRETTY_PRINT_PREFIX) and base.endswith(".txt"):
                    decoded[base.removeprefix(PRETTY_PRINT_PREFIX).removesuffix(".txt")] = text
        elif any(rel.startswith(d.lstrip("/") + "/") for d in AGENT_DIRS):
            data = _read_bytes(archive, member)
            files["/" + rel] = RawFile(
                mode=f"{member.mode & 0o7777:04o}",
                size=member.size,
                base64=base64.b64encode(data[:MAX_FILE_BYTES]).decode("ascii"),
            )
        elif _matches(rel, VMKERNEL_LOGS):
            scanned.append(rel)
            reservation.extend(_grep(archive, member, rel, RESERVATION_RE, MAX_MATCHES - len(reservation)))
        elif _matches(rel, HA_LOGS):
            scanned.append(rel)
            ha_errors.extend(_grep(archive, member, rel, HA_ERROR_RE, MAX_MATCHES - len(ha_errors)))
    host = RawHostRead(target=top, root="/", files=files, decoded=decoded, error=None, seconds=0.0)
    return RawBundle(
        schema=RAW_BUNDLE_SCHEMA,
        file=name,
        sha256=digest,
        top_dir=top,
        members=count,
        commands=commands,
        host=host,
        reservation_lines=reservation,
        ha_log_lines=ha_errors,
        logs_scanned=scanned,
    )


def _matches(rel: str, patterns: tuple[str, ...]) -> bool:
    return any(fnmatch.fnmatchcase(rel, p) for p in patterns)


def _read_bytes(archive: tarfile.TarFile, member: tarfile.TarInfo) -> bytes:
    handle = archive.extractfile(member)
    return b"" if handle is None else handle.read(MAX_FILE_BYTES + 1)


def _read_text(archive: tarfile.TarFile, member: tarfile.TarInfo) -> str:
    return _read_bytes(archive, member).decode("utf-8", "replace")


def _lines(handle: IO[bytes], gz: bool) -> Iterator[bytes]:
    if gz:
        with gzip.GzipFile(fileobj=handle) as stream:
            yield from stream
    else:
        yield from handle


def _grep(
    archive: tarfile.TarFile, member: tarfile.TarInfo, rel: str, pattern: re.Pattern[str], limit: int
) -> list[RawLogMatch]:
    handle = archive.extractfile(member)
    if handle is None or limit <= 0:
        return []
    found: list[RawLogMatch] = []
    previous = ""
    try:
        for number, raw in enumerate(_lines(handle, rel.endswith(".gz")), start=1):
            line = raw.decode("utf-8", "replace").rstrip("\r\n")
            if pattern.search(line):
                # ESX 3.x wrapped long vmkernel messages: the matching half has no time, the line before has it
                text = line if _STARTS_WITH_TIME.match(line) or not previous else f"{previous} {line}"
                found.append(RawLogMatch(file=rel, line=number, text=text[:2000]))
                if len(found) >= limit:
                    break
            previous = line
    except (OSError, EOFError, gzip.BadGzipFile):
        pass  # a truncated rotated log (common in bundles cut at a size limit): keep what was read
    return found
