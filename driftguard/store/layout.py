"""Where each object of a snapshot lives in the state repo.

::

    <vcenter>/manifest.json
    <vcenter>/clusters/<datacenter>/<name>~<moref>.json
    <vcenter>/hosts/<cluster name | _standalone>/<name>~<moref>.json
    <vcenter>/vms/<cluster name | _standalone>/<name>~<moref>.json
    <vcenter>/dvswitches/<datacenter>/<name>~<moref>.json
    <vcenter>/datastores/<datacenter>/<name>~<moref>.json

Objects without a datacenter go under ``_nodatacenter``. The directories and the name part are for people
browsing the repo; identity is the moref after ``~``, which is encoded reversibly, so the kind and id of any
object file can be read from its path alone (:func:`parse_object_path`) without reading the blob. Two objects
with the same name get different files; a rename moves the file.

Every name becomes a path component through :func:`sanitize_component`; see its docstring for the rules.
Components are deterministic for a given Unicode database (NFC normalisation and character categories come
from :mod:`unicodedata`).
"""

from __future__ import annotations

import functools
import hashlib
import re
import unicodedata
from collections.abc import Collection
from pathlib import PurePosixPath
from typing import NamedTuple

from driftguard.models import KINDS, VM, Host, Kind, Snapshot, SnapshotObject
from driftguard.models.packed import PackedObjects
from driftguard.store.errors import StoreError

MANIFEST = "manifest.json"
SUFFIX = ".json"
SEPARATOR = "~"
STANDALONE = "_standalone"
"""Group directory of hosts and VMs outside any cluster."""
NO_DATACENTER = "_nodatacenter"
"""Group directory of clusters, switches and datastores whose datacenter is not known."""

KIND_DIRS: dict[Kind, str] = {
    "cluster": "clusters",
    "host": "hosts",
    "vm": "vms",
    "dvswitch": "dvswitches",
    "datastore": "datastores",
}
DIR_KINDS: dict[str, Kind] = {directory: kind for kind, directory in KIND_DIRS.items()}

CONFIG_FILE = "driftguard.yaml"
"""The single configuration file at the state-repo root (vCenters, ignore rules, zones, rule settings ...)."""
ZONES_FILE = "zones.yaml"
"""Security zones (older layout; folded into ``driftguard.yaml``)."""
IGNORE_FILE = ".driftguardignore"
"""The user's ignore patterns (older layout; folded into ``driftguard.yaml``)."""
LEGACY_SETTINGS_FILE = "driftguard.toml"
"""TOML settings, e.g. the ``[ssh]`` table for host files (older layout; folded into ``driftguard.yaml``)."""
KNOWN_HOSTS_FILE = "known_hosts"
"""SSH host keys of the ESXi hosts whose files are collected."""
BASELINES_DIR = "baselines"
"""Approved configuration, ``baselines/*.yaml``."""
EVIDENCE_DIR = "evidence"
"""Imported host evidence, ``evidence/<vcenter>/<host>.json``."""
HISTORY_FILE = "history.json"
"""The events and tasks that explain a snapshot commit's drift, stored beside its manifest (``<vcenter>/``)."""

TOP_LEVEL_RESERVED = (
    BASELINES_DIR,
    EVIDENCE_DIR,
    KNOWN_HOSTS_FILE,
    LEGACY_SETTINGS_FILE,
    CONFIG_FILE,
    ZONES_FILE,
    IGNORE_FILE,
)
"""Top-level names that are not vCenters; a vCenter with such a name gets an encoded directory name.
Derived from the constants above, so a new top-level file cannot be forgotten here."""
GROUP_RESERVED = (STANDALONE, NO_DATACENTER)

MAX_COMPONENT_BYTES = 100
MAX_MOREF_BYTES = 140
"""With the name capped at 100 bytes, ``~`` and ``.json``, a file name stays below the usual 255-byte limit."""

