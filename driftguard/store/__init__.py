"""Snapshot ↔ files ↔ Git: the state repo layout, atomic commits, loading at any revision, history.

Git runs only in this package, through :class:`~driftguard.store.gitrun.GitRunner`.
"""

from driftguard.store.errors import (
    CorruptRepoError,
    DiskFullError,
    LocalEditsError,
    RepoLockedError,
    StoreError,
    UnknownRevisionError,
)
from driftguard.store.gitrun import GitResult, GitRunner, SubprocessGit
from driftguard.store.layout import (
    BASELINES_DIR,
    CONFIG_FILE,
    EVIDENCE_DIR,
    HISTORY_FILE,
    IGNORE_FILE,
    KNOWN_HOSTS_FILE,
    LEGACY_SETTINGS_FILE,
    TOP_LEVEL_RESERVED,
    ZONES_FILE,
    ObjectKey,
    decode_component,
    encode_moref,
    manifest_path,
    object_path,
    parse_object_path,
    sanitize_component,
    snapshot_files,
    vcenter_dir,
)
from driftguard.store.notes import NOTES_REF
from driftguard.store.plumbing import blob_id
from driftguard.store.repo import MANIFEST_VOLATILE, StateRepo
from driftguard.store.trailers import DEFAULT_SIGNATURE, Signature, SnapshotRef, parse_trailers

__all__ = [
    "BASELINES_DIR",
    "CONFIG_FILE",
    "DEFAULT_SIGNATURE",
    "EVIDENCE_DIR",
    "HISTORY_FILE",
    "IGNORE_FILE",
    "KNOWN_HOSTS_FILE",
    "LEGACY_SETTINGS_FILE",
    "MANIFEST_VOLATILE",
    "NOTES_REF",
    "TOP_LEVEL_RESERVED",
    "ZONES_FILE",
    "CorruptRepoError",
    "DiskFullError",
    "GitResult",
    "GitRunner",
    "LocalEditsError",
    "ObjectKey",
    "RepoLockedError",
    "Signature",
    "SnapshotRef",
    "StateRepo",
    "StoreError",
    "SubprocessGit",
    "UnknownRevisionError",
    "blob_id",
    "decode_component",
    "encode_moref",
    "manifest_path",
    "object_path",
    "parse_object_path",
    "parse_trailers",
    "sanitize_component",
    "snapshot_files",
    "vcenter_dir",
]
