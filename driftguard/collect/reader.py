"""The inventory read as a stream: kinds over separate connections at once, the VMs handed out page by page.

:func:`read_inventory` starts one worker per group of kinds (:data:`~driftguard.collect.inventory.GROUPS`: the
small kinds, the hosts and their advanced options, the VMs), at most ``parallel`` at a time. The caller takes
:meth:`InventoryReader.small` (every object except the VMs, held whole: normalising a VM needs them), then
iterates :meth:`InventoryReader.vm_pages`, each a list of raw VMs it should let go of when done, and ends with
:meth:`InventoryReader.finish` (times and round trips). The VM worker waits while :data:`VM_QUEUE` pages are
waiting to be taken, so memory holds a few pages of VMs, never the estate.

Round trips stay per page: per group one CreateContainerView, its pages and one DestroyView, plus the option pages
(:func:`~driftguard.collect.inventory.expected_round_trips`).
"""

from __future__ import annotations

import hashlib
import json
import queue
import threading
from collections.abc import Callable, Iterable, Iterator, Mapping
from concurrent.futures import Future
from types import TracebackType
from typing import Any

import orjson

from driftguard.collect._vmomi import vim, vmodl
from driftguard.collect.decoder import etree, local
from driftguard.collect.errors import CollectionError
from driftguard.collect.inventory import (
    DEFAULT_PAGE_SIZE,
    DEFAULT_PARALLEL,
    GROUPS,
    OPTION_MANAGER_PATHS,
    PROPERTY_PATHS,
    ProgressCallback,
    check_all_answered,
    destroy_view,
    moref_sort_key,
    raw_object,
    raw_vcenter,
    retrieve_pages,
    retrieve_pages_skipping,
    split_supported,
    wsdl_type,
)
from driftguard.collect.session import Session
from driftguard.models.raw import RAW_SCHEMA, KnownObjects, RawInventory, RawObject, Unchanged
from driftguard.models.times import iso, now

VM_QUEUE = 2
"""VM pages read ahead of the caller at most (besides the one being read)."""

_PC = vmodl.query.PropertyCollector
_END = object()


