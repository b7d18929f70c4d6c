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
from dataclasses import dataclass
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


Loader = Callable[[list[str]], Mapping[str, bytes]]
"""Stored reference → canonical bytes, for many references at once (the state repo's ``git cat-file --batch``)."""


class Stored(NamedTuple):
    """An entry whose canonical bytes the state repo already holds under ``ref`` (its git blob id)."""

    ref: str


class PackedObjects(Mapping[str, T], Generic[T]):
    """Objects of one model class by id, held as canonical bytes (compressed past ``compress_after``) or as a
    reference to bytes the state repo holds (:meth:`add_stored`); read-only once filled."""

    __slots__ = ("_bytes", "_compress_after", "_loader", "_model", "_placement")

    def __init__(self, model: type[T], *, compress_after: int = COMPRESS_AFTER, loader: Loader | None = None) -> None:
        self._model = model
        self._compress_after = compress_after
        self._loader = loader
        self._bytes: dict[str, bytes | Stored] = {}
        self._placement: dict[str, Placement] = {}

    def add(self, obj: T) -> None:
        """Pack ``obj`` (it needs ``id``, ``name`` and ``unknowns``; ``cluster``/``datacenter`` when it has them)."""
        key: str = getattr(obj, "id")  # noqa: B009 - any model with an id
        self._bytes[key] = self._hold(canonical_bytes(obj))
        self._placement[key] = Placement(
            getattr(obj, "name"),  # noqa: B009
            getattr(obj, "cluster", None),
            getattr(obj, "datacenter", None),
            len(getattr(obj, "unknowns", ())),
        )

    def add_stored(self, oid: str, ref: str, placement: Placement) -> None:
        """An object known to be byte-identical to what the state repo holds under ``ref``: nothing is read or
        parsed unless the object is asked for, and then every stored entry is read at once through the loader."""
        if self._loader is None:
            raise ValueError("a packed collection with stored entries needs a loader")
        self._bytes[oid] = Stored(ref)
        self._placement[oid] = placement

    def _hold(self, data: bytes) -> bytes:
        return zlib.compress(data, LEVEL) if len(self._bytes) >= self._compress_after else data

    def ordered(self, key: Callable[[str], Any]) -> PackedObjects[T]:
        """The same objects with ids in ``sorted(ids, key=key)`` order (a new mapping; the bytes are shared)."""
        ordered: PackedObjects[T] = PackedObjects(self._model, compress_after=self._compress_after, loader=self._loader)
        for oid in sorted(self._bytes, key=key):
            ordered._bytes[oid] = self._bytes[oid]
            ordered._placement[oid] = self._placement[oid]
        return ordered

    def stored_ref(self, oid: str) -> str | None:
        """The state repo's id of the object's bytes when it was added with :meth:`add_stored` (and not read yet)."""
        held = self._bytes[oid]
        return held.ref if isinstance(held, Stored) else None

    def _load_stored(self) -> None:
        stored = {oid: held.ref for oid, held in self._bytes.items() if isinstance(held, Stored)}
        assert self._loader is not None  # add_stored saw to it
        found = self._loader(sorted(set(stored.values())))
        for oid, ref in stored.items():
            self._bytes[oid] = found[ref]  # held plain: a read of all of them is a read for all of them

    def canonical(self, oid: str) -> bytes:
        """The object's canonical file bytes (exactly what :func:`canonical_bytes` of its model gives)."""
        held = self._bytes[oid]
        if isinstance(held, Stored):
            self._load_stored()
            held = self._bytes[oid]
        assert isinstance(held, bytes)
        return held if held[:1] == b"{" else zlib.decompress(held)

    def placement(self, oid: str) -> Placement:
        return self._placement[oid]

    def unknowns(self) -> int:
        """The number of unknown values over all objects (the manifest's ``unknowns``)."""
        return sum(place.unknowns for place in self._placement.values())

    def packed_size(self) -> int:
        """Bytes held, for the benchmark."""
        return sum(len(held) for held in self._bytes.values() if isinstance(held, bytes))

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


@dataclass(frozen=True)
class StoredObjects:
    """The stored objects a reader's :class:`~driftguard.models.raw.Unchanged` stands for: each one's reference
    (git blob id in the last snapshot's commit) and placement by id, and how to read references."""

    refs: Mapping[str, str]
    placements: Mapping[str, Placement]
    loader: Loader


def canonical_of(collection: Mapping[str, BaseModel], oid: str) -> bytes:
    """The canonical bytes of one object of a snapshot collection, packed or not."""
    if isinstance(collection, PackedObjects):
        return collection.canonical(oid)
    return canonical_bytes(collection[oid])


__all__ = ["Loader", "PackedObjects", "Placement", "Stored", "StoredObjects", "canonical_of"]
