"""Skip what did not change: a VM whose answer is byte-identical to last night's is neither decoded nor normalised.

Decoding and normalising are most of a snapshot's time (issue 12: ~5.5 s and ~3.5 s of ~9.5 s at 5,500 VMs), and
a nightly run mostly sees VMs that did not change. Normalising is a pure function of a VM's own ``ObjectContent``
answer and the inventory around it (the other kinds, the paths asked for, the server's version), so when all of
those are byte-identical to the run that built the last snapshot, so are the VM's canonical bytes: the stored
blob stands for it (:class:`~driftguard.models.raw.Unchanged`).

What the last run saw is kept in a local cache file, ``.git/driftguard-cache/<vcenter>.json`` (never committed
or pushed): a digest of the inventory around the VMs, and per VM the sha256 of its answer, the git blob id of the
file it gave and what its path and the manifest need (name, cluster, datacenter, number of unknowns). It is used
only when it was written for the very commit that is the vCenter's latest snapshot, for the VMs whose file in
that commit is still that blob, and by the same driftguard code (a digest of the package's
source and the versions of pyVmomi, lxml, orjson and pydantic); anything else, a missing, damaged or foreign
file included, means a full read. ``DRIFTGUARD_REUSE=0`` turns it off.
"""

from __future__ import annotations

import functools
import hashlib
import os
from dataclasses import dataclass, field
from importlib import metadata
from pathlib import Path
from typing import Any

import orjson

from driftguard.models import Snapshot
from driftguard.models.packed import PackedObjects, Placement, StoredObjects
from driftguard.models.raw import KnownObjects
from driftguard.store import StateRepo, vcenter_dir
from driftguard.store.plumbing import blob_id

SCHEMA = "driftguard.reuse/v1"
ENV = "DRIFTGUARD_REUSE"
_PACKAGE = Path(__file__).resolve().parent.parent
_VERSIONED = ("pyvmomi", "lxml", "orjson", "pydantic", "pydantic-core")


@dataclass
class Reuse:
    """What one snapshot run may skip (``known``, ``stored``: None for a full read), and what it saw (filled
    by the collection) for the next run."""

    known: KnownObjects | None = None
    stored: StoredObjects | None = None
    fingerprints: dict[str, str] = field(default_factory=dict)
    context: str | None = None
    skipped: int = 0


@functools.cache
def code_digest() -> str:
    """A digest of everything that decides a VM's canonical bytes besides its answer: driftguard's own source
    and the versions of the libraries that decode, validate and encode."""
    digest = hashlib.sha256()
    for path in sorted(_PACKAGE.rglob("*.py")):
        digest.update(str(path.relative_to(_PACKAGE)).encode() + b"\0" + path.read_bytes() + b"\0")
    for name in _VERSIONED:
        try:
            version = metadata.version(name)
        except metadata.PackageNotFoundError:
            version = "-"
        digest.update(f"{name}={version}\0".encode())
    return digest.hexdigest()


def cache_name(vcenter: str) -> str:
    return f"{vcenter_dir(vcenter)}.json"


def enabled() -> bool:
    return os.environ.get(ENV, "1").strip().lower() not in ("0", "false", "no", "off")


def prepare(repo: StateRepo | None, vcenter: str, commit: str | None) -> Reuse:
    """What this run may skip, from the cache written for ``commit`` (the vCenter's latest snapshot)."""
    if repo is None or commit is None or not enabled():
        return Reuse()
    cached = _read(repo, vcenter, commit)
    if cached is None:
        return Reuse()
    context, entries = cached
    refs = {oid: blob for (kind, oid), blob in repo.object_hashes(commit, vcenter).items() if kind == "vm"}
    # only where the commit holds exactly the bytes that answer gave last time
    usable = {moref: entry for moref, entry in entries.items() if refs.get(moref) == entry[1]}
    known = KnownObjects(context, {moref: entry[0] for moref, entry in usable.items()})
    placements = {moref: Placement(entry[2], entry[3], entry[4], entry[5]) for moref, entry in usable.items()}
    # the loader runs only if some consumer reads a skipped VM (it reads all of them at once)
    return Reuse(known, StoredObjects({m: refs[m] for m in usable}, placements, repo.read_blobs))


def save(repo: StateRepo, vcenter: str, commit: str, reuse: Reuse, snapshot: Snapshot) -> None:
    """Record what this run saw for the next one: ``commit`` holds ``snapshot``'s files (committed or verified)."""
    vms = snapshot.vms
    if not enabled() or reuse.context is None or not isinstance(vms, PackedObjects):
        return
    entries: dict[str, list[Any]] = {}
    for moref, fingerprint in reuse.fingerprints.items():
        if moref in vms:
            place = vms.placement(moref)
            blob = vms.stored_ref(moref) or blob_id(vms.canonical(moref))
            entries[moref] = [fingerprint, blob, place.name, place.cluster, place.datacenter, place.unknowns]
    document = {"schema": SCHEMA, "code": code_digest(), "commit": commit, "context": reuse.context, "vms": entries}
    repo.write_cache(cache_name(vcenter), orjson.dumps(document))


def _read(repo: StateRepo, vcenter: str, commit: str) -> tuple[str, dict[str, list[Any]]] | None:
    data = repo.read_cache(cache_name(vcenter))
    if data is None:
        return None
    try:
        document = orjson.loads(data)
    except orjson.JSONDecodeError:
        return None
    if not isinstance(document, dict) or document.get("schema") != SCHEMA:
        return None
    if document.get("code") != code_digest() or document.get("commit") != commit:
        return None
    context, entries = document.get("context"), document.get("vms")
    if not isinstance(context, str) or not isinstance(entries, dict):
        return None
    return context, {moref: entry for moref, entry in entries.items() if _entry(entry)}


def _entry(entry: Any) -> bool:
    if not isinstance(entry, list) or len(entry) != 6:
        return False
    fingerprint, blob, name, cluster, datacenter, unknowns = entry
    return (
        isinstance(fingerprint, str)
        and isinstance(blob, str)
        and isinstance(name, str)
        and (cluster is None or isinstance(cluster, str))
        and (datacenter is None or isinstance(datacenter, str))
        and type(unknowns) is int
    )


__all__ = ["ENV", "Reuse", "code_digest", "prepare", "save"]
