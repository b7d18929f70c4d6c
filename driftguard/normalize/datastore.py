"""``Datastore`` → :class:`~driftguard.models.Datastore`."""

from __future__ import annotations

from driftguard.models import Datastore
from driftguard.normalize._raw import (
    Inventory,
    RawMap,
    boolean,
    dig,
    integer,
    nonempty,
    objects,
    props,
    ref_id,
    text,
    unknowns_for,
)

UNKNOWN_TARGETS: dict[str, tuple[str, ...]] = {
    "name": ("name",),
    "parent": ("datacenter",),
    "summary": ("type", "url", "capacity_bytes", "multiple_host_access"),
    "host": ("hosts",),
}


def normalize_datastores(inventory: Inventory) -> dict[str, Datastore]:
    """Every datastore of the inventory, by id."""
    return {ds.id: ds for ds in (normalize_datastore(obj, inventory) for obj in inventory.of_type("Datastore"))}


def normalize_datastore(obj: RawMap, inventory: Inventory) -> Datastore:
    """One raw ``Datastore`` object as a :class:`Datastore` (free space is runtime state and left out)."""
    moref = str(obj.get("moref"))
    p = props(obj)
    summary = p.get("summary")
    return Datastore(
        id=moref,
        name=text(p.get("name")) or moref,
        unknowns=unknowns_for(obj, UNKNOWN_TARGETS),
        datacenter=inventory.datacenter_name(moref),
        type=nonempty(dig(summary, "type")),
        url=nonempty(dig(summary, "url")),
        capacity_bytes=integer(dig(summary, "capacity")),
        multiple_host_access=boolean(dig(summary, "multipleHostAccess")),
        hosts=sorted({h for h in (ref_id(mount.get("key")) for mount in objects(p.get("host"))) if h}),
    )
