"""A logged-in vCenter session that counts its SOAP round trips and never leaks its secrets.

We build pyVmomi's :class:`SoapStubAdapter` ourselves instead of calling ``SmartConnect``:

* ``SmartConnect`` negotiates the API version with an extra HTTP GET that bypasses the stub, so the
  round-trip count would lie; we take the version from ``about.apiVersion`` of the first call instead.
* We need a verifying :class:`ssl.SSLContext` by default and typed errors that never carry the password;
  ``SmartConnect`` wraps transport errors into ``HostConnectFault`` with the raw text.
"""

from __future__ import annotations

import http.client
import re
import socket
import ssl
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

from driftguard.collect._vmomi import SoapStubAdapter, VmomiSupport, vim, vmodl
from driftguard.collect.errors import (
    CertificateError,
    CollectionError,
    ConnectError,
    LoginError,
)
from driftguard.collect.raw import fault_text

# Every vCenter still in the field speaks vim25/5.5; we start with it and move up once we know the server.
_BOOTSTRAP_VERSION = "vim.version.version9"
DEFAULT_TIMEOUT = 120.0
"""Seconds to wait on one socket operation. Large property pages can take a while on big estates."""


@dataclass(frozen=True)
class Endpoint:
    """A parsed vCenter URL without credentials."""

    scheme: str
    hostname: str
    port: int
    path: str

    @property
    def host(self) -> str:
        """``hostname`` plus ``:port`` when the port is not the scheme's default; used in messages."""
        default = 443 if self.scheme == "https" else 80
        name = f"[{self.hostname}]" if ":" in self.hostname else self.hostname
        return name if self.port == default else f"{name}:{self.port}"

    @property
    def url(self) -> str:
        """``scheme://host:port/path``, safe to store and print."""
        name = f"[{self.hostname}]" if ":" in self.hostname else self.hostname
        return f"{self.scheme}://{name}:{self.port}{self.path}"


def parse_url(url: str) -> Endpoint:
    """Parse ``https://host[:port][/sdk]``, ``http://host:port/sdk`` (simulator) or a bare host name.

    Raises :class:`ConnectError` for other schemes, and for credentials embedded in the URL: they would
    end up in logs and in the state repo, so they are refused rather than silently stripped.
    """
    text = url.strip()
    if "://" not in text:
        text = "https://" + text
    parts = urlsplit(text)
    hostname = parts.hostname or ""
    if parts.scheme not in ("http", "https") or not hostname:
        raise ConnectError(
            f"invalid vCenter URL {hostname or '?'!s}: expected https://host[:port][/sdk]", host=hostname or "?"
        )
    if parts.username is not None or parts.password is not None:
        raise ConnectError(
            f"vCenter URL for {hostname} contains credentials; pass the user and password separately",
            host=hostname,
        )
    try:
        port = parts.port or (443 if parts.scheme == "https" else 80)
    except ValueError:
        raise ConnectError(f"invalid port in vCenter URL for {hostname}", host=hostname) from None
    path = parts.path if parts.path not in ("", "/") else "/sdk"
    return Endpoint(scheme=parts.scheme, hostname=hostname, port=port, path=path)


def _ssl_context(insecure: bool, ca_file: str | None) -> ssl.SSLContext:
    context = ssl.create_default_context(cafile=ca_file)
    if insecure:
        # The user asked for it explicitly (--insecure); nothing else ever turns verification off.
        context.check_hostname = False
        context.verify_mode = ssl.CERT_NONE
    return context


def _api_version(api_version: str) -> str:
    """The newest pyVmomi version id that the server's ``about.apiVersion`` supports.

    A server newer than this pyVmomi gets our newest version; properties it added stay unknown to us.
    """
    wanted = _numeric(api_version)
    best: tuple[tuple[int, ...], str] | None = None
    for uri, version in VmomiSupport.versionMap.items():
        if not uri.startswith("vim25/"):
            continue
        number = _numeric(uri.removeprefix("vim25/"))
        if not number or (wanted and number > wanted):
            continue
        if best is None or number > best[0]:
            best = (number, version)
    return best[1] if best and wanted else _BOOTSTRAP_VERSION


def _numeric(version: str) -> tuple[int, ...]:
    if not re.fullmatch(r"\d+(\.\d+)*", version):
        return ()
    return tuple(int(part) for part in version.split("."))


class _CountingStub(SoapStubAdapter):  # type: ignore[misc]  # subclassing Any
    """A SOAP stub that counts the HTTP requests it sends.

    pyVmomi applies ``requestModifierList`` to the serialised body right before ``conn.request``, so the
    counter moves exactly when a request goes on the wire (not when pyVmomi rejects a call locally).
    """

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.requests = 0
        self.requestModifierList.append(self._count)

    def _count(self, request: bytes) -> bytes:
        self.requests += 1
        return request

    def __repr__(self) -> str:
        # The default repr is harmless today; this one is guaranteed never to show the session cookie.
        return f"<_CountingStub {self.scheme.__name__} requests={self.requests}>"


def _transport_reason(error: BaseException) -> str:
    if isinstance(error, ConnectionRefusedError):
        return "connection refused"
    if isinstance(error, socket.gaierror):
        return "host name could not be resolved"
    if isinstance(error, TimeoutError | socket.timeout):
        return "timed out"
    if isinstance(error, http.client.RemoteDisconnected):
        return "server closed the connection"
    if isinstance(error, http.client.HTTPException):
        text = str(error)
        return f"unexpected HTTP response {text}" if text else "unexpected HTTP response"
    return error.strerror if isinstance(error, OSError) and error.strerror else type(error).__name__


