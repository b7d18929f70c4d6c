"""vCenter → raw property sets (the only package that imports pyVmomi).

Public API::

    connect(url, user, password, *, insecure=False, ca_file=None, timeout=120.0, deadline=1800.0,
            tls_fingerprint=None) -> Session
    parse_vcenter_url(text) -> VCenterURL
    collect_inventory(session, *, page_size=500, paths=PROPERTY_PATHS, on_progress=None, parallel=3) -> RawInventory
    read_inventory(session, *, page_size=500, paths=PROPERTY_PATHS, on_progress=None, parallel=3) -> InventoryReader
        (.small() -> RawInventory without VMs, .vm_pages() -> Iterator[list[RawObject]], .finish() -> RawInventory)
    collect_history(session, *, begin, end=None, users=None, page_size=1000, on_progress=None) -> RawHistory
    to_raw(pyvmomi_value) -> JSON-compatible data

``Session`` is a context manager (closing logs out) and counts HTTP round trips. All failures are
:class:`CollectError` subclasses with a one-line message naming the host: :class:`ConnectError`,
:class:`CertificateError`, :class:`LoginError`, :class:`CollectionError` (and its kinds
:class:`InvalidResponseError`, :class:`DeadlineError`), :class:`InvalidURLError` (a usage error).
``on_progress(kind, done, total)`` is called as pages arrive (``kind`` is ``inventory``, ``host-options``,
``events`` or ``tasks``).

The raw format (``RawInventory`` / ``RawHistory`` in :mod:`driftguard.models.raw`) is documented in
``docs/raw-format.md``; ``normalize`` reads nothing else.
"""

from driftguard.collect.errors import (
    CertificateError,
    CollectError,
    CollectionError,
    ConnectError,
    LoginError,
)
from driftguard.collect.events import collect_history
from driftguard.collect.inventory import (
    DEFAULT_PAGE_SIZE,
    PROPERTY_PATHS,
    VIEW_TYPES,
    ProgressCallback,
    collect_inventory,
    expected_round_trips,
    inventory_counts,
)
from driftguard.collect.raw import to_raw
from driftguard.collect.reader import InventoryReader, read_inventory
from driftguard.collect.session import DEFAULT_DEADLINE, DEFAULT_TIMEOUT, Session, connect
from driftguard.collect.transport import DeadlineError, InvalidResponseError
from driftguard.collect.url import InvalidURLError, VCenterURL, parse_vcenter_url

__all__ = [
    "DEFAULT_DEADLINE",
    "DEFAULT_PAGE_SIZE",
    "DEFAULT_TIMEOUT",
    "PROPERTY_PATHS",
    "VIEW_TYPES",
    "CertificateError",
    "CollectError",
    "CollectionError",
    "ConnectError",
    "DeadlineError",
    "InvalidResponseError",
    "InvalidURLError",
    "InventoryReader",
    "LoginError",
    "ProgressCallback",
    "Session",
    "VCenterURL",
    "collect_history",
    "collect_inventory",
    "connect",
    "expected_round_trips",
    "inventory_counts",
    "parse_vcenter_url",
    "read_inventory",
    "to_raw",
]
