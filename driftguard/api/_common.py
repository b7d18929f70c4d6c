"""What every command family of the facade shares: the errors the CLI maps to exit codes, how to reach a
vCenter and read it into a complete snapshot, and the translation of the stages' typed errors."""

from __future__ import annotations

import contextlib
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

from pydantic import SecretStr

from driftguard.api.reuse import Reuse
from driftguard.collect import (
    CollectError,
    InvalidURLError,
    Session,
    VCenterURL,
    connect,
    parse_vcenter_url,
    read_inventory,
)
from driftguard.collect.events import unknown_types
from driftguard.models import History, Snapshot
from driftguard.normalize.snapshot import normalize_pages
from driftguard.store import StateRepo, StoreError, UnknownRevisionError

Progress = Callable[[str, int, int | None], None]
"""``progress(stage, done, total)``: called while collecting, for a progress bar."""


class DriftguardError(Exception):
    """Base of the errors the CLI maps to exit codes; ``str(error)`` is the message for people."""

    exit_code = 3


class OperationalError(DriftguardError):
    """vCenter unreachable, login failed, certificate refused, connection lost, repo locked or corrupt (exit 3)."""


class UsageError(DriftguardError):
    """The request itself is wrong: unknown revision, nothing to compare (exit 2)."""

    exit_code = 2


@dataclass(frozen=True)
class Connection:
    """How to reach one vCenter. The password is a SecretStr so it never shows in a repr, log or traceback."""

    url: str
    user: str
    password: SecretStr
    insecure: bool = False
    ca_file: str | None = None
    """A PEM file of the CA(s) that signed vCenter's certificate, trusted instead of the system's."""
    page_size: int = 500
    parallel: int = 3
    """Connections used at once to read the inventory (driftguard.yaml ``parallel``, ``DRIFTGUARD_PARALLEL``)."""
    timeout: float = 60.0
    """Seconds one socket operation (connect, send, each read) may wait."""
    deadline: float = 1800.0
    """Seconds the whole collection (connect, login, inventory, history) may take."""
    tls_fingerprint: str | None = None
    """SHA-256 fingerprint of the one certificate vCenter must present (pinning, instead of a CA)."""

    @property
    def host(self) -> str:
        """The vCenter as named in messages (``host`` or ``host:port``); a bad URL is a :class:`UsageError`."""
        with operational():
            return parse_vcenter_url(self.url).host


def check_vcenter_url(url: str) -> VCenterURL:
    """``url`` parsed as a vCenter URL; one that cannot be used is a :class:`UsageError` quoting no userinfo."""
    with operational():
        return parse_vcenter_url(url)


def vcenter_name(url: str) -> str:
    """Directory name of a vCenter in the state repo: its host name, plus the port when it is not 443/80.

    A URL that cannot be used is a :class:`UsageError` (exit 2).
    """
    with operational():
        return parse_vcenter_url(url).directory_name


@contextlib.contextmanager
def operational() -> Iterator[None]:
    """Translate the stages' typed errors into one error type with the stage's human message."""
    try:
        yield
    except (CollectError, StoreError) as exc:
        if isinstance(exc, UnknownRevisionError | InvalidURLError):
            raise UsageError(str(exc)) from exc
        raise OperationalError(str(exc)) from exc


def _connect(conn: Connection) -> Session:
    return connect(
        conn.url,
        conn.user,
        conn.password.get_secret_value(),
        insecure=conn.insecure,
        ca_file=conn.ca_file,
        timeout=conn.timeout,
        deadline=conn.deadline,
        tls_fingerprint=conn.tls_fingerprint,
    )


def _collect(
    si: Session, conn: Connection, progress: Progress | None, *, pack: bool = False, reuse: Reuse | None = None
) -> Snapshot:
    # The VMs stream: each page is normalised as it arrives and let go of (issue 12); the rest is held, VMs need it.
    known = reuse.known if reuse is not None else None
    with read_inventory(
        si, page_size=conn.page_size, on_progress=progress, parallel=conn.parallel, known=known
    ) as reader:
        stored = reuse.stored if reuse is not None else None
        snapshot = normalize_pages(reader.small(), reader.vm_pages(), reader.finish, pack=pack, stored=stored)
        if reuse is not None:
            reuse.fingerprints, reuse.context, reuse.skipped = reader.fingerprints, reader.context(), reader.skipped
    name = vcenter_name(conn.url)
    if snapshot.manifest.vcenter.name != name:
        vcenter = snapshot.manifest.vcenter.model_copy(update={"name": name})
        snapshot = snapshot.model_copy(update={"manifest": snapshot.manifest.model_copy(update={"vcenter": vcenter})})
    snapshot = snapshot.with_counts()
    if not snapshot.manifest.complete:
        raise OperationalError(
            f"collection from {conn.host} was not complete ({snapshot.manifest.incomplete_reason}); nothing committed"
        )
    return snapshot


def session(conn: Connection) -> Session:
    """A logged-in session with ``conn``'s vCenter (a context manager: logs out when left)."""
    return _connect(conn)


def read_vcenter(
    si: Session,
    conn: Connection,
    progress: Progress | None,
    name: str | None = None,
    *,
    pack: bool = False,
    reuse: Reuse | None = None,
) -> Snapshot:
    """vCenter's canonical snapshot now, complete or raising; ``name`` overrides its state-repo name. ``pack``: the
    VMs held as their canonical bytes (:class:`~driftguard.models.packed.PackedObjects`), for a snapshot to store."""
    snapshot = _collect(si, conn, progress, pack=pack, reuse=reuse)
    if name and snapshot.manifest.vcenter.name != name:
        vcenter = snapshot.manifest.vcenter.model_copy(update={"name": name})
        snapshot = snapshot.model_copy(update={"manifest": snapshot.manifest.model_copy(update={"vcenter": vcenter})})
    return snapshot


def with_unknown_event_types(snapshot: Snapshot, history: History) -> Snapshot:
    """``snapshot`` whose manifest lists the event/task types of ``history`` this driftguard does not know (issue 9,
    point 7: they were kept as raw data and everything else was attributed)."""
    found = unknown_types(history.notes)
    if not found:
        return snapshot
    manifest = snapshot.manifest.model_copy(update={"unknown_event_types": found})
    return snapshot.model_copy(update={"manifest": manifest})


@contextlib.contextmanager
def opened(path: Path, *, create: bool = False) -> Iterator[StateRepo]:
    """The state repo at ``path``, closed when the block ends; its errors are operational."""
    with operational(), StateRepo.open(path, create=create) as repo:
        yield repo


@contextlib.contextmanager
def existing(path: Path) -> Iterator[StateRepo | None]:
    """The state repo at ``path``, or None when there is nothing there yet (it is created after collecting);
    closed when the block ends.

    An existing directory that is not a git repository is an error rather than something to `git init` over.
    """
    with operational():
        try:
            repo = StateRepo.open(path)
        except StoreError:
            if path.exists() and (not path.is_dir() or any(path.iterdir())):
                raise
            repo = None
        with repo if repo is not None else contextlib.nullcontext():
            yield repo
