"""Inventory collection: paged PropertyCollector passes (one per group of kinds, :data:`GROUPS`), then host options.

Round trips (HTTP requests), for ``N_g`` objects in the view of group ``g`` and ``H`` hosts with an option manager::

    sum over the groups (1 CreateContainerView + max(1, ceil(N_g / page_size)) pages + 1 DestroyView)
    + ceil(H / page_size) option pages

— they grow with pages, never with objects. Answers are decoded by :mod:`driftguard.collect.decoder` as they
arrive (:mod:`driftguard.collect.stream`); the threads and the VM stream are in :mod:`driftguard.collect.reader`.

Managed objects are never attribute-walked: on a real vCenter
each attribute costs a round trip, and the simulator crashes on unset properties (reference G3).
"""

from __future__ import annotations

import contextlib
import http.client
import math
from collections.abc import Callable, Iterable, Iterator, Mapping
from typing import Any, cast

from driftguard.collect._vmomi import VmomiSupport, vmodl
from driftguard.collect.errors import CollectError, CollectionError
from driftguard.collect.raw import to_raw
from driftguard.collect.session import Session
from driftguard.models.raw import RawData, RawInventory, RawObject, RawVCenter, Unchanged

ProgressCallback = Callable[[str, int, int | None], None]
"""``on_progress(kind, done, total)``: ``total`` is None when the server does not say in advance."""

DEFAULT_PAGE_SIZE = 500

# The container view holds every object we need, plus the folders and datacenters that normalize walks
# through (via ``parent``) to name each object's datacenter and cluster without extra calls.
VIEW_TYPES: tuple[str, ...] = (
    "Datacenter",
    "Folder",
    "ComputeResource",  # includes ClusterComputeResource
    "ResourcePool",  # includes VirtualApp
    "HostSystem",
    "VirtualMachine",
    "Network",  # includes DistributedVirtualPortgroup and OpaqueNetwork: NIC backings name them
    "DistributedVirtualSwitch",  # includes VmwareDistributedVirtualSwitch
    "Datastore",
)

# PropertySpec type → paths. A spec applies to its subtypes too, so a path is listed once, on the most
# general type that declares it: the server must never see the same path twice for one object.
# Every path walks only *declared* types (reference G1; tests/collect/test_collect_units.py checks this against
# pyVmomi's type metadata): ``configurationEx`` and ``summary`` are read whole, never
# ``configurationEx.dasConfig``, because one invalid path fails the whole call on a real vCenter.
PROPERTY_PATHS: Mapping[str, tuple[str, ...]] = {
    "ManagedEntity": ("name", "parent"),
    "ComputeResource": ("configurationEx", "summary", "host", "datastore"),
    "ResourcePool": ("owner",),
    "HostSystem": (
        "summary.config.product",
        "summary.currentEVCModeKey",
        "summary.maxEVCModeKey",
        "summary.hardware",
        "hardware.cpuPkg",
        "config.network",
        "config.virtualNicManagerInfo",
        "config.service",
        "config.dateTimeInfo",
        "config.lockdownMode",
        "config.adminDisabled",
        # Not ``config.option``: it duplicates the OptionManager's ``setting`` (read in a second pass,
        # reference §7) and would double the largest part of every host.
        # Not ``configManager.serviceSystem`` & co: those objects don't exist in the simulator (G4) and the
        # same data is in ``config.*``.
        "configManager.advancedOption",
        "runtime.connectionState",
        "runtime.inMaintenanceMode",
        "runtime.dasHostState",
        "datastore",
    ),
    "VirtualMachine": (
        "config",
        "resourcePool",
        "runtime.host",
        "runtime.powerState",
        "runtime.connectionState",
        "runtime.minRequiredEVCModeKey",
        "runtime.featureRequirement",
        "runtime.offlineFeatureRequirement",
        "runtime.featureMask",
        "datastore",
        "network",
        "snapshot",
    ),
    "DistributedVirtualSwitch": ("uuid", "config"),
    "DistributedVirtualPortgroup": ("key", "config"),
    "Datastore": ("summary", "host"),
}

OPTION_MANAGER_PATHS: tuple[str, ...] = ("setting",)
"""Read from every host's ``configManager.advancedOption`` in one more paged call."""

_PC = vmodl.query.PropertyCollector
_NS = "urn:vim25"


def wsdl_type(name: str) -> Any:
    """The pyVmomi class of a vSphere type name (``HostSystem`` → ``vim.HostSystem``)."""
    return VmomiSupport.GetWsdlType(_NS, name)


def declared_versions(type_name: str, path: str) -> list[str] | None:
    """The pyVmomi versions that introduced each step of ``path`` on ``type_name``.

    None when a step is not declared on the type the previous step is declared as (the G1 rule: a real
    vCenter rejects such a path) or when the path walks through an array.
    """
    current: Any = wsdl_type(type_name)
    versions: list[str] = []
    for step in path.split("."):
        if current is None or issubclass(current, list):
            return None
        try:
            info = current._GetPropertyInfo(step)
        except AttributeError:
            return None
        versions.append(str(info.version))
        current = info.type
    return versions


