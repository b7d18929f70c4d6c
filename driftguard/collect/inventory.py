"""Inventory collection: one paged PropertyCollector pass over the whole vCenter, then host options.

Round trips (HTTP requests), for ``N`` objects in the view and ``H`` hosts with an option manager::

    1 CreateContainerView + ceil(N / page_size) pages + 1 DestroyView + ceil(H / page_size) option pages

— they grow with pages, never with objects. Managed objects are never attribute-walked: on a real vCenter
each attribute costs a round trip, and the simulator crashes on unset properties (reference G3).
"""

from __future__ import annotations

import contextlib
import http.client
import math
from collections.abc import Callable, Iterable, Mapping
from typing import Any

from driftguard.collect._vmomi import VmomiSupport, vim, vmodl
from driftguard.collect.errors import CollectError, CollectionError
from driftguard.collect.raw import fault_text, to_raw
from driftguard.collect.session import Session
from driftguard.models.raw import RAW_SCHEMA, RawInventory, RawObject, RawVCenter
from driftguard.models.times import iso, now

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


def collect_inventory(
    session: Session,
    *,
    page_size: int = DEFAULT_PAGE_SIZE,
    paths: Mapping[str, Iterable[str]] = PROPERTY_PATHS,
    on_progress: ProgressCallback | None = None,
) -> RawInventory:
    """Read the configuration of every object in the vCenter into the raw format.

    ``paths`` overrides :data:`PROPERTY_PATHS` (a PropertySpec type → paths mapping). Paths that need a
    newer API than the server speaks are not sent and are recorded in ``missing`` as ``NotSupported``;
    paths the server cannot return are recorded in ``missing`` with the server's fault.
    Raises :class:`~driftguard.collect.errors.CollectionError` when the connection drops or the server
    fails the call.
    """
    if page_size < 1:
        raise ValueError("page_size must be at least 1")
    progress = on_progress or _no_progress
    started_at = iso(now())
    first_request = session.round_trips
    requested, unsupported = _split_supported(session, paths)
    content = session.content

    with session.guard("reading the inventory"):
        view = content.viewManager.CreateContainerView(
            content.rootFolder, [wsdl_type(name) for name in VIEW_TYPES], True
        )
        if view is None:
            raise CollectionError(f"vCenter {session.host} created no view of the inventory", host=session.host)
        try:
            spec = _PC.FilterSpec(
                objectSet=[
                    _PC.ObjectSpec(
                        obj=view,
                        skip=True,
                        selectSet=[
                            _PC.TraversalSpec(name="view", type=vim.view.ContainerView, path="view", skip=False)
                        ],
                    )
                ],
                propSet=[
                    _PC.PropertySpec(type=wsdl_type(name), pathSet=list(chosen))
                    for name, chosen in requested.items()
                    if chosen
                ],
            )
            contents = _retrieve_paged(session, spec, page_size, lambda done: progress("inventory", done, None))
        finally:
            _destroy_view(view)

    objects: dict[str, list[RawObject]] = {}
    option_managers: list[Any] = []
    for item in contents:
        type_name = str(item.obj._wsdlName)
        raw = _raw_object(item)
        for spec_type, missing_paths in unsupported.items():
            if issubclass(wsdl_type(type_name), wsdl_type(spec_type)):
                for path in missing_paths:
                    raw["missing"][path] = missing_paths[path]
        objects.setdefault(type_name, []).append(raw)
        if type_name == "HostSystem":
            manager = _prop(item, "configManager.advancedOption")
            if manager is not None:
                option_managers.append(manager)

    if option_managers:
        with session.guard("reading host advanced options"):
            spec = _PC.FilterSpec(
                objectSet=[_PC.ObjectSpec(obj=manager, skip=False) for manager in option_managers],
                propSet=[_PC.PropertySpec(type=vim.option.OptionManager, pathSet=list(OPTION_MANAGER_PATHS))],
                # A host removed between the two passes must not fail the whole call.
                reportMissingObjectsInResults=True,
            )
            total = len(option_managers)
            contents = _retrieve_paged(session, spec, page_size, lambda done: progress("host-options", done, total))
        _check_all_answered(session, option_managers, contents)
        for item in contents:
            objects.setdefault(str(item.obj._wsdlName), []).append(_raw_object(item))

    for items in objects.values():
        items.sort(key=lambda obj: _moref_sort_key(obj["moref"]))
    return RawInventory(
        schema=RAW_SCHEMA,
        vcenter=raw_vcenter(session),
        started_at=started_at,
        finished_at=iso(now()),
        objects=dict(sorted(objects.items())),
        property_paths={name: list(chosen) for name, chosen in paths.items()},
        round_trips=session.round_trips - first_request,
        page_size=page_size,
    )


