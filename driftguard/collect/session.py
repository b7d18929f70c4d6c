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
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any
from xml.parsers.expat import ExpatError

from driftguard.collect._vmomi import VmomiSupport, vim, vmodl
from driftguard.collect.decoder import Decoder
from driftguard.collect.errors import (
    CertificateError,
    CollectError,
    CollectionError,
    ConnectError,
    LoginError,
)
from driftguard.collect.pinning import PinMismatchError, parse_fingerprint, pinned_context, show_fingerprint
from driftguard.collect.raw import fault_text
from driftguard.collect.stream import AnswerStream, Shape
from driftguard.collect.transport import Budget, CheckedStub
from driftguard.collect.url import InvalidURLError, VCenterURL, parse_vcenter_url

# Every vCenter still in the field speaks vim25/5.5; we start with it and move up once we know the server.
_BOOTSTRAP_VERSION = "vim.version.version9"
DEFAULT_TIMEOUT = 120.0
"""Seconds to wait on one socket operation. Large property pages can take a while on big estates."""
DEFAULT_DEADLINE = 1800.0
"""Seconds the whole session (connect, login, inventory, history) may take."""


Endpoint = VCenterURL
"""The parsed vCenter URL a session talks to (the old name of :class:`~driftguard.collect.url.VCenterURL`)."""


def parse_url(url: str) -> VCenterURL:
    """Parse a vCenter URL for :func:`connect`: :func:`~driftguard.collect.url.parse_vcenter_url`, and a user
    name in the URL is refused too (the user goes in its own setting, where it is not mistaken for the host)."""
    parsed = parse_vcenter_url(url)
    if parsed.had_userinfo:
        raise InvalidURLError(
            f"the vCenter URL for {parsed.host} contains a user name: pass the user with --user (or DRIFTGUARD_USER), "
            "not in the URL",
            host=parsed.host,
        )
    return parsed


def _ssl_context(insecure: bool, ca_file: str | None, pin: bytes | None = None) -> ssl.SSLContext:
    """The system's CAs, or only those of ``ca_file``; or the one certificate whose SHA-256 is ``pin``."""
    if pin is not None:
        return pinned_context(pin, ca_file)
    context = ssl.create_default_context(cafile=ca_file)
    if insecure:
        # The user asked for it explicitly (--insecure); nothing else ever turns verification off.
        context.check_hostname = False
        context.verify_mode = ssl.CERT_NONE
    return context


def _pin(tls_fingerprint: str | None, endpoint: VCenterURL) -> bytes | None:
    """The pinned digest; a malformed one, or one for a plain-http URL (nothing to pin), is a usage error."""
    if not tls_fingerprint:
        return None
    if endpoint.scheme != "https":
        raise InvalidURLError(
            f"--tls-fingerprint needs an https:// URL for vCenter {endpoint.host}", host=endpoint.host
        )
    try:
        return parse_fingerprint(tls_fingerprint)
    except ValueError as error:
        raise InvalidURLError(f"--tls-fingerprint: {error}", host=endpoint.host) from None


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

    def __init__(self, endpoint: Endpoint, user: str, stub: CheckedStub, content: Any) -> None:
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

    def decoder(self) -> Decoder:
        """A raw-layer decoder for this session's API version (one per answer: it records unknown types)."""
        return Decoder(str(self._stub.version))

    def stream(
        self, mo: Any, method: str, args: list[Any], shape: Shape, on_item: Callable[[Any], None]
    ) -> AnswerStream:
        """Call ``method`` on ``mo``; each item of the answer goes to ``on_item`` as it is parsed (see
        :meth:`~driftguard.collect.transport.CheckedStub.stream`). Thread-safe: each call takes its own
        connection."""
        return self._stub.stream(mo, method, args, shape, on_item)

    def managed(self, type_name: str, moref: str) -> Any:
        """A pyVmomi reference to ``moref`` of ``type_name`` on this session (for request arguments)."""
        return VmomiSupport.GetWsdlType("urn:vim25", type_name)(moref, self._stub)

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
        except CollectError:
            raise  # already names the vCenter and the reason (an invalid answer, the deadline)
        except vmodl.MethodFault as fault:
            if isinstance(fault, vim.fault.NotAuthenticated):
                reason = "the session expired or was terminated"
            else:
                reason = fault_text(fault)
            raise CollectionError(f"vCenter {self.host} failed while {doing}: {reason}", host=self.host) from None
        except (OSError, http.client.HTTPException) as error:
            if self._stub.budget.overdue():
                raise self._stub.budget.error() from None
            raise CollectionError(
                f"connection to vCenter {self.host} lost while {doing}: {_transport_reason(error)}",
                host=self.host,
            ) from None
        except ExpatError as error:  # only from a parse outside the checked stub; kept for safety
            raise CollectionError(
                f"vCenter {self.host} sent broken XML while {doing}: {error}", host=self.host
            ) from None
        except (AttributeError, TypeError) as error:
            # A checked, well-formed answer can still lack what the protocol requires (an unset required value
            # that is then used). That is the server's answer being unusable, reported as such; the cause stays
            # chained for a debug report.
            raise CollectionError(
                f"vCenter {self.host} sent an answer driftguard cannot use while {doing} ({type(error).__name__})",
                host=self.host,
            ) from error

    def close(self) -> None:
        """Log out (best effort: a dead connection is not an error here) and drop pooled connections."""
        if not self._open:
            return
        self._open = False
        try:
            if not self._stub.budget.overdue():  # past the deadline nothing more is sent, not even a logout
                self.content.sessionManager.Logout()
        except (vmodl.MethodFault, OSError, http.client.HTTPException, CollectError):
            pass  # the session dies with its connection or times out on the server anyway
        finally:
            self._stub.DropConnections()

    def __enter__(self) -> Session:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()

    def __repr__(self) -> str:
        return f"Session(url={self.url!r}, user={self.user!r}, round_trips={self.round_trips})"


