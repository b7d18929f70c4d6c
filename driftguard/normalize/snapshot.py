"""A whole raw inventory → :class:`~driftguard.models.Snapshot`."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any
from urllib.parse import urlsplit

from driftguard import __version__
from driftguard.models import Manifest, Snapshot, VCenterInfo
from driftguard.normalize._raw import Inventory, dig, integer, nonempty, text
from driftguard.normalize.cluster import normalize_clusters
from driftguard.normalize.datastore import normalize_datastores
from driftguard.normalize.dvs import normalize_dvswitches
from driftguard.normalize.host import normalize_hosts
from driftguard.normalize.vm import normalize_vms


def normalize_snapshot(raw: Mapping[str, Any]) -> Snapshot:
    """The canonical snapshot of one raw inventory (``RawInventory``, see ``docs/raw-format.md``).

    Pure: the same raw data always gives the same snapshot. The manifest's counts and unknowns are
    computed from the objects.
    """
    inventory = Inventory(raw)
    snapshot = Snapshot(
        manifest=_manifest(raw),
        clusters=normalize_clusters(inventory),
        hosts=normalize_hosts(inventory),
        vms=normalize_vms(inventory),
        dvswitches=normalize_dvswitches(inventory),
        datastores=normalize_datastores(inventory),
    )
    return snapshot.with_counts()


def vcenter_info(raw_vcenter: Any) -> VCenterInfo:
    """The snapshot's vCenter identity from the raw ``vcenter`` block (the URL never has credentials)."""
    url = text(dig(raw_vcenter, "url")) or ""
    about = dig(raw_vcenter, "about")
    return VCenterInfo(
        name=urlsplit(url).hostname or "vcenter",
        url=url,
        instance_uuid=nonempty(dig(about, "instanceUuid")),
        version=nonempty(dig(about, "version")),
        build=nonempty(dig(about, "build")),
        api_version=nonempty(dig(about, "apiVersion")),
    )


def _manifest(raw: Mapping[str, Any]) -> Manifest:
    return Manifest(
        tool_version=__version__,
        vcenter=vcenter_info(raw.get("vcenter")),
        started_at=text(raw.get("started_at")),
        finished_at=text(raw.get("finished_at")),
        round_trips=integer(raw.get("round_trips")) or 0,
        page_size=integer(raw.get("page_size")),
    )
