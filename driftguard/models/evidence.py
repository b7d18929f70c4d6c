"""Host-side evidence imported from an ESXi support bundle (``driftguard import-bundle``).

ESXi has no service console, so a vm-support bundle is the chapter's route to the host's own files and logs.
One :class:`HostEvidence` file per host lives in the state repo at ``evidence/<host>.json`` (see
``docs/host-files.md``); re-importing a newer bundle of the same host replaces it, so git history shows how the
host's HA agent files changed between bundles.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, Literal

from pydantic import Field

from driftguard.models.base import SCHEMA_VERSION, Model
from driftguard.models.findings import Finding
from driftguard.models.host import HAAgent
from driftguard.models.times import UtcTime

EVIDENCE_SCHEMA: Literal["driftguard.evidence/v1"] = "driftguard.evidence/v1"


class HostIdentity(Model):
    """Who the bundle is from, as the bundle itself says (``commands/uname_-a.txt``, ``vmware_-vl.txt``)."""

    name: str
    version: str | None = None
    """``VMware ESXi 7.0.3``: the product line of ``vmware -vl``."""
    build: str | None = None
    """``build-21930508``."""
    update: str | None = None
    """The second line of ``vmware -vl`` (``VMware ESXi 7.0 Update 3``)."""


class BundleSource(Model):
    file: str
    """The bundle's file name (never the full local path: that would leak the importer's directories)."""
    sha256: str
    top_dir: str
    """The bundle's top directory (``esx-<host>-<date>--<time>-<pid>``)."""
    members: int
    """Entries in the tarball."""


class HostEvidence(Model):
    """The evidence of one host from one bundle: identity, HA agent files, and the log findings."""

    schema_: Literal["driftguard.evidence/v1"] = Field(default=EVIDENCE_SCHEMA, alias="schema")
    schema_version: int = SCHEMA_VERSION
    host: HostIdentity
    vcenter: str
    """The state-repo vCenter whose snapshot holds a host of this name, else ``_bundles``."""
    host_id: str
    """The host's moref in that vCenter's latest snapshot, else the host name."""
    source: BundleSource
    ha_agent: HAAgent = HAAgent()
    findings: list[Finding] = []
    unknowns: dict[str, str] = {}
    """What the bundle did not contain (``ha_agent`` when it has neither ``etc/opt/vmware/fdm`` nor ``aam``)."""

    model_config = {"extra": "forbid", "populate_by_name": True}


class LogLine(Model):
    """One log line a bundle reader matched (a SCSI reservation conflict, an HA agent error)."""

    file: str
    """The log's path inside the bundle (``var/run/log/vmkernel.log``)."""
    line: int = 0
    text: str
    time: UtcTime | None = None
    """The time at the start of the line; None when it has none (or, syslog style, no year to read it with)."""


class BundleLogs(Model):
    """What the evidence rules (``DG-EVIDENCE-*``) read of one host's vm-support bundle. Not stored: the findings
    it gives are (:attr:`HostEvidence.findings`)."""

    vcenter: str
    """As :attr:`HostEvidence.vcenter`: the findings are filed under it."""
    host_id: str
    name: str
    """The host's name as the bundle says."""
    location: str | None = None
    """The evidence file in the state repo, for SARIF locations."""
    reservation_lines: list[LogLine] = []
    """vmkernel lines reporting a SCSI reservation conflict."""
    ha_log_lines: list[LogLine] = []
    """Error-level lines of the HA agent's logs (FDM, legacy AAM)."""


@dataclass(frozen=True)
class EvidenceParams:
    """The ``import-bundle`` flags ``--reservation-threshold`` / ``--reservation-window``, as the rule settings
    of ``DG-EVIDENCE-001`` (:meth:`rule_config`)."""

    reservation_threshold: int = 10
    """Conflicts on one LUN within ``reservation_window`` seconds that make a burst."""
    reservation_window: float = 60.0

    def rule_config(self) -> dict[str, Mapping[str, Any]]:
        params = {"threshold": self.reservation_threshold, "window_seconds": self.reservation_window}
        return {"DG-EVIDENCE-001": {"params": params}}
