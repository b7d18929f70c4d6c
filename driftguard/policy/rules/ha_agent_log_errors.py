"""DG-EVIDENCE-002."""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Iterator

from driftguard.models import BundleLogs, Finding, LogLine, Snapshot
from driftguard.models.times import iso_z
from driftguard.policy.base import NoParams, Rule
from driftguard.policy.context import RuleContext

_NOISE = re.compile(r"0x[0-9a-fA-F]+|\b\d+\b|opID=\S+")


class HaAgentLogErrors(Rule):
    """Error-level lines in a host's HA agent logs (FDM, legacy AAM) in its vm-support bundle.

    *Why*: Chapter 5: "a simple mistake could cause VMware HA to not work", and the chapter's opening incident
    is an HA cluster that did not fail over when a host failed. HA that cannot configure itself says so only in
    its agent's logs (``var/run/log/fdm*``, ``var/log/vmware/aam/*``) and fails only when a host fails. Runs on
    bundles (``driftguard import-bundle``); a snapshot alone has no log lines, so ``check`` finds nothing.

    *Non-compliant*: two ``[error]`` lines in ``var/run/log/fdm.log``: one finding for the FDM agent with the
    count, first and last time, files and the most frequent messages (numbers and operation ids folded).

    *Compliant*: agent logs without error-level lines.
    """

    id = "DG-EVIDENCE-002"
    name = "ha-agent-log-errors"
    severity = "medium"
    tags = ("evidence", "ha", "bundle")
    Params = NoParams

    def check(self, snapshot: Snapshot, context: RuleContext, params: NoParams) -> Iterator[Finding]:
        for bundle in context.bundles:
            groups: dict[str, list[LogLine]] = {}
            for line in bundle.ha_log_lines:
                groups.setdefault("aam" if "aam" in line.file else "fdm", []).append(line)
            for agent, lines in sorted(groups.items()):
                yield self._finding(snapshot, bundle, agent, lines)

    def _finding(self, snapshot: Snapshot, bundle: BundleLogs, agent: str, lines: list[LogLine]) -> Finding:
        times = sorted(line.time for line in lines if line.time is not None)
        messages = Counter(_NOISE.sub("#", line.text.rsplit("]", 1)[-1]).strip() for line in lines)
        first = iso_z(times[0]) if times else None
        last = iso_z(times[-1]) if times else None
        span = f" between {first} and {last}" if first and last else ""
        return self.finding_on(
            snapshot,
            "host",
            bundle.host_id,
            bundle.name,
            (
                f"{bundle.name}: {len(lines)} error line(s) in the HA agent ({agent.upper()}) logs{span}: "
                "HA that cannot configure itself fails only when a host fails"
            ),
            path=f"ha_agent.logs.{agent}",
            evidence={
                "agent": agent,
                "count": len(lines),
                "first": first,
                "last": last,
                "files": sorted({line.file for line in lines}),
                "top_messages": [{"message": msg, "count": n} for msg, n in messages.most_common(5)],
            },
            vcenter=bundle.vcenter,
            location=bundle.location,
        )
