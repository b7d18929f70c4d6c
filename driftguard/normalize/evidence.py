"""A read vm-support bundle (``RawBundle``) → :class:`~driftguard.models.HostEvidence` and the
:class:`~driftguard.models.BundleLogs` the evidence rules read.

Pure. The evidence rules themselves (``DG-EVIDENCE-001`` SCSI reservation-conflict bursts, ``DG-EVIDENCE-002``
HA agent log errors) are ordinary policy rules (``driftguard/policy/rules/``): this module only reads the lines
and their times.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from datetime import UTC, datetime
from typing import Any

from driftguard.models import BundleLogs, BundleSource, HAAgent, HostEvidence, HostIdentity, LogLine
from driftguard.models.times import parse_time
from driftguard.normalize._raw import text
from driftguard.normalize.hostfiles import agent_files

_ISO = re.compile(r"^(\d{4}-\d{2}-\d{2})T(\d{2}:\d{2}:\d{2})(\.\d+)?(Z|[+-]\d{2}:?\d{2})?")
_SYSLOG = re.compile(r"^([A-Z][a-z]{2}) +(\d{1,2}) (\d{2}):(\d{2}):(\d{2})")
_MONTHS = {
    m: i
    for i, m in enumerate(["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"], start=1)
}
_BUNDLE_DATE = re.compile(r"-(\d{4})-\d{2}-\d{2}--")


def log_time(line: str, year: int | None) -> datetime | None:
    """The time at the start of a log line: ISO 8601 (ESXi 5+) or syslog's ``May 10 02:01:25`` (ESX 3/4, which
    has no year: the bundle's year is used)."""
    if m := _ISO.match(line):
        zone = m.group(4) or "Z"
        stamp = f"{m.group(1)}T{m.group(2)}{m.group(3) or ''}{'+00:00' if zone == 'Z' else zone}"
        try:
            return parse_time(stamp)
        except ValueError:
            return None
    if (m := _SYSLOG.match(line)) and year is not None:
        try:
            hour, minute, second = (int(v) for v in m.group(3, 4, 5))
            return datetime(year, _MONTHS[m.group(1)], int(m.group(2)), hour, minute, second, tzinfo=UTC)
        except (KeyError, ValueError):
            return None
    return None


def identity(commands: Mapping[str, str], top_dir: str) -> HostIdentity:
    """Host name and version from ``uname -a``, ``hostname``, ``vmware -vl`` (else the bundle's directory name)."""
    name = None
    if hostname := (commands.get("hostname.txt") or "").strip().splitlines():
        name = hostname[0].strip() or None
    uname = (commands.get("uname_-a.txt") or "").split()
    if name is None and len(uname) > 1 and uname[0] == "VMkernel":
        name = uname[1]
    if name is None and (m := re.search(r"Host Name\.*\s*(\S+)", commands.get("esxcfg-info_-a.txt", ""))):
        name = m.group(1)
    if name is None:
        name = re.sub(r"^esx-|-\d{4}-\d{2}-\d{2}--.*$", "", top_dir) or top_dir
    lines = [line.strip() for line in (commands.get("vmware_-vl.txt") or "").splitlines() if line.strip()]
    version = build = update = None
    if lines:
        m = re.match(r"(.*?)\s+(build-\d+)", lines[0])
        version, build = (m.group(1), m.group(2)) if m else (lines[0], None)
        update = lines[1] if len(lines) > 1 else None
    return HostIdentity(name=name, version=version, build=build, update=update)


def bundle_year(top_dir: str) -> int | None:
    m = _BUNDLE_DATE.search(top_dir)
    return int(m.group(1)) if m else None


def _lines(matches: Sequence[Mapping[str, Any]] | None, year: int | None) -> list[LogLine]:
    out = []
    for match in matches or []:
        line = text(match.get("text")) or ""
        number = match.get("line")
        out.append(
            LogLine(
                file=str(match.get("file") or ""),
                line=number if isinstance(number, int) else 0,
                text=line,
                time=log_time(line, year),
            )
        )
    return out


def bundle_logs(raw: Mapping[str, Any], *, vcenter: str, host_id: str | None, location: str | None) -> BundleLogs:
    """The log lines of one host bundle the evidence rules read, with their times, placed like its evidence."""
    top = text(raw.get("top_dir")) or ""
    who = identity(raw.get("commands") or {}, top)
    year = bundle_year(top)
    return BundleLogs(
        vcenter=vcenter,
        host_id=host_id or who.name,
        name=who.name,
        location=location or None,
        reservation_lines=_lines(raw.get("reservation_lines"), year),
        ha_log_lines=_lines(raw.get("ha_log_lines"), year),
    )


def normalize_bundle(
    raw: Mapping[str, Any],
    *,
    patterns: Sequence[str],
    vcenter: str,
    host_id: str | None,
    location: str | None,
) -> HostEvidence:
    """The evidence of one host bundle, without findings (the evidence rules add them). ``vcenter``/``host_id``
    place it (``_bundles`` and the name when unknown)."""
    commands = raw.get("commands") or {}
    top = text(raw.get("top_dir")) or ""
    who = identity(commands, top)
    host = raw.get("host") or {}
    files = agent_files(host, patterns)
    unknowns = {}
    if not files:
        unknowns["ha_agent"] = "the bundle contains neither etc/opt/vmware/fdm nor etc/opt/vmware/aam"
    return HostEvidence(
        host=who,
        vcenter=vcenter,
        host_id=host_id or who.name,
        source=BundleSource(
            file=text(raw.get("file")) or "",
            sha256=text(raw.get("sha256")) or "",
            top_dir=top,
            members=int(raw.get("members") or 0),
        ),
        ha_agent=HAAgent(source="bundle", files=files) if files else HAAgent(),
        unknowns=unknowns,
    )
