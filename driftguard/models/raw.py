"""The raw layer: the JSON-like contract between ``collect`` (producer) and ``normalize`` (consumer).

Added by the collect/normalize owner (not part of the lead's canonical models): both stages need these
types and neither may import the other, so they live in the shared vocabulary. They describe plain data
only; the format itself is documented in ``docs/raw-format.md``.

Every vSphere data object becomes a dict ``{"_type": "<vSphere type name>", "<camelCaseProperty>": value}``
(unset values and empty arrays left out), a managed-object reference becomes
``{"_type": "ManagedObjectReference", "type": "HostSystem", "value": "host-21"}``, times are ISO 8601 UTC
strings, binary is ``{"_type": "binary", "base64": "..."}``, enums are strings.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, Literal, NamedTuple, TypedDict

RAW_SCHEMA: Literal["driftguard.raw/v1"] = "driftguard.raw/v1"
RAW_HISTORY_SCHEMA: Literal["driftguard.raw-history/v1"] = "driftguard.raw-history/v1"

RawData = dict[str, Any]
"""One converted vSphere data object (or any JSON object of the raw layer)."""


class RawObject(TypedDict):
    """One managed object as the PropertyCollector returned it."""

    moref: str
    """Managed-object id (``host-21``); the type is the key of the list it sits in."""
    props: dict[str, Any]
    """Requested property path (``config.network``) → converted value; unset and empty values are absent."""
    missing: dict[str, str]
    """Property path → ``"<FaultType>: <message>"`` for every path the server could not return."""


class RawVCenter(TypedDict):
    url: str
    """``scheme://host:port/sdk``, never with credentials."""
    about: RawData
    """``ServiceContent.about`` (``AboutInfo``): version, build, apiVersion, instanceUuid."""
    api_version: str
    """The pyVmomi API version the requests were made with (``vim.version.v8_0_3_0``)."""


class RawInventory(TypedDict):
    """The result of one inventory collection."""

    schema: Literal["driftguard.raw/v1"]
    vcenter: RawVCenter
    started_at: str
    finished_at: str
    objects: dict[str, list[RawObject]]
    """Concrete managed type (``HostSystem``, ``ClusterComputeResource``, ``OptionManager`` …) → objects."""
    property_paths: dict[str, list[str]]
    """PropertySpec type → the paths requested for it (a spec applies to subtypes too)."""
    round_trips: int
    """HTTP requests this collection made (login and logout not included)."""
    page_size: int


class RawHistory(TypedDict):
    """Events and tasks for a time window, as collected."""

    schema: Literal["driftguard.raw-history/v1"]
    vcenter: RawVCenter
    begin: str | None
    """Exclusive lower bound (ISO 8601 UTC); None means "all retained history"."""
    end: str
    """Inclusive upper bound."""
    events: list[RawData]
    """Converted ``Event`` objects in the window, oldest first."""
    tasks: list[RawData]
    """Converted ``TaskInfo`` objects in the window, oldest first."""
    complete: bool
    """True when the server's event history verifiably reaches back to ``begin``."""
    tasks_complete: bool
    """False when tasks came only from ``recentTask`` (no task history on the server)."""
    tasks_source: Literal["history", "recent", "none"]
    oldest_event_time: str | None
    """The oldest event time seen (in the window, or the one that proved coverage of ``begin``)."""
    notes: list[str]
    round_trips: int


# --- host-side sources (SSH, vm-support bundles): see docs/host-files.md ------------------------------------------

RAW_HOST_FILES_SCHEMA: Literal["driftguard.raw-hostfiles/v1"] = "driftguard.raw-hostfiles/v1"
RAW_BUNDLE_SCHEMA: Literal["driftguard.raw-bundle/v1"] = "driftguard.raw-bundle/v1"


class RawFile(TypedDict):
    """One file read from a host: bytes as base64 (files are small; FDM's are compressed binary)."""

    mode: str | None
    """Permission bits in octal (``0644``), None when the source does not say."""
    size: int
    base64: str


class RawHostRead(TypedDict):
    """What one host gave: files by absolute path, decoded ``prettyPrint.sh`` outputs, or the reason it gave none."""

    target: str
    """``user@address:port`` (SSH) or the bundle's top directory: where the data came from, without secrets."""
    root: str
    """The remote root the paths are under (``/`` on a real host)."""
    files: dict[str, RawFile]
    decoded: dict[str, str]
    """``prettyPrint.sh`` argument (``clusterconfig``, ``hostlist``) → its stdout, where the tool exists."""
    error: str | None
    """Why nothing could be read (unknown host key, refused login, timeout ...); None on success."""
    seconds: float


class RawHostFiles(TypedDict):
    """The result of one SSH host-file collection, keyed by host id (moref)."""

    schema: Literal["driftguard.raw-hostfiles/v1"]
    source: Literal["ssh"]
    started_at: str
    finished_at: str
    hosts: dict[str, RawHostRead]
    cluster_runtime: dict[str, RawData]
    """Cluster id → converted ``ClusterDasAdvancedRuntimeInfo``, or ``{"_missing": "<Fault>: msg"}``."""
    parallelism: int


class RawLogMatch(TypedDict):
    file: str
    """Bundle-relative log path (``var/run/log/vmkernel.1.gz``)."""
    line: int
    text: str


class RawBundle(TypedDict):
    """One vm-support bundle, read: identity command outputs, HA agent files, and pre-filtered log lines."""

    schema: Literal["driftguard.raw-bundle/v1"]
    file: str
    sha256: str
    top_dir: str
    members: int
    commands: dict[str, str]
    """``commands/<name>.txt`` file name → text, for the identity and ``prettyPrint.sh_*`` outputs only."""
    host: RawHostRead
    reservation_lines: list[RawLogMatch]
    """vmkernel log lines that report a SCSI reservation conflict (``RESERVATION_CONFLICT`` or ``D:0x18``)."""
    ha_log_lines: list[RawLogMatch]
    """HA agent (FDM/AAM) log lines at error level."""
    logs_scanned: list[str]


class Unchanged(NamedTuple):
    """In a page of VMs: one whose ``ObjectContent`` answer was byte-identical to the one the last snapshot was
    built from, in an identical inventory around it (:class:`KnownObjects`), so it was not decoded: its canonical
    bytes are the stored ones (normalisation is a pure function of exactly those inputs)."""

    moref: str


@dataclass(frozen=True)
class KnownObjects:
    """What the last snapshot of a vCenter was built from, for the VMs' reader to skip what did not change.

    ``context`` is the reader's digest of everything besides a VM's own answer that its normalised form depends on
    (the other kinds' raw objects, the paths asked for, the server's version); the reader skips nothing when the
    digest it computes differs. ``fingerprints`` maps a VM's moref to the digest of its ``ObjectContent`` bytes.
    """

    context: str
    fingerprints: Mapping[str, str] = field(default_factory=dict)