_HASH_MARK = "%-"
"""Starts the hash suffix of a lossy component. ``%`` is otherwise always followed by two hex digits."""
_HASH_CHARS = 12

# Characters that are never literal: path separators, our own escape and separator characters, and what
# Windows forbids in file names (so a clone of the state repo checks out on Windows too).
_ALWAYS_ENCODED = frozenset('/\\%~<>:"|?*')
# Control characters (C0, DEL, C1), format characters (bidi overrides and zero-width characters, which let a
# name look like another), surrogates, line/paragraph separators, private-use and unassigned code points.
_ENCODED_CATEGORIES = frozenset({"Cc", "Cf", "Cs", "Zl", "Zp", "Co", "Cn"})
_WINDOWS_DEVICES = frozenset(
    ["CON", "PRN", "AUX", "NUL", "CONIN$", "CONOUT$"]
    + [f"{prefix}{digit}" for prefix in ("COM", "LPT") for digit in "0123456789¹²³"]
)


class ObjectKey(NamedTuple):
    """What the path of an object file says: its vCenter directory, kind and moref."""

    vcenter_dir: str
    kind: Kind
    id: str


def _quote(char: str) -> str:
    return "".join(f"%{byte:02X}" for byte in char.encode("utf-8", "surrogatepass"))


def _is_reserved(name: str, reserved: Collection[str]) -> bool:
    # Windows reserves device names with any extension ("con.txt") and ignores trailing spaces before it.
    base = name.split(".", 1)[0].rstrip(" ").upper()
    if base in _WINDOWS_DEVICES:
        return True
    folded = name.casefold()
    return any(folded == word.casefold() for word in reserved)


def _tokens(name: str, *, reserved: Collection[str], ascii_only: bool, positional: bool) -> list[str]:
    """One token per character of ``name``: the character itself or its percent-encoded UTF-8 bytes."""
    tokens: list[str] = []
    trailing = len(name) - len(name.rstrip(". ")) if positional else 0
    for index, char in enumerate(name):
        encode = (
            char in _ALWAYS_ENCODED
            or unicodedata.category(char) in _ENCODED_CATEGORIES
            or (ascii_only and not char.isascii())
            # a combining mark must not compose with the hex digit of a preceding escape (or start a component)
            or (unicodedata.combining(char) != 0 and (not tokens or tokens[-1].startswith("%")))
        )
        if positional:
            encode = (
                encode
                or (index == 0 and char == ".")  # ".", "..", ".git", hidden files
                or index >= len(name) - trailing  # Windows drops trailing dots and spaces
                or (index == 0 and _is_reserved(name, reserved))
            )
        tokens.append(_quote(char) if encode else char)
    return tokens


def _cut(tokens: list[str], budget: int) -> str:
    """The longest prefix of whole tokens that fits ``budget`` UTF-8 bytes."""
    out: list[str] = []
    used = 0
    for token in tokens:
        size = len(token.encode("utf-8", "surrogatepass"))
        if used + size > budget:
            break
        out.append(token)
        used += size
    return "".join(out)


def _full_hash(name: str) -> str:
    return hashlib.sha256(name.encode("utf-8", "surrogatepass")).hexdigest()[:_HASH_CHARS]


def sanitize_component(name: str, *, reserved: Collection[str] = (), max_bytes: int = MAX_COMPONENT_BYTES) -> str:
    """A single, safe path segment for ``name``; deterministic and collision-free.

    - The name is NFC-normalised; readable unicode stays literal.
    - Percent-encoded (``%XX`` per UTF-8 byte): ``/ \\ % ~`` and ``< > : " | ? *``; control, format
      (bidi, zero-width), surrogate, separator, private-use and unassigned characters; a leading dot (``.``,
      ``..``, ``.git``); trailing dots and spaces; the first character of a Windows device name (``CON``,
      ``nul.txt``, ``COM1``) or of a word in ``reserved``; a combining mark right after an escape.
      Because ``%`` itself is encoded, decoding is unambiguous: a literal ``%2f`` in a name becomes ``%252f``.
    - When the name is empty, was not NFC (two spellings of ``é`` must not collide), or its encoding is longer
      than ``max_bytes``, the encoding is cut on a character boundary and ``%-`` plus 12 hex digits of the
      sha256 of the original name are appended.

    Without a hash suffix the component decodes back to the (NFC) name, so two names can only collide if
    their 48-bit hashes do.
    """
    return _sanitize(name, tuple(reserved), max_bytes)