class InventoryReader:
    """One streaming inventory read (a context manager: leaving it stops the workers)."""

    def __init__(
        self,
        session: Session,
        *,
        page_size: int,
        paths: Mapping[str, Iterable[str]],
        on_progress: ProgressCallback | None,
        parallel: int,
        known: KnownObjects | None = None,
    ) -> None:
        if page_size < 1:
            raise ValueError("page_size must be at least 1")
        if parallel < 1:
            raise ValueError("parallel must be at least 1")
        self.session = session
        self.page_size = page_size
        self.paths = {name: list(chosen) for name, chosen in paths.items()}
        self.progress = on_progress
        self.started_at = iso(now())
        self._first_request = session.round_trips
        self._requested, self._unsupported = split_supported(session, paths)
        self._known = known
        self.fingerprints: dict[str, str] = {}
        """VM moref → digest of its ``ObjectContent`` answer (every VM read, skipped or not)."""
        self.skipped = 0
        """VMs handed over as :class:`Unchanged` (their answer and the inventory around them as last time)."""
        self._stop = threading.Event()
        self._done = 0
        self._lock = threading.Lock()
        self._vm_pages: queue.Queue[Any] = queue.Queue(maxsize=VM_QUEUE)
        self._small: dict[str, list[RawObject]] = {}
        self._futures: dict[str, Future[None]] = {name: Future() for name, _ in GROUPS}
        # Daemon threads, each reading its share of the groups in order (parallel=1: one thread, the groups one
        # after the other, so the requests come in a fixed order). Daemons, so that a signal ends the process
        # at once even while a worker waits on a stalled server.
        workers = min(parallel, len(GROUPS))
        for index in range(workers):
            share = [group for number, group in enumerate(GROUPS) if number % workers == index]
            threading.Thread(target=self._work, args=(share,), name=f"driftguard-read-{index}", daemon=True).start()

    # --- the caller's side ------------------------------------------------------------------------------------

    def small(self) -> RawInventory:
        """Every object except the VMs (and the hosts' option managers), once all of them are in."""
        for name, future in self._futures.items():
            if name != "vms":
                future.result()
        objects = {kind: sorted(items, key=_moref_of) for kind, items in self._small.items()}
        return self._raw(dict(sorted(objects.items())))

    def vm_pages(self) -> Iterator[list[RawObject]]:
        """The VMs, a page at a time, in the server's order."""
        while True:
            try:
                item = self._vm_pages.get(timeout=0.2)
            except queue.Empty:
                future = self._futures["vms"]
                if future.done() and self._vm_pages.empty():
                    future.result()  # raises the worker's error
                    return
                continue
            if item is _END:
                self._futures["vms"].result()
                return
            yield item

    def context(self) -> str:
        """The digest of everything besides a VM's own answer that normalising it depends on: the other kinds'
        raw objects, the paths asked for and those the server does not support, the server's identity and
        version (:class:`~driftguard.models.raw.KnownObjects`). Waits for the other kinds."""
        small = self.small()
        basis = {
            "objects": small["objects"],
            "paths": self.paths,
            "unsupported": {name: sorted(paths) for name, paths in self._unsupported.items()},
            "about": small["vcenter"].get("about"),
            "page_size": self.page_size,
        }
        try:
            data = orjson.dumps(basis, option=orjson.OPT_SORT_KEYS)
        except (TypeError, orjson.JSONEncodeError):  # an integer beyond 64 bits ...
            data = json.dumps(basis, sort_keys=True, default=repr).encode()
        return hashlib.sha256(data).hexdigest()

    def finish(self) -> RawInventory:
        """The raw inventory's header (objects: the small kinds), with the finish time and the round trips."""
        for future in self._futures.values():
            future.result()
        return self._raw(self.small()["objects"])

    def close(self) -> None:
        """Stop the workers: each stops at its next page (a request under way ends at its timeout or the deadline,
        in a daemon thread that does not hold the process)."""
        self._stop.set()
        while True:  # unblock a worker waiting to hand over a page
            try:
                self._vm_pages.get_nowait()
            except queue.Empty:
                break

    def __enter__(self) -> InventoryReader:
        return self

    def __exit__(self, kind: type[BaseException] | None, error: BaseException | None, tb: TracebackType | None) -> None:
        self.close()

    def _raw(self, objects: dict[str, list[RawObject]]) -> RawInventory:
        return RawInventory(
            schema=RAW_SCHEMA,
            vcenter=raw_vcenter(self.session),
            started_at=self.started_at,
            finished_at=iso(now()),
            objects=objects,
            property_paths=self.paths,
            round_trips=self.session.round_trips - self._first_request,
            page_size=self.page_size,
        )

    # --- the workers ------------------------------------------------------------------------------------------

    def _work(self, share: list[tuple[str, tuple[str, ...]]]) -> None:
        for name, types in share:
            future = self._futures[name]
            try:
                if self._stop.is_set():
                    raise CollectionError("inventory read stopped", host=self.session.host)
                self._run_group(name, types)
            except BaseException as error:  # handed to the caller, who raises it
                future.set_exception(error)
            else:
                future.set_result(None)

    def _run_group(self, name: str, types: tuple[str, ...]) -> None:
        session = self.session
        managers: list[str] = []
        try:
            skip = self._skipper() if name == "vms" else None
            with session.guard("reading the inventory"):
                for page in self._pages(types, skip):
                    if self._stop.is_set():
                        return
                    if name == "vms":
                        vms = [it if isinstance(it, Unchanged) else self._convert(it, managers)[1] for it in page]
                        self._report("inventory", len(vms), None)
                        self._hand_over(vms)
                    else:
                        objects = [self._convert(item, managers) for item in page if not isinstance(item, Unchanged)]
                        self._report("inventory", len(objects), None)
                        self._keep(objects)
            if managers and not self._stop.is_set():
                with session.guard("reading host advanced options"):
                    self._read_options(managers)
        finally:
            if name == "vms":
                self._hand_over(_END)

    def _skipper(self) -> Callable[[Any], Unchanged | None]:
        """Fingerprints each VM's answer; with :class:`KnownObjects` whose context is this inventory's, a VM
        whose fingerprint is the known one is handed over as :class:`Unchanged` instead of being decoded."""
        known = self._known
        usable: Mapping[str, str] = {}
        if known is not None and known.fingerprints and self.context() == known.context:
            usable = known.fingerprints
        fingerprints = self.fingerprints

        def skip(elem: Any) -> Unchanged | None:
            moref = _content_moref(elem)
            if moref is None:
                return None  # the decoder reports what is wrong with it
            fingerprint = hashlib.sha256(etree.tostring(elem, with_tail=False)).hexdigest()
            fingerprints[moref] = fingerprint
            if usable.get(moref) == fingerprint:
                self.skipped += 1
                return Unchanged(moref)
            return None

        return skip

    def _pages(self, types: tuple[str, ...], skip: Callable[[Any], Unchanged | None] | None) -> Iterator[list[Any]]:
        session = self.session
        content = session.content
        view = content.viewManager.CreateContainerView(content.rootFolder, [wsdl_type(t) for t in types], True)
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
                    for name, chosen in self._requested.items()
                    if chosen
                ],
            )
            yield from retrieve_pages_skipping(session, spec, self.page_size, skip=skip)
        finally:
            destroy_view(view)

    def _convert(self, content: Any, managers: list[str]) -> tuple[str, RawObject]:
        type_name, obj = raw_object(content)
        for spec_type, missing_paths in self._unsupported.items():
            if _is_subtype(type_name, spec_type):
                obj["missing"].update(missing_paths)
        if type_name == "HostSystem":
            manager = obj["props"].get("configManager.advancedOption")
            if isinstance(manager, dict) and manager.get("value"):
                managers.append(str(manager["value"]))
        return type_name, obj

    def _read_options(self, managers: list[str]) -> None:
        session = self.session
        spec = _PC.FilterSpec(
            objectSet=[_PC.ObjectSpec(obj=session.managed("OptionManager", moref), skip=False) for moref in managers],
            propSet=[_PC.PropertySpec(type=vim.option.OptionManager, pathSet=list(OPTION_MANAGER_PATHS))],
            # A host removed between the two passes must not fail the whole call.
            reportMissingObjectsInResults=True,
        )
        answered: set[str] = set()
        done = 0
        for page in retrieve_pages(session, spec, self.page_size):
            objects = [raw_object(content) for content in page]
            answered.update(obj["moref"] for _, obj in objects)
            done += len(objects)
            self._keep(objects)
            self._report("host-options", done, len(managers))
        check_all_answered(session, managers, answered)

    def _keep(self, objects: list[tuple[str, RawObject]]) -> None:
        with self._lock:
            for type_name, obj in objects:
                self._small.setdefault(type_name, []).append(obj)

    def _hand_over(self, item: Any) -> None:
        while not self._stop.is_set():
            try:
                self._vm_pages.put(item, timeout=0.2)
                return
            except queue.Full:
                continue

    def _report(self, kind: str, count: int, total: int | None) -> None:
        if self.progress is None:
            return
        with self._lock:
            if kind == "inventory":
                self._done += count
                count = self._done
            self.progress(kind, count, total)


