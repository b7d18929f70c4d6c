"""Shared base classes and scalar types of the canonical model."""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict

SCHEMA_VERSION = 1
"""Version of the canonical snapshot schema; bumped on any incompatible change of the files' shape."""

Scalar = bool | int | float | str
"""An advanced-option value. Pydantic's smart union keeps the exact JSON type (True stays bool, 1 stays int)."""


class Model(BaseModel):
    """Base of every canonical model: unknown fields are errors, so a typo in a file never passes silently."""

    model_config = ConfigDict(extra="forbid", validate_assignment=False)


class ManagedObject(Model):
    """Fields every snapshotted vCenter object carries.

    Identity is the managed-object id (``id``, e.g. ``vm-42``) within one vCenter instance, never the name:
    a rename keeps ``id`` and changes ``name``.

    ``unknowns`` maps a canonical path (``ha.options``) to the reason it could not be read (permission,
    timeout, unsupported on this version). A path listed there is neither drift nor compliant.
    """

    schema_version: int = SCHEMA_VERSION
    """Every object file says which canonical schema it follows (design.md); never diffed as drift."""
    id: str
    name: str
    unknowns: dict[str, str] = {}