def inventory_counts(raw: RawInventory) -> dict[str, int]:
    """Objects read per managed type (``HostSystem`` → 7 ...), without the host option managers.

    Zero objects is what an empty vCenter answers; an answer that was not an inventory never gets this far (the
    transport refuses it), so a caller can compare these counts with the previous snapshot's.
    """
    return {kind: len(items) for kind, items in raw["objects"].items() if kind != "OptionManager"}


def expected_round_trips(objects: int, hosts_with_options: int, page_size: int) -> int:
    """The round trips :func:`collect_inventory` makes for a view of ``objects`` objects (see module doc)."""
    pages = max(1, math.ceil(objects / page_size))
    option_pages = math.ceil(hosts_with_options / page_size)
    return 1 + pages + 1 + option_pages


def raw_vcenter(session: Session) -> RawVCenter:
    """The ``vcenter`` block of raw outputs: URL without credentials, ``about``, negotiated API version."""
    return RawVCenter(url=session.url, about=to_raw(session.content.about), api_version=session.api_version)


def _split_supported(
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


def _retrieve_paged(session: Session, spec: Any, page_size: int, on_page: Callable[[int], None]) -> list[Any]:
    """All ``ObjectContent`` of one filter spec, page by page (RetrievePropertiesEx + Continue…).

    The transport has already checked that each answer is the SOAP response asked for, so ``None`` from
    RetrievePropertiesEx is the server's real "nothing matched". From ContinueRetrievePropertiesEx it is not: a
    token promises another page, so a chain that stops without one (or goes round in a circle) is an error.
    """
    collector = session.content.propertyCollector
    result = collector.RetrievePropertiesEx([spec], _PC.RetrieveOptions(maxObjects=page_size))
    contents: list[Any] = []
    tokens: set[str] = set()
    while result is not None:
        objects = list(result.objects or [])
        if any(item is None or item.obj is None for item in objects):
            raise _broken_chain(session, "sent a page with an object without its reference")
        contents.extend(objects)
        on_page(len(contents))
        token = result.token
        if not token:
            return contents
        if token in tokens:
            raise _broken_chain(session, f"repeated the page token after {len(contents)} objects")
        tokens.add(token)
        result = collector.ContinueRetrievePropertiesEx(token)
        if result is None:
            raise _broken_chain(session, f"sent no page for a continuation token after {len(contents)} objects")
    return contents


def _broken_chain(session: Session, what: str) -> CollectionError:
    return CollectionError(
        f"vCenter {session.host} {what} (RetrievePropertiesEx paging did not end properly)", host=session.host
    )


def _check_all_answered(session: Session, asked: list[Any], contents: list[Any]) -> None:
    """Every option manager asked for comes back, with values or a missing-object fault
    (``reportMissingObjectsInResults``): fewer means the answer was not the whole answer."""
    answered = {str(item.obj._moId) for item in contents}
    lost = [str(manager._moId) for manager in asked if str(manager._moId) not in answered]
    if lost:
        raise CollectionError(
            f"vCenter {session.host} answered the host advanced options for {len(asked) - len(lost)} of "
            f"{len(asked)} hosts (none for {', '.join(lost[:3])}{' ...' if len(lost) > 3 else ''})",
            host=session.host,
        )


retrieve_paged = _retrieve_paged
"""The paging loop, shared with the history reader's ``recentTask`` fallback."""


def _destroy_view(view: Any) -> None:
    # Best effort: views die with the session anyway, and a failure here must not hide the real error. Its answer
    # carries no data, so even a garbage answer to it cannot spoil what was collected.
    with contextlib.suppress(vmodl.MethodFault, OSError, http.client.HTTPException, CollectError):
        view.DestroyView()


def _raw_object(item: Any) -> RawObject:
    props: dict[str, Any] = {}
    for prop in item.propSet or []:
        value = to_raw(prop.val)
        if value is None or value == []:
            continue  # unset and empty are the same thing to the server; keep simulator and vCenter alike
        props[str(prop.name)] = value
    missing = {str(miss.path): fault_text(miss.fault) for miss in item.missingSet or []}
    return RawObject(moref=str(item.obj._moId), props=dict(sorted(props.items())), missing=missing)


def _prop(item: Any, name: str) -> Any:
    for prop in item.propSet or []:
        if prop.name == name:
            return prop.val
    return None


def _moref_sort_key(moref: str) -> tuple[str, int, str]:
    # host-9 before host-10: a stable, human-friendly order for raw files and golden cases
    prefix, _, number = moref.rpartition("-")
    return (prefix, int(number), "") if number.isdigit() else (moref, 0, moref)


def _no_progress(kind: str, done: int, total: int | None) -> None:
    del kind, done, total


__all__ = [
    "DEFAULT_PAGE_SIZE",
    "OPTION_MANAGER_PATHS",
    "PROPERTY_PATHS",
    "VIEW_TYPES",
    "ProgressCallback",
    "collect_inventory",
    "declared_versions",
    "expected_round_trips",
    "inventory_counts",
    "raw_vcenter",
    "retrieve_paged",
]
