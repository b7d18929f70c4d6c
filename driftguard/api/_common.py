"""What every command family of the facade shares: the errors the CLI maps to exit codes, how to reach a
vCenter and read it into a complete snapshot, and the translation of the stages' typed errors."""

from __future__ import annotations

import contextlib
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from urllib.parse import urlsplit

from pydantic import SecretStr

from driftguard.collect import CollectError, Session, collect_inventory, connect
from driftguard.models import Snapshot
from driftguard.normalize.snapshot import normalize_snapshot
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
    page_size: int = 500
    timeout: float = 60.0
    deadline: float = 1800.0

    @property
    def host(self) -> str:
        return urlsplit(self.url if "//" in self.url else f"https://{self.url}").hostname or self.url


def vcenter_name(url: str) -> str:
    """Directory name of a vCenter in the state repo: its host name, plus the port when it is not 443/80."""
    parts = urlsplit(url if "//" in url else f"https://{url}")
    host = (parts.hostname or url).lower()
    default_port = 80 if parts.scheme == "http" else 443
    return host if parts.port in (None, default_port) else f"{host}_{parts.port}"


@contextlib.contextmanager
def _operational() -> Iterator[None]:
    """Translate the stages' typed errors into one error type with the stage's human message."""
    try:
        yield
    except (CollectError, StoreError) as exc:
        if isinstance(exc, UnknownRevisionError):
            raise UsageError(str(exc)) from exc
        raise OperationalError(str(exc)) from exc


def _now() -> datetime:
    return datetime.now(UTC)


def _parse_time(text: str | None) -> datetime | None:
    return datetime.fromisoformat(text) if text else None


def _connect(conn: Connection) -> Session:
    return connect(conn.url, conn.user, conn.password.get_secret_value(), insecure=conn.insecure, timeout=conn.timeout)


def _collect(si: Session, conn: Connection, progress: Progress | None) -> Snapshot:
    raw = collect_inventory(si, page_size=conn.page_size, on_progress=progress)
    snapshot = normalize_snapshot(raw)
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


def _open_existing(path: Path) -> StateRepo | None:
    """The state repo at ``path``; None when there is nothing there yet (it is created after collecting).

    An existing directory that is not a git repository is an error rather than something to `git init` over.
    """
    try:
        return StateRepo.open(path)
    except StoreError:
        if path.exists() and (not path.is_dir() or any(path.iterdir())):
            raise
        return None
