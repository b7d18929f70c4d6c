"""DG-EVIDENCE-001."""

from __future__ import annotations

import re
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

from pydantic import Field

from driftguard.models import BundleLogs, Finding, LogLine, Snapshot
from driftguard.models.times import iso_z
from driftguard.policy.base import Rule, RuleParams
from driftguard.policy.context import RuleContext

_DEV = re.compile(r'dev "([^"]+)"')
_PATH = re.compile(r'path "?(vmhba[\w:.-]*\w)')


class ScsiReservationBurstParams(RuleParams):
    threshold: int = Field(default=10, ge=1)
    """Conflicts on one LUN within ``window_seconds`` that make a burst (``--reservation-threshold``)."""
    window_seconds: float = Field(default=60.0, gt=0)
    """The window the threshold applies to (``--reservation-window``)."""


@dataclass(frozen=True)
class _Conflict:
    time: datetime
    line: LogLine
    path: str | None


def _by_lun(lines: Sequence[LogLine]) -> dict[str, list[_Conflict]]:
    """Timed conflict lines per LUN: the ``naa.`` device when the line names it, else the path."""
    out: dict[str, list[_Conflict]] = {}
    for line in lines:
        if line.time is None:
            continue
        dev, path = _DEV.search(line.text), _PATH.search(line.text)
        lun = dev.group(1) if dev else path.group(1) if path else "unknown device"
        out.setdefault(lun, []).append(_Conflict(line.time, line, path.group(1) if path else None))
    for conflicts in out.values():
        conflicts.sort(key=lambda c: c.time)
    return out


def _bursts(times: Sequence[datetime], threshold: int, window: timedelta) -> list[tuple[list[int], int]]:
    """Runs of conflicts (indexes into the sorted ``times``) that sit in some window with at least ``threshold``
    conflicts, joined while the gap stays within ``window``; each with its peak count within one window."""
    in_burst = [False] * len(times)
    peak_at: dict[int, int] = {}
    j = 0
    for i in range(len(times)):
        j = max(j, i)
        while j + 1 < len(times) and times[j + 1] - times[i] <= window:
            j += 1
        if j - i + 1 >= threshold:
            in_burst[i : j + 1] = [True] * (j - i + 1)
            peak_at[i] = j - i + 1
    runs: list[list[int]] = []
    for k, flagged in enumerate(in_burst):
        if flagged and runs and times[k] - times[runs[-1][-1]] <= window:
            runs[-1].append(k)
        elif flagged:
            runs.append([k])
    return [(run, max((n for i, n in peak_at.items() if run[0] <= i <= run[-1]), default=len(run))) for run in runs]


class ScsiReservationBurst(Rule):
    """A burst of SCSI reservation conflicts on one LUN in a host's vm-support bundle.

    *Why*: Chapter 5: reservation conflicts "are generally caused by direct action by a script or user attempting
    to manipulate the metadata of the clustered file system", an overloaded array, or (with NPIV) a VM; "a form of
    a Denial of Service because of a script that is running out of control, either accidentally or perhaps for
    more nefarious reasons". Recognised lines: ESX 3.x ``... path vmhba1:0:1: Passing device status
    RESERVATION_CONFLICT (18)`` (syslog times take the bundle's year) and ESXi 5+ ``... to dev "naa...." on path
    "vmhba2:C0:T0:L1" Failed: H:0x0 D:0x18 ...``. The LUN is the ``naa.`` device when named, else the path. Runs
    on bundles (``driftguard import-bundle``); a snapshot alone has no log lines, so ``check`` finds nothing.

    *Non-compliant*: 12 conflicts on one device within 33 seconds (threshold 10 in 60 s): one finding for the
    LUN and burst, with first and last time, count, peak within a window, paths, files and sample lines.

    *Compliant*: 3 conflicts spread over 20 minutes.
    """

    id = "DG-EVIDENCE-001"
    name = "scsi-reservation-conflict-burst"
    severity = "high"
    tags = ("evidence", "storage", "bundle")
    Params = ScsiReservationBurstParams

    def check(self, snapshot: Snapshot, context: RuleContext, params: ScsiReservationBurstParams) -> Iterator[Finding]:
        for bundle in context.bundles:
            for lun, conflicts in sorted(_by_lun(bundle.reservation_lines).items()):
                window = timedelta(seconds=params.window_seconds)
                for run, peak in _bursts([c.time for c in conflicts], params.threshold, window):
                    yield self._finding(snapshot, bundle, lun, [conflicts[k] for k in run], peak, params)

    def _finding(
        self,
        snapshot: Snapshot,
        bundle: BundleLogs,
        lun: str,
        burst: list[_Conflict],
        peak: int,
        params: ScsiReservationBurstParams,
    ) -> Finding:
        first, last = iso_z(burst[0].time), iso_z(burst[-1].time)
        return self.finding_on(
            snapshot,
            "host",
            bundle.host_id,
            bundle.name,
            (
                f"{bundle.name}: {len(burst)} SCSI reservation conflicts on {lun} between {first} and "
                f"{last} (up to {peak} within {params.window_seconds:g} s; threshold {params.threshold}): "
                "a runaway script, too many metadata operations or an overloaded array — a storage denial of "
                "service, accidental or not"
            ),
            path=f'scsi.reservation_conflicts["{lun}"]@{first}',
            evidence={
                "lun": lun,
                "paths": sorted({c.path for c in burst if c.path}),
                "count": len(burst),
                "peak_in_window": peak,
                "first": first,
                "last": last,
                "window_seconds": params.window_seconds,
                "threshold": params.threshold,
                "files": sorted({c.line.file for c in burst}),
                "samples": [c.line.text for c in burst[:3]],
            },
            vcenter=bundle.vcenter,
            location=bundle.location,
        )