GROUPS: tuple[tuple[str, tuple[str, ...]], ...] = (
    ("others", tuple(name for name in VIEW_TYPES if name not in ("HostSystem", "VirtualMachine"))),
    ("hosts", ("HostSystem",)),
    ("vms", ("VirtualMachine",)),
)
"""The kinds read over separate connections, each through its own container view, smallest first: normalising a
VM needs the folders, hosts, clusters and networks around it, so those come (and are held) before the VMs stream."""

DEFAULT_PARALLEL = 3
"""Connections used at once for the inventory (one per group of kinds)."""


def collect_inventory(
    session: Session,
    *,
    page_size: int = DEFAULT_PAGE_SIZE,
    paths: Mapping[str, Iterable[str]] = PROPERTY_PATHS,
    on_progress: ProgressCallback | None = None,
    parallel: int = DEFAULT_PARALLEL,
) -> RawInventory:
    """Read the configuration of every object in the vCenter into the raw format (held whole: for a big vCenter,
    :func:`~driftguard.collect.reader.read_inventory` streams the VMs instead).

    ``paths`` overrides :data:`PROPERTY_PATHS` (a PropertySpec type → paths mapping). Paths that need a
    newer API than the server speaks are not sent and are recorded in ``missing`` as ``NotSupported``;
    paths the server cannot return are recorded in ``missing`` with the server's fault. ``parallel`` bounds the
    connections used at once (:data:`GROUPS`).
    Raises :class:`~driftguard.collect.errors.CollectionError` when the connection drops or the server
    fails the call.
    """
    from driftguard.collect.reader import read_inventory  # the reader builds on this module's specs

    with read_inventory(session, page_size=page_size, paths=paths, on_progress=on_progress, parallel=parallel) as r:
        head = r.small()
        vms = [obj for page in r.vm_pages() for obj in page]
        final = r.finish()
    objects = dict(head["objects"])
    if vms:
        objects["VirtualMachine"] = sorted(vms, key=lambda obj: moref_sort_key(obj["moref"]))
    final["objects"] = dict(sorted(objects.items()))
    return final


def inventory_counts(raw: RawInventory) -> dict[str, int]:
    """Objects read per managed type (``HostSystem`` → 7 ...), without the host option managers.

    Zero objects is what an empty vCenter answers; an answer that was not an inventory never gets this far (the
    transport refuses it), so a caller can compare these counts with the previous snapshot's.
    """
    return {kind: len(items) for kind, items in raw["objects"].items() if kind != "OptionManager"}


def expected_round_trips(objects: Mapping[str, int], hosts_with_options: int, page_size: int) -> int:
    """The round trips :func:`collect_inventory` makes for ``objects`` (group name of :data:`GROUPS` → objects in
    its view): per group one CreateContainerView, its pages and one DestroyView, then the option pages."""
    pages = sum(max(1, math.ceil(objects.get(name, 0) / page_size)) for name, _ in GROUPS)
    return 2 * len(GROUPS) + pages + math.ceil(hosts_with_options / page_size)


def group_of(type_name: str) -> str:
    """The :data:`GROUPS` name a concrete managed type is read in."""
    if type_name in ("HostSystem", "VirtualMachine"):
        return "hosts" if type_name == "HostSystem" else "vms"
    return "others"


def raw_vcenter(session: Session) -> RawVCenter:
    """The ``vcenter`` block of raw outputs: URL without credentials, ``about``, negotiated API version."""
    return RawVCenter(url=session.url, about=to_raw(session.content.about), api_version=session.api_version)


def split_supported(
    session: Session, paths: Mapping[str, Iterable[str]]
) -> tuple[dict[str, list[str]], dict[str, dict[str, str]]]:
    """Split paths into those to request and those the negotiated API version lacks (with a reason)."""
    requested: dict[str, list[str]] = {}
    unsupported: dict[str, dict[str, str]] = {}
    api = session.content.about.apiVersion
    for type_name, type_paths in paths.items():
        for path in type_paths:
            versions = declared_versions(type_name, path)
            # Undeclared paths go to the server anyway: it is the authority, and records them as missing.
            if versions is not None and not all(session.supports(version) for version in versions):
                unsupported.setdefault(type_name, {})[path] = (
                    f"NotSupported: {type_name}.{path} needs a newer vSphere API than {api}"
                )
            else:
                requested.setdefault(type_name, []).append(path)
    return requested, unsupported


def retrieve_pages(session: Session, spec: Any, page_size: int, *, what: str = "objects") -> Iterator[list[RawData]]:
    """:func:`retrieve_pages_skipping` without a ``skip``: every object decoded."""
    for page in retrieve_pages_skipping(session, spec, page_size, what=what):
        yield cast(list[RawData], page)  # nothing stands in for an object without a skip