def _moref_of(obj: RawObject) -> tuple[str, int, str]:
    return moref_sort_key(obj["moref"])


def _is_subtype(type_name: str, spec_type: str) -> bool:
    try:
        return bool(issubclass(wsdl_type(type_name), wsdl_type(spec_type)))
    except KeyError:
        return False


def read_inventory(
    session: Session,
    *,
    page_size: int = DEFAULT_PAGE_SIZE,
    paths: Mapping[str, Iterable[str]] = PROPERTY_PATHS,
    on_progress: ProgressCallback | None = None,
    parallel: int = DEFAULT_PARALLEL,
    known: KnownObjects | None = None,
) -> InventoryReader:
    """Start reading the inventory (see the module doc); use the result as a context manager. ``known``: what
    the last snapshot was built from, to skip decoding the VMs whose answers are the same (issue 12)."""
    return InventoryReader(
        session, page_size=page_size, paths=paths, on_progress=on_progress, parallel=parallel, known=known
    )


def _content_moref(elem: Any) -> str | None:
    """The ``obj`` reference's value of an ``ObjectContent`` element (its first child), None when it has none."""
    for child in elem:
        if isinstance(child.tag, str) and local(child.tag) == "obj":
            return str(child.text) if child.text else None
    return None


__all__ = ["VM_QUEUE", "InventoryReader", "read_inventory"]
