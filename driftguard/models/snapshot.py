"""A snapshot: the observed configuration of one vCenter at one time."""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from typing import Literal

from pydantic import Field

from driftguard.models.base import SCHEMA_VERSION, Model
from driftguard.models.cluster import Cluster
from driftguard.models.host import Host
from driftguard.models.inventory import Datastore, DvSwitch
from driftguard.models.packed import PackedObjects, canonical_of
from driftguard.models.times import MaybeTime
from driftguard.models.vm import VM

Kind = Literal["cluster", "host", "vm", "dvswitch", "datastore"]
KINDS: tuple[Kind, ...] = ("cluster", "host", "vm", "dvswitch", "datastore")
"""Object kinds in the order reports list them."""
KIND_ORDER: dict[str, int] = {kind: index for index, kind in enumerate(KINDS)}
"""A kind's place in :data:`KINDS`, for sorting."""

SnapshotObject = Cluster | Host | VM | DvSwitch | Datastore

KIND_MODELS: dict[Kind, type[SnapshotObject]] = {
    "cluster": Cluster,
    "host": Host,
    "vm": VM,
    "dvswitch": DvSwitch,
    "datastore": Datastore,
}
"""The model class of each kind."""

NOT_DIFFED: tuple[str, ...] = ("name", "unknowns", "schema_version")
"""Top-level object fields history drift never compares field by field: a new ``name`` is one ``renamed`` item,
``unknowns`` say what could not be read (never a change), and a schema upgrade is a migration, not drift."""

IDENTITY_FIELDS: tuple[str, ...] = ("id", "kind", "unknowns", "schema_version")
"""Top-level fields that identify an object or describe its file: no baseline expectation can ask for them."""


class VCenterInfo(Model):
    """The vCenter a snapshot was taken from. ``url`` never carries credentials."""

    name: str
    """Directory name of this vCenter in the state repo (sanitised host name)."""
    url: str
    instance_uuid: str | None = None
    version: str | None = None
    build: str | None = None
    api_version: str | None = None


class Manifest(Model):
    """Collection metadata (``<vcenter>/manifest.json``)."""

    schema_version: int = SCHEMA_VERSION
    tool: str = "driftguard"
    tool_version: str
    vcenter: VCenterInfo
    started_at: MaybeTime = None
    """When the collection began (JSON: ISO 8601 in UTC); None only for a snapshot no collection made."""
    finished_at: MaybeTime = None
    complete: bool = True
    incomplete_reason: str | None = None
    counts: dict[str, int] = {}
    """Objects per kind."""
    unknowns: int = 0
    """Number of values that could not be read (see each object's ``unknowns``)."""
    round_trips: int = 0
    """SOAP requests the collection made."""
    unknown_event_types: list[str] = Field(default_factory=list, exclude_if=lambda types: not types)
    """Event/task data types the history read had that this driftguard does not know (a newer vCenter's, a
    plugin's): kept as raw data, listed here, everything else attributed as usual. Left out of the file when empty,
    so manifests of earlier versions and of runs without such types are byte-identical."""
    page_size: int | None = None


class Snapshot(Model):
    """Every object of one vCenter, keyed by managed-object id within each kind."""

    schema_version: int = SCHEMA_VERSION
    manifest: Manifest
    clusters: dict[str, Cluster] = {}
    hosts: dict[str, Host] = {}
    vms: dict[str, VM] = {}
    dvswitches: dict[str, DvSwitch] = {}
    datastores: dict[str, Datastore] = {}

    def collection(self, kind: Kind) -> Mapping[str, SnapshotObject]:
        """The id-keyed objects of one kind (read-only: the snapshot's own mapping, a :class:`PackedObjects` for
        the VMs of a packed live snapshot)."""
        table: dict[Kind, Mapping[str, SnapshotObject]] = {
            "cluster": self.clusters,
            "host": self.hosts,
            "vm": self.vms,
            "dvswitch": self.dvswitches,
            "datastore": self.datastores,
        }
        return table[kind]

    def objects(self) -> Iterator[SnapshotObject]:
        """Every object, kinds in :data:`KINDS` order, ids sorted."""
        for kind in KINDS:
            coll = self.collection(kind)
            for key in sorted(coll):
                yield coll[key]

    def canonical_objects(self) -> Iterator[tuple[Kind, str, bytes]]:
        """(kind, id, canonical file bytes) of every object in :meth:`objects` order; packed ones are not parsed."""
        for kind in KINDS:
            coll = self.collection(kind)
            for key in sorted(coll):
                yield kind, key, canonical_of(coll, key)

    def get(self, kind: Kind, object_id: str) -> SnapshotObject | None:
        return self.collection(kind).get(object_id)

    def with_counts(self) -> Snapshot:
        """A copy whose manifest counts objects and unknowns from the content."""
        counts = {kind: len(self.collection(kind)) for kind in KINDS}
        unknowns = 0
        for kind in KINDS:
            coll = self.collection(kind)
            if isinstance(coll, PackedObjects):
                unknowns += coll.unknowns()  # counted when packed: no object is parsed
            else:
                unknowns += sum(len(obj.unknowns) for obj in coll.values())
        manifest = self.manifest.model_copy(update={"counts": counts, "unknowns": unknowns})
        return self.model_copy(update={"manifest": manifest})
