"""Which host a vm-support bundle is from, and where its evidence is filed: under the vCenter and moref of the
stored host of that name, else under ``_bundles`` and the name."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

from driftguard.models import Snapshot
from driftguard.normalize._raw import text
from driftguard.normalize.evidence import identity

UNPLACED = "_bundles"
"""The evidence directory of hosts that no stored snapshot knows."""

HostIndex = dict[str, tuple[str, str]]
"""Short host name (lower case, up to the first dot) → (vCenter, moref)."""


def bundle_host(raw: Mapping[str, Any]) -> str:
    """The host name the bundle itself gives (``hostname``, ``uname -a``, else its top directory)."""
    return identity(raw.get("commands") or {}, text(raw.get("top_dir")) or "").name


def host_index(snapshots: Iterable[Snapshot]) -> HostIndex:
    """The hosts of the latest snapshots by short name; the first vCenter wins a name held twice."""
    found: HostIndex = {}
    for snapshot in snapshots:
        for host in snapshot.hosts.values():
            found.setdefault(_short(host.name), (snapshot.manifest.vcenter.name, host.id))
    return found


def place(name: str, index: HostIndex) -> tuple[str, str]:
    """(vCenter, host id) to file the bundle of host ``name`` under."""
    return index.get(_short(name), (UNPLACED, name))


def _short(name: str) -> str:
    return name.lower().split(".", 1)[0]