# Names that are their own encoding: ASCII letters, digits, ``_ - .`` and inner spaces, no leading dot, no trailing
# dot or space (most VM and host names). Checked first: the per-character walk costs ~25 microseconds a name.
_PLAIN_NAME = re.compile(r"[A-Za-z0-9_-](?:[A-Za-z0-9_. -]*[A-Za-z0-9_-])?")
_PLAIN_MOREF = re.compile(r"[A-Za-z0-9_.-]+")


@functools.lru_cache(maxsize=8192)  # datacenter, cluster and vCenter names repeat for every object
def _sanitize(name: str, reserved: tuple[str, ...], max_bytes: int) -> str:
    if _PLAIN_NAME.fullmatch(name) and len(name) <= max_bytes and not _is_reserved(name, reserved):
        return name
    nfc = unicodedata.normalize("NFC", name)
    tokens = _tokens(nfc, reserved=reserved, ascii_only=False, positional=True)
    body = "".join(tokens)
    if not unicodedata.is_normalized("NFC", body):
        # Some literal character still composes with its neighbour; fall back to plain ASCII.
        tokens = _tokens(nfc, reserved=reserved, ascii_only=True, positional=True)
        body = "".join(tokens)
    if nfc != name or not body or len(body.encode("utf-8")) > max_bytes:
        suffix = _HASH_MARK + _full_hash(name)
        body = _cut(tokens, max_bytes - len(suffix)) + suffix
    return body


def encode_moref(moref: str) -> str:
    """The reversible encoding of a managed-object id inside a file name (no normalisation, no cut)."""
    if _PLAIN_MOREF.fullmatch(moref) and len(moref) <= MAX_MOREF_BYTES:
        return moref
    ascii_only = not unicodedata.is_normalized("NFC", moref)
    encoded = "".join(_tokens(moref, reserved=(), ascii_only=ascii_only, positional=False))
    if not unicodedata.is_normalized("NFC", encoded):
        encoded = "".join(_tokens(moref, reserved=(), ascii_only=True, positional=False))
    size = len(encoded.encode("utf-8"))
    if size > MAX_MOREF_BYTES:
        raise StoreError(f"managed-object id {moref[:40]!r} is too long for a file name ({size} bytes encoded)")
    return encoded


def decode_component(component: str) -> str:
    """The inverse of the percent-encoding; ``ValueError`` for a hashed (lossy) or malformed component."""
    if _HASH_MARK in component:
        raise ValueError(f"component {component!r} is hashed and cannot be decoded")
    out = bytearray()
    index = 0
    while index < len(component):
        char = component[index]
        if char == "%":
            hex_digits = component[index + 1 : index + 3]
            if len(hex_digits) != 2 or any(c not in "0123456789ABCDEF" for c in hex_digits):
                raise ValueError(f"malformed escape in {component!r}")
            out.append(int(hex_digits, 16))
            index += 3
        else:
            out += char.encode("utf-8", "surrogatepass")
            index += 1
    return out.decode("utf-8", "surrogatepass")


def vcenter_dir(name: str) -> str:
    """The top-level directory of a vCenter (``snapshot.manifest.vcenter.name``)."""
    return sanitize_component(name, reserved=TOP_LEVEL_RESERVED)


