"""Which host a vm-support bundle is from, read without normalising the whole bundle."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from driftguard.normalize._raw import text
from driftguard.normalize.evidence import identity


def bundle_host(raw: Mapping[str, Any]) -> str:
    """The host name the bundle itself gives (``hostname``, ``uname -a``, else its top directory)."""
    return identity(raw.get("commands") or {}, text(raw.get("top_dir")) or "").name