_REQUIRED_CONTENT = ("about", "sessionManager", "propertyCollector", "viewManager", "rootFolder", "eventManager")
"""The parts of ``ServiceContent`` collection uses; a well-formed answer without them is not a vCenter's."""


def _lacking_service_content(content: Any) -> str | None:
    if content is None:
        return "service content"
    missing = [name for name in _REQUIRED_CONTENT if getattr(content, name, None) is None]
    return ", ".join(missing) if missing else None


def _service_content(stub: CheckedStub, host: str) -> Any:
    """``ServiceInstance.RetrieveContent()``, the first call: its failures say whether this is a vCenter at all."""
    try:
        content = vim.ServiceInstance("ServiceInstance", stub).RetrieveContent()
    except CollectError:
        raise
    except PinMismatchError as error:
        raise CertificateError(
            f"TLS certificate of vCenter {host} does not match --tls-fingerprint: its SHA-256 is "
            f"{show_fingerprint(error.seen) if error.seen else 'unknown'}, the pinned one "
            f"{show_fingerprint(error.wanted)} (a renewed certificate, or someone in between)",
            host=host,
        ) from None
    except ssl.SSLCertVerificationError as error:
        raise CertificateError(
            f"TLS certificate of vCenter {host} could not be verified ({error.verify_message}); "
            "install the vCenter CA certificate (or pass --ca-file), or pass --insecure only if you "
            "trust the network",
            host=host,
        ) from None
    except ssl.SSLError as error:
        raise ConnectError(f"TLS handshake with vCenter {host} failed: {error.reason}", host=host) from None
    except (OSError, http.client.HTTPException) as error:
        if stub.budget.overdue():
            raise stub.budget.error() from None
        raise ConnectError(f"cannot reach vCenter {host}: {_transport_reason(error)}", host=host) from None
    except vmodl.MethodFault as fault:
        raise ConnectError(f"vCenter {host} refused the connection: {fault_text(fault)}", host=host) from None
    except Exception as error:  # pyVmomi's XML parser raises bare Exception subclasses
        raise ConnectError(
            f"{host} does not answer like a vSphere API endpoint ({type(error).__name__})", host=host
        ) from None
    lacking = _lacking_service_content(content)
    if lacking:
        raise ConnectError(f"{host} does not answer like a vSphere API endpoint (no {lacking})", host=host)
    return content


def _login(stub: CheckedStub, content: Any, user: str, password: str) -> None:
    host = stub.budget.host
    try:
        content.sessionManager.Login(user, password, None)
    except CollectError:
        raise
    except vim.fault.InvalidLogin:
        raise LoginError(
            f"login to {host} as {user or '<empty user name>'} failed: incorrect user name or password", host=host
        ) from None
    except vmodl.MethodFault as fault:
        raise LoginError(f"login to {host} as {user} failed: {fault_text(fault)}", host=host) from None
    except (OSError, http.client.HTTPException) as error:
        if stub.budget.overdue():
            raise stub.budget.error() from None
        raise ConnectError(
            f"connection to vCenter {host} lost during login: {_transport_reason(error)}", host=host
        ) from None


def connect(
    url: str,
    user: str,
    password: str,
    *,
    insecure: bool = False,
    ca_file: str | None = None,
    timeout: float = DEFAULT_TIMEOUT,
    deadline: float | None = DEFAULT_DEADLINE,
    tls_fingerprint: str | None = None,
) -> Session:
    """Connect to vCenter at ``url`` and log in as ``user``.

    TLS certificates are verified against the system CAs, or only those of ``ca_file`` if given;
    ``tls_fingerprint`` (SHA-256, :mod:`~driftguard.collect.pinning`) accepts exactly one certificate instead;
    ``insecure=True`` turns verification off. ``timeout`` bounds each socket operation, ``deadline`` everything
    the session does from now on (None: no deadline). Raises :class:`InvalidURLError`, :class:`ConnectError`,
    :class:`CertificateError`, :class:`LoginError`, or the transport's ``InvalidResponseError`` /
    ``DeadlineError``, with a one-line message naming the host; the password appears in no message, log or
    exception.
    """
    endpoint = parse_url(url)
    host = endpoint.host
    budget = Budget(host, timeout, deadline)
    kwargs: dict[str, Any] = {"httpConnectionTimeout": timeout}
    pin = _pin(tls_fingerprint, endpoint)
    if endpoint.scheme == "https":
        try:
            kwargs["sslContext"] = _ssl_context(insecure, ca_file, pin)
        except OSError as error:
            raise ConnectError(
                f"cannot read CA file {ca_file} for vCenter {host}: {error.strerror}", host=host
            ) from None
    stub = CheckedStub(url=endpoint.url, version=_BOOTSTRAP_VERSION, budget=budget, **kwargs)
    try:
        content = _service_content(stub, host)
        stub.ComputeVersionInfo(_api_version(str(content.about.apiVersion or "")))
        _login(stub, content, user, password)
    except BaseException:
        stub.DropConnections()
        raise
    return Session(endpoint, user, stub, content)