def manifest_path(vcenter: str) -> PurePosixPath:
    return PurePosixPath(vcenter_dir(vcenter), MANIFEST)


def _group_dir(snapshot: Snapshot, obj: SnapshotObject) -> str:
    """The directory between kind and file: the cluster of hosts and VMs, else the datacenter."""
    host_cluster = obj.cluster_name if isinstance(obj, Host) else None
    if isinstance(obj, Host | VM):
        return _group(snapshot, obj.kind, obj.cluster, host_cluster, None)
    return _group(snapshot, obj.kind, None, None, obj.datacenter)


def _group(
    snapshot: Snapshot, kind: Kind, cluster: str | None, cluster_name: str | None, datacenter: str | None
) -> str:
    group: str | None
    if kind in ("host", "vm"):
        if cluster is None:
            return STANDALONE
        found = snapshot.clusters.get(cluster)
        if found is not None:
            group = found.name
        elif cluster_name is not None:
            group = cluster_name
        else:
            group = cluster
    else:
        group = datacenter
        if group is None:
            return NO_DATACENTER
    return sanitize_component(group, reserved=GROUP_RESERVED)


def object_path(snapshot: Snapshot, obj: SnapshotObject) -> PurePosixPath:
    """The repo path of one object of ``snapshot`` (the cluster name is looked up in the snapshot)."""
    return _path(snapshot, obj.kind, obj.id, obj.name, _group_dir(snapshot, obj))


def _path(snapshot: Snapshot, kind: Kind, oid: str, name: str, group: str) -> PurePosixPath:
    file_name = sanitize_component(name) + SEPARATOR + encode_moref(oid) + SUFFIX
    return PurePosixPath(vcenter_dir(snapshot.manifest.vcenter.name), KIND_DIRS[kind], group, file_name)


def parse_object_path(path: PurePosixPath | str) -> ObjectKey | None:
    """Kind and moref of an object file from its repo path; None for anything else (the manifest, stray files)."""
    # git's paths are normalised: a plain split is PurePosixPath's parts, ~10x cheaper (50,000 paths a run)
    plain = isinstance(path, str) and not path.startswith(("/", "./")) and "//" not in path and "/./" not in path
    parts = tuple(path.split("/")) if plain and isinstance(path, str) else PurePosixPath(path).parts
    if len(parts) != 4 or parts[1] not in DIR_KINDS or not parts[3].endswith(SUFFIX):
        return None
    stem = parts[3][: -len(SUFFIX)]
    if stem.count(SEPARATOR) != 1:
        return None
    try:
        moref = decode_component(stem.split(SEPARATOR)[1])
    except ValueError:
        return None
    return ObjectKey(parts[0], DIR_KINDS[parts[1]], moref)


def snapshot_files(snapshot: Snapshot) -> dict[PurePosixPath, SnapshotObject]:
    """Every object file of ``snapshot`` by path, kinds in :data:`KINDS` order."""
    files: dict[PurePosixPath, SnapshotObject] = {}
    for kind in KINDS:
        for obj in snapshot.collection(kind).values():
            files[object_path(snapshot, obj)] = obj
    return files


def snapshot_paths(snapshot: Snapshot) -> dict[PurePosixPath, tuple[Kind, str]]:
    """Every object file of ``snapshot`` by path → (kind, id), kinds in :data:`KINDS` order; the objects of a
    packed collection are placed from what was kept when packing, none is parsed."""
    paths: dict[PurePosixPath, tuple[Kind, str]] = {}
    for kind in KINDS:
        coll = snapshot.collection(kind)
        if isinstance(coll, PackedObjects):
            for oid in coll:
                place = coll.placement(oid)
                group = _group(snapshot, kind, place.cluster, None, place.datacenter)
                paths[_path(snapshot, kind, oid, place.name, group)] = (kind, oid)
        else:
            for obj in coll.values():
                paths[object_path(snapshot, obj)] = (kind, obj.id)
    return paths
