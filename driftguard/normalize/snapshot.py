"""A whole raw inventory → :class:`~driftguard.models.Snapshot`, whole or with the VMs streaming in page by page."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping, Sequence
from typing import Any
from urllib.parse import urlsplit

from driftguard import __version__
from driftguard.models import VM, Manifest, Snapshot, VCenterInfo
from driftguard.models.packed import PackedObjects, StoredObjects
from driftguard.models.raw import Unchanged
from driftguard.normalize._raw import Inventory, RawMap, dig, integer, nonempty, text
from driftguard.normalize.cluster import normalize_clusters
from driftguard.normalize.datastore import normalize_datastores
from driftguard.normalize.dvs import normalize_dvswitches
from driftguard.normalize.host import normalize_hosts
from driftguard.normalize.vm import normalize_vm

_VM = "VirtualMachine"


def normalize_snapshot(raw: Mapping[str, Any]) -> Snapshot:
    """The canonical snapshot of one raw inventory (``RawInventory``, see ``docs/raw-format.md``).

    Pure: the same raw data always gives the same snapshot. The manifest's counts and unknowns are
    computed from the objects.
    """
    found = raw.get("objects")
    objects = dict(found) if isinstance(found, Mapping) else {}
    vms = objects.pop(_VM, None)
    small = {**raw, "objects": objects}
    pages = [vms] if isinstance(vms, list) else []
    return normalize_pages(small, pages, lambda: raw, by_moref=False)


def normalize_pages(
    small: Mapping[str, Any],
    vm_pages: Iterable[Sequence[RawMap | Unchanged]],
    finish: Callable[[], Mapping[str, Any]],
    *,
    by_moref: bool = True,
    pack: bool = False,
    stored: StoredObjects | None = None,
) -> Snapshot:
    """The snapshot of an inventory whose VMs arrive page by page (``collect.reader``): ``small`` is the raw
    inventory without the VMs, each page is normalised against it and let go of, and ``finish()`` gives the raw
    header (times, round trips) once the pages are through. The same snapshot as :func:`normalize_snapshot` of the
    whole raw inventory (``collect_inventory`` sorts VMs by moref; ``by_moref`` does the same to pages that arrive
    in the server's order): only memory differs, no more than one page of raw VMs is held.

    ``pack``: each VM is turned into its canonical bytes as soon as it is normalised and its model let go of
    (:class:`~driftguard.models.packed.PackedObjects`): a snapshot of 45,000 VMs then holds ~65 MB of them instead
    of ~1.4 GB of models. Equal to the unpacked snapshot as a mapping (each VM parses back to the same model).
    ``stored`` (with ``pack``): what each :class:`~driftguard.models.raw.Unchanged` in a page stands for, kept
    as a reference to the stored bytes, neither read nor parsed.
    """
    inventory = Inventory(small)
    clusters = normalize_clusters(inventory)
    hosts = normalize_hosts(inventory)
    dvswitches = normalize_dvswitches(inventory)
    datastores = normalize_datastores(inventory)
    vms: dict[str, VM] = {}
    packed: PackedObjects[VM] = PackedObjects(VM, loader=stored.loader if stored is not None else None)
    for items in vm_pages:
        page = [item for item in items if not isinstance(item, Unchanged)]
        for item in items:
            if isinstance(item, Unchanged):
                if stored is None or not pack:
                    raise ValueError(f"the reader skipped {item.moref} but nothing stored stands for it")
                packed.add_stored(item.moref, stored.refs[item.moref], stored.placements[item.moref])
        inventory.add(_VM, page)
        for obj in inventory.of_type(_VM):
            vm = normalize_vm(obj, inventory)
            if pack:
                packed.add(vm)
            else:
                vms[vm.id] = vm
        inventory.discard(_VM)
    fields: dict[str, Any] = {
        "manifest": _manifest(finish()),
        "clusters": clusters,
        "hosts": hosts,
        "dvswitches": dvswitches,
        "datastores": datastores,
    }
    if pack:
        # validated already, one VM at a time; constructing keeps the packed mapping as it is
        vms_packed = packed.ordered(_moref_key) if by_moref else packed
        snapshot = Snapshot.model_construct(**fields, vms=vms_packed)  # type: ignore[arg-type]  # a read-only mapping
    else:
        ordered = dict(sorted(vms.items(), key=lambda item: _moref_key(item[0]))) if by_moref else vms
        snapshot = Snapshot(**fields, vms=ordered)
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


def _moref_key(moref: str) -> tuple[str, int, str]:
    # host-9 before host-10, the order the raw layer lists objects in
    prefix, _, number = moref.rpartition("-")
    return (prefix, int(number), "") if number.isdigit() else (moref, 0, moref)


def _manifest(raw: Mapping[str, Any]) -> Manifest:
    return Manifest(
        tool_version=__version__,
        vcenter=vcenter_info(raw.get("vcenter")),
        started_at=text(raw.get("started_at")),
        finished_at=text(raw.get("finished_at")),
        round_trips=integer(raw.get("round_trips")) or 0,
        page_size=integer(raw.get("page_size")),
    )
