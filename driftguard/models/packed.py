"""The VMs of a live snapshot held as their canonical file bytes, compressed, rather than as models (issue 12).

A model of one VM costs ~30 KB of Python objects (~22 nested pydantic models: devices, backings, networks); 45,000
of them do not fit the 1 GB the issue allows a snapshot. :class:`PackedObjects` keeps each object's canonical bytes
(:func:`~driftguard.models.canonical.canonical_bytes`, the exact file content; zlib-compressed past
:data:`COMPRESS_AFTER`, ~1.4 KB a VM instead of ~7.1 KB), plus
what the state repo's path and the manifest's counts need (name, cluster, datacenter, number of unknowns). It is a
read-only ``Mapping[str, model]``: looking an object up parses it from its bytes, so the few consumers that read a
VM (the diff of the VMs that changed, attribution, baselines) see the model, and the store writes the bytes
without encoding them a second time.

Only the ``snapshot`` command's collection packs (:func:`driftguard.normalize.snapshot.normalize_pages` with
``pack``); everything else keeps plain dicts.
"""

from __future__ import annotations

import zlib
from collections.abc import Callable, Iterator, Mapping
from typing import Any, Generic, NamedTuple, TypeVar

from pydantic import BaseModel

from driftguard.models.canonical import canonical_bytes

T = TypeVar("T", bound=BaseModel)

LEVEL = 1
"""zlib level: 7.1 KB of VM JSON becomes 1.4 KB at level 1; higher levels save little more."""

COMPRESS_AFTER = 10_000
"""Objects held as plain bytes before the rest are compressed. zlib costs ~150 µs a VM here (0.9 s of a 5,500-VM
snapshot, 8 %), so it only pays where memory is the limit: up to 10,000 VMs (~71 MB of bytes) none is compressed,
at 45,000 the other 35,000 take ~50 MB instead of ~250 MB. Canonical JSON starts with ``{``, a zlib stream never
does, so each entry says itself which it is."""


class Placement(NamedTuple):
    """What the state repo's path of an object and the manifest need without parsing it."""

    name: str
    cluster: str | None
    datacenter: str | None
    unknowns: int


class PackedObjects(Mapping[str, T], Generic[T]):
    """Objects of one model class by id, held as compressed canonical bytes; read-only once filled."""

    __slots__ = ("_bytes", "_compress_after", "_model", "_placement")

    def __init__(self, model: type[T], *, compress_after: int = COMPRESS_AFTER) -> None:
        self._model = model
        self._compress_after = compress_after
        self._bytes: dict[str, bytes] = {}
        self._placement: dict[str, Placement] = {}

    def add(self, obj: T) -> None:
        """Pack ``obj`` (it needs ``id``, ``name`` and ``unknowns``; ``cluster``/``datacenter`` when it has them)."""
        key: str = getattr(obj, "id")  # noqa: B009 - any model with an id
        data = canonical_bytes(obj)
        self._bytes[key] = zlib.compress(data, LEVEL) if len(self._bytes) >= self._compress_after else data
        self._placement[key] = Placement(
            getattr(obj, "name"),  # noqa: B009
            getattr(obj, "cluster", None),
            getattr(obj, "datacenter", None),
            len(getattr(obj, "unknowns", ())),
        )

    def ordered(self, key: Callable[[str], Any]) -> PackedObjects[T]:
        """The same objects with ids in ``sorted(ids, key=key)`` order (a new mapping; the bytes are shared)."""
        ordered: PackedObjects[T] = PackedObjects(self._model, compress_after=self._compress_after)
        for oid in sorted(self._bytes, key=key):
            ordered._bytes[oid] = self._bytes[oid]
            ordered._placement[oid] = self._placement[oid]
        return ordered

    def canonical(self, oid: str) -> bytes:
        """The object's canonical file bytes (exactly what :func:`canonical_bytes` of its model gives)."""
        held = self._bytes[oid]
        return held if held[:1] == b"{" else zlib.decompress(held)

    def placement(self, oid: str) -> Placement:
        return self._placement[oid]

    def unknowns(self) -> int:
        """The number of unknown values over all objects (the manifest's ``unknowns``)."""
        return sum(place.unknowns for place in self._placement.values())

    def packed_size(self) -> int:
        """Bytes held, for the benchmark."""
        return sum(map(len, self._bytes.values()))

    def __getitem__(self, oid: str) -> T:
        return self._model.model_validate_json(self.canonical(oid))

    def __contains__(self, oid: object) -> bool:
        return oid in self._bytes

    def __iter__(self) -> Iterator[str]:
        return iter(self._bytes)

    def __len__(self) -> int:
        return len(self._bytes)

    def __repr__(self) -> str:
        return f"PackedObjects({self._model.__name__}, {len(self)} objects)"


def canonical_of(collection: Mapping[str, BaseModel], oid: str) -> bytes:
    """The canonical bytes of one object of a snapshot collection, packed or not."""
    if isinstance(collection, PackedObjects):
        return collection.canonical(oid)
    return canonical_bytes(collection[oid])


__all__ = ["PackedObjects", "Placement", "canonical_of"]
