"""Snapshot ↔ files ↔ Git: the state repo layout, atomic commits, loading at any revision, history.

GitPython is imported only in this package (an import-linter contract).
"""

from driftguard.store.errors import RepoLockedError, StoreError, UnknownRevisionError
from driftguard.store.layout import (
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
from driftguard.store.repo import (
    DEFAULT_SIGNATURE,
    MANIFEST_VOLATILE,
    NOTES_REF,
    Signature,
    SnapshotRef,
    StateRepo,
    blob_id,
    parse_trailers,
)

__all__ = [
    "DEFAULT_SIGNATURE",
    "MANIFEST_VOLATILE",
    "NOTES_REF",
    "ObjectKey",
    "RepoLockedError",
    "Signature",
    "SnapshotRef",
    "StateRepo",
    "StoreError",
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
