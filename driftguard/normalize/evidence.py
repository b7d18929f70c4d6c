"""A read vm-support bundle (``RawBundle``) → :class:`~driftguard.models.HostEvidence` with its findings.

Pure. Two evidence rules (``docs/host-files.md``):

* ``DG-EVIDENCE-001`` *scsi-reservation-conflict-burst* — at least ``threshold`` SCSI reservation conflicts on one
  LUN within ``window`` seconds. The chapter: conflicts "are generally caused by direct action by a script or user
  attempting to manipulate the metadata of the clustered file system", an overloaded array, or (with NPIV) a VM —
  a storage denial of service, accidental or "for more nefarious reasons". One finding per LUN and burst.
* ``DG-EVIDENCE-002`` *ha-agent-log-errors* — error-level lines in the HA agent's logs (FDM, legacy AAM): HA
  that cannot configure itself fails only when a host fails. One finding per agent.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from driftguard.models import BundleSource, Finding, HAAgent, HostEvidence, HostIdentity
from driftguard.normalize._raw import text
from driftguard.normalize.hostfiles import agent_files

RESERVATION_RULE = ("DG-EVIDENCE-001", "scsi-reservation-conflict-burst")
HA_LOG_RULE = ("DG-EVIDENCE-002", "ha-agent-log-errors")


@dataclass(frozen=True)
class EvidenceParams:
    reservation_threshold: int = 10
    """Conflicts on one LUN within ``reservation_window`` seconds that make a burst."""
    reservation_window: float = 60.0


_ISO = re.compile(r"^(\d{4}-\d{2}-\d{2})T(\d{2}:\d{2}:\d{2})(\.\d+)?(Z|[+-]\d{2}:?\d{2})?")
_SYSLOG = re.compile(r"^([A-Z][a-z]{2}) +(\d{1,2}) (\d{2}):(\d{2}):(\d{2})")
_MONTHS = {
    m: i
    for i, m in enumerate(["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"], start=1)
}
_DEV = re.compile(r'dev "([^"]+)"')
_PATH = re.compile(r'path "?(vmhba[\w:.-]*\w)')
_BUNDLE_DATE = re.compile(r"-(\d{4})-\d{2}-\d{2}--")


def log_time(line: str, year: int | None) -> datetime | None:
    """The time at the start of a log line: ISO 8601 (ESXi 5+) or syslog's ``May 10 02:01:25`` (ESX 3/4, which
    has no year: the bundle's year is used)."""
    if m := _ISO.match(line):
        zone = m.group(4) or "Z"
        stamp = f"{m.group(1)}T{m.group(2)}{m.group(3) or ''}{'+00:00' if zone == 'Z' else zone}"
        try:
            return datetime.fromisoformat(stamp).astimezone(UTC)
        except ValueError:
            return None
    if (m := _SYSLOG.match(line)) and year is not None:
        try:
            hour, minute, second = (int(v) for v in m.group(3, 4, 5))
            return datetime(year, _MONTHS[m.group(1)], int(m.group(2)), hour, minute, second, tzinfo=UTC)
        except (KeyError, ValueError):
            return None
    return None


def _iso(moment: datetime) -> str:
    return moment.isoformat().replace("+00:00", "Z")


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


def reservation_findings(
    lines: Sequence[Mapping[str, Any]], params: EvidenceParams, *, year: int | None, subject: Mapping[str, str]
) -> list[Finding]:
    """One finding per LUN and burst of at least ``threshold`` conflicts within ``window`` seconds."""
    by_lun: dict[str, list[tuple[datetime, Mapping[str, Any], str | None]]] = {}
    for match in lines:
        line = text(match.get("text")) or ""
        moment = log_time(line, year)
        if moment is None:
            continue
        dev, path = _DEV.search(line), _PATH.search(line)
        lun = dev.group(1) if dev else path.group(1) if path else "unknown device"
        by_lun.setdefault(lun, []).append((moment, match, path.group(1) if path else None))
    window = timedelta(seconds=params.reservation_window)
    findings = []
    for lun, events in sorted(by_lun.items()):
        events.sort(key=lambda e: e[0])
        times = [e[0] for e in events]
        in_burst = [False] * len(times)
        peak_at: dict[int, int] = {}
        j = 0
        for i in range(len(times)):
            j = max(j, i)
            while j + 1 < len(times) and times[j + 1] - times[i] <= window:
                j += 1
            if j - i + 1 >= params.reservation_threshold:
                for k in range(i, j + 1):
                    in_burst[k] = True
                peak_at[i] = j - i + 1
        bursts: list[list[int]] = []
        for k, flagged in enumerate(in_burst):
            if not flagged:
                continue
            if bursts and times[k] - times[bursts[-1][-1]] <= window:
                bursts[-1].append(k)
            else:
                bursts.append([k])
        for burst in bursts:
            first, last = times[burst[0]], times[burst[-1]]
            peak = max((n for i, n in peak_at.items() if burst[0] <= i <= burst[-1]), default=len(burst))
            paths = sorted({p for k in burst if (p := events[k][2])})
            files = sorted({str(events[k][1].get("file")) for k in burst})
            findings.append(
                Finding(
                    rule_id=RESERVATION_RULE[0],
                    rule_name=RESERVATION_RULE[1],
                    severity="high",
                    message=(
                        f"{subject['name']}: {len(burst)} SCSI reservation conflicts on {lun} between {_iso(first)} "
                        f"and {_iso(last)} (up to {peak} within {params.reservation_window:g} s; threshold "
                        f"{params.reservation_threshold}): a runaway script, too many metadata operations or an "
                        f"overloaded array — a storage denial of service, accidental or not"
                    ),
                    vcenter=subject["vcenter"],
                    kind="host",
                    id=subject["id"],
                    name=subject["name"],
                    path=f'scsi.reservation_conflicts["{lun}"]@{_iso(first)}',
                    evidence={
                        "lun": lun,
                        "paths": paths,
                        "count": len(burst),
                        "peak_in_window": peak,
                        "first": _iso(first),
                        "last": _iso(last),
                        "window_seconds": params.reservation_window,
                        "threshold": params.reservation_threshold,
                        "files": files,
                        "samples": [str(events[k][1].get("text")) for k in burst[:3]],
                    },
                    location=subject.get("location") or None,
                )
            )
    return findings