class Session:
    """A logged-in vCenter session. Use as a context manager; closing logs out.

    ``content`` is pyVmomi's ``ServiceContent`` (untyped); only modules of :mod:`driftguard.collect`
    touch it. ``round_trips`` is the number of HTTP requests sent so far, including connect and login.
    """

    def __init__(self, endpoint: Endpoint, user: str, stub: _CountingStub, content: Any) -> None:
        self.endpoint = endpoint
        self.user = user
        self._stub = stub
        self.content: Any = content
        self._open = True

    @property
    def host(self) -> str:
        """The vCenter host as shown in messages (``name`` or ``name:port``)."""
        return self.endpoint.host

    @property
    def url(self) -> str:
        """The vCenter SDK URL, without credentials."""
        return self.endpoint.url

    @property
    def round_trips(self) -> int:
        """HTTP requests sent on this session so far."""
        return int(self._stub.requests)

    @property
    def api_version(self) -> str:
        """The pyVmomi version id used for requests, e.g. ``vim.version.v8_0_3_0``."""
        return str(self._stub.version)

    def supports(self, since: str) -> bool:
        """Whether a type member introduced in pyVmomi version ``since`` exists in the negotiated version."""
        return bool(VmomiSupport.IsChildVersion(self._stub.version, since))

    @contextmanager
    def guard(self, doing: str) -> Iterator[None]:
        """Translate transport errors and server faults raised inside into :class:`CollectionError`.

        ``doing`` completes the sentence "… while <doing>", e.g. ``"reading the inventory"``.
        """
        try:
            yield
        except vmodl.MethodFault as fault:
            if isinstance(fault, vim.fault.NotAuthenticated):
                reason = "the session expired or was terminated"
            else:
                reason = fault_text(fault)
            raise CollectionError(f"vCenter {self.host} failed while {doing}: {reason}", host=self.host) from None
        except (OSError, http.client.HTTPException) as error:
            raise CollectionError(
                f"connection to vCenter {self.host} lost while {doing}: {_transport_reason(error)}",
                host=self.host,
            ) from None

    def close(self) -> None:
        """Log out (best effort: a dead connection is not an error here) and drop pooled connections."""
        if not self._open:
            return
        self._open = False
        try:
            self.content.sessionManager.Logout()
        except (vmodl.MethodFault, OSError, http.client.HTTPException):
            pass  # the session dies with its connection or times out on the server anyway
        finally:
            self._stub.DropConnections()

    def __enter__(self) -> Session:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()

    def __repr__(self) -> str:
        return f"Session(url={self.url!r}, user={self.user!r}, round_trips={self.round_trips})"


def connect(
    url: str,
    user: str,
    password: str,
    *,
    insecure: bool = False,
    ca_file: str | None = None,
    timeout: float = DEFAULT_TIMEOUT,
) -> Session:
    """Connect to vCenter at ``url`` and log in as ``user``.

    TLS certificates are verified against the system CAs (plus ``ca_file`` if given); ``insecure=True``
    turns verification off. Raises :class:`ConnectError`, :class:`CertificateError` or :class:`LoginError`
    with a one-line message naming the host; the password appears in no message, log or exception.
    """
    endpoint = parse_url(url)
    host = endpoint.host
    kwargs: dict[str, Any] = {"httpConnectionTimeout": timeout}
    if endpoint.scheme == "https":
        try:
            kwargs["sslContext"] = _ssl_context(insecure, ca_file)
        except OSError as error:
            raise ConnectError(
                f"cannot read CA file {ca_file} for vCenter {host}: {error.strerror}", host=host
            ) from None
    stub = _CountingStub(url=endpoint.url, version=_BOOTSTRAP_VERSION, **kwargs)
    instance = vim.ServiceInstance("ServiceInstance", stub)
    try:
        content = instance.RetrieveContent()
    except ssl.SSLCertVerificationError as error:
        stub.DropConnections()
        raise CertificateError(
            f"TLS certificate of vCenter {host} could not be verified ({error.verify_message}); "
            "install the vCenter CA certificate (or pass --ca-file), or pass --insecure only if you "
            "trust the network",
            host=host,
        ) from None
    except ssl.SSLError as error:
        stub.DropConnections()
        raise ConnectError(f"TLS handshake with vCenter {host} failed: {error.reason}", host=host) from None
    except (OSError, http.client.HTTPException) as error:
        stub.DropConnections()
        raise ConnectError(f"cannot reach vCenter {host}: {_transport_reason(error)}", host=host) from None
    except vmodl.MethodFault as fault:
        stub.DropConnections()
        raise ConnectError(f"vCenter {host} refused the connection: {fault_text(fault)}", host=host) from None
    except Exception as error:  # pyVmomi's XML parser raises bare Exception subclasses
        stub.DropConnections()
        raise ConnectError(
            f"{host} does not answer like a vSphere API endpoint ({type(error).__name__})", host=host
        ) from None

    stub.ComputeVersionInfo(_api_version(str(content.about.apiVersion or "")))
    try:
        content.sessionManager.Login(user, password, None)
    except vim.fault.InvalidLogin:
        stub.DropConnections()
        raise LoginError(
            f"login to {host} as {user or '<empty user name>'} failed: incorrect user name or password", host=host
        ) from None
    except vmodl.MethodFault as fault:
        stub.DropConnections()
        raise LoginError(f"login to {host} as {user} failed: {fault_text(fault)}", host=host) from None
    except (OSError, http.client.HTTPException) as error:
        stub.DropConnections()
        raise ConnectError(
            f"connection to vCenter {host} lost during login: {_transport_reason(error)}", host=host
        ) from None
    return Session(endpoint, user, stub, content)