def retrieve_pages_skipping(
    session: Session,
    spec: Any,
    page_size: int,
    *,
    what: str = "objects",
    skip: Callable[[Any], Unchanged | None] | None = None,
) -> Iterator[list[RawData | Unchanged]]:
    """The ``ObjectContent`` of one filter spec as raw data, page by page (RetrievePropertiesEx + Continue…),
    each page decoded as it arrives by the session's own decoder (no pyVmomi objects). ``skip`` sees each
    ``ObjectContent`` element first: what it returns (an :class:`Unchanged`) stands in the page instead of the
    decoded object.

    The transport has already checked that each answer is the SOAP response asked for, so an answer without a
    result is the server's real "nothing matched". From ContinueRetrievePropertiesEx it is not: a token promises
    another page, so a chain that stops without one (or goes round in a circle) is an error.
    """
    collector = session.content.propertyCollector
    decoder = session.decoder()
    page: list[RawData | Unchanged] = []

    def take(elem: Any) -> None:
        marker = skip(elem) if skip is not None else None
        page.append(marker if marker is not None else decoder.object_content(elem))

    answer = session.stream(
        collector, "RetrievePropertiesEx", [[spec], _PC.RetrieveOptions(maxObjects=page_size)], "retrieve", take
    )
    tokens: set[str] = set()
    done = 0
    while True:
        if any(not isinstance(item, Unchanged) and not isinstance(item.get("obj"), dict) for item in page):
            raise _broken_chain(session, "sent a page with an object without its reference")
        done += len(page)
        yield page
        token = answer.token
        if not token:
            return
        if token in tokens:
            raise _broken_chain(session, f"repeated the page token after {done} {what}")
        tokens.add(token)
        page = []
        answer = session.stream(collector, "ContinueRetrievePropertiesEx", [token], "retrieve", take)
        if not answer.returned:
            raise _broken_chain(session, f"sent no page for a continuation token after {done} {what}")


def _broken_chain(session: Session, what: str) -> CollectionError:
    return CollectionError(
        f"vCenter {session.host} {what} (RetrievePropertiesEx paging did not end properly)", host=session.host
    )


def check_all_answered(session: Session, asked: list[str], answered: set[str]) -> None:
    """Every option manager asked for comes back, with values or a missing-object fault
    (``reportMissingObjectsInResults``): fewer means the answer was not the whole answer."""
    lost = [moref for moref in asked if moref not in answered]
    if lost:
        raise CollectionError(
            f"vCenter {session.host} answered the host advanced options for {len(asked) - len(lost)} of "
            f"{len(asked)} hosts (none for {', '.join(lost[:3])}{' ...' if len(lost) > 3 else ''})",
            host=session.host,
        )


def destroy_view(view: Any) -> None:
    # Best effort: views die with the session anyway, and a failure here must not hide the real error. Its answer
    # carries no data, so even a garbage answer to it cannot spoil what was collected.
    with contextlib.suppress(vmodl.MethodFault, OSError, http.client.HTTPException, CollectError):
        view.DestroyView()


def raw_object(content: RawData) -> tuple[str, RawObject]:
    """(concrete type, raw object) of one decoded ``ObjectContent``."""
    ref = content["obj"]
    values: dict[str, Any] = {}
    for prop in content.get("propSet") or []:
        value = prop.get("val")
        if value is None or value == []:
            continue  # unset and empty are the same thing to the server; keep simulator and vCenter alike
        values[str(prop.get("name"))] = value
    missing = {str(miss.get("path")): raw_fault_text(miss.get("fault")) for miss in content.get("missingSet") or []}
    return str(ref["type"]), RawObject(moref=str(ref["value"]), props=dict(sorted(values.items())), missing=missing)


def raw_fault_text(fault: Any) -> str:
    """:func:`~driftguard.collect.raw.fault_text` of a decoded fault."""
    if not isinstance(fault, dict):
        return "MethodFault"
    name = str(fault.get("_type") or "MethodFault")
    message = str(fault.get("msg") or "")
    privilege = fault.get("privilegeId")
    if not message and privilege:
        message = f"requires privilege {privilege}"
    return f"{name}: {message}" if message else name


def moref_sort_key(moref: str) -> tuple[str, int, str]:
    # host-9 before host-10: a stable, human-friendly order for raw files and golden cases
    prefix, _, number = moref.rpartition("-")
    return (prefix, int(number), "") if number.isdigit() else (moref, 0, moref)


def _no_progress(kind: str, done: int, total: int | None) -> None:
    del kind, done, total


__all__ = [
    "DEFAULT_PAGE_SIZE",
    "DEFAULT_PARALLEL",
    "GROUPS",
    "OPTION_MANAGER_PATHS",
    "PROPERTY_PATHS",
    "VIEW_TYPES",
    "ProgressCallback",
    "check_all_answered",
    "collect_inventory",
    "declared_versions",
    "destroy_view",
    "expected_round_trips",
    "group_of",
    "inventory_counts",
    "moref_sort_key",
    "raw_fault_text",
    "raw_object",
    "raw_vcenter",
    "retrieve_pages",
    "retrieve_pages_skipping",
    "split_supported",
]