_NOISE = re.compile(r"0x[0-9a-fA-F]+|\b\d+\b|opID=\S+")


def ha_log_findings(
    lines: Sequence[Mapping[str, Any]], *, year: int | None, subject: Mapping[str, str]
) -> list[Finding]:
    """One finding per HA agent (``fdm``, ``aam``) whose logs have error-level lines."""
    groups: dict[str, list[Mapping[str, Any]]] = {}
    for match in lines:
        agent = "aam" if "aam" in str(match.get("file")) else "fdm"
        groups.setdefault(agent, []).append(match)
    findings = []
    for agent, matches in sorted(groups.items()):
        times = sorted(t for m in matches if (t := log_time(text(m.get("text")) or "", year)) is not None)
        messages = Counter(_NOISE.sub("#", (text(m.get("text")) or "").rsplit("]", 1)[-1]).strip() for m in matches)
        first = _iso(times[0]) if times else None
        last = _iso(times[-1]) if times else None
        span = f" between {first} and {last}" if first and last else ""
        findings.append(
            Finding(
                rule_id=HA_LOG_RULE[0],
                rule_name=HA_LOG_RULE[1],
                severity="medium",
                message=(
                    f"{subject['name']}: {len(matches)} error line(s) in the HA agent ({agent.upper()}) logs{span}: "
                    f"HA that cannot configure itself fails only when a host fails"
                ),
                vcenter=subject["vcenter"],
                kind="host",
                id=subject["id"],
                name=subject["name"],
                path=f"ha_agent.logs.{agent}",
                evidence={
                    "agent": agent,
                    "count": len(matches),
                    "first": first,
                    "last": last,
                    "files": sorted({str(m.get("file")) for m in matches}),
                    "top_messages": [{"message": msg, "count": n} for msg, n in messages.most_common(5)],
                },
                location=subject.get("location") or None,
            )
        )
    return findings


def normalize_bundle(
    raw: Mapping[str, Any],
    *,
    patterns: Sequence[str],
    params: EvidenceParams,
    vcenter: str,
    host_id: str | None,
    location: str | None,
) -> HostEvidence:
    """The evidence of one host bundle. ``vcenter``/``host_id`` place it (``_bundles`` and the name when unknown)."""
    commands = raw.get("commands") or {}
    top = text(raw.get("top_dir")) or ""
    who = identity(commands, top)
    year = bundle_year(top)
    subject = {"vcenter": vcenter, "id": host_id or who.name, "name": who.name, "location": location or ""}
    host = raw.get("host") or {}
    files = agent_files(host, patterns)
    unknowns = {}
    if not files:
        unknowns["ha_agent"] = "the bundle contains neither etc/opt/vmware/fdm nor etc/opt/vmware/aam"
    findings = [
        *reservation_findings(raw.get("reservation_lines") or [], params, year=year, subject=subject),
        *ha_log_findings(raw.get("ha_log_lines") or [], year=year, subject=subject),
    ]
    return HostEvidence(
        host=who,
        vcenter=vcenter,
        host_id=subject["id"],
        source=BundleSource(
            file=text(raw.get("file")) or "",
            sha256=text(raw.get("sha256")) or "",
            top_dir=top,
            members=int(raw.get("members") or 0),
        ),
        ha_agent=HAAgent(source="bundle", files=files) if files else HAAgent(),
        findings=findings,
        unknowns=unknowns,
    )
