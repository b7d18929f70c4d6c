"""The SOAP transport: every answer from vCenter is checked before pyVmomi turns it into objects, and no
request may outlive the collection's deadline.

Why a stub of our own instead of checking the objects pyVmomi returns: pyVmomi's ``SoapStubAdapter`` treats
any ``200`` whose body contains no ``...Response`` element as a ``None`` result (an HTML login page becomes "no
objects", i.e. an empty vCenter), reads bodies with no overall time limit (a server that drips a byte every 20 s
never times out), and a deserialisation ``TypeError`` or ``ExpatError`` escapes with pyVmomi's internals in it.
After the fact, a ``None`` result cannot be told apart from a real empty answer, so the check has to happen where
the bytes are: :meth:`CheckedStub.InvokeMethod` replaces pyVmomi's method of the same name, sends the same request,
reads the whole body under the deadline, then accepts it only if

* the HTTP status is 200 (a result) or 500 (a SOAP fault) and the content type is XML,
* the body is one well-formed XML document whose root is a SOAP ``Envelope`` with a ``Body``, and
* the first element of the body is ``<Method>Response`` (status 200) or ``Fault`` (status 500);

and only then hands the same bytes to pyVmomi's deserialiser (parsing them once, in one pass that does both).
Anything else is an :class:`InvalidResponseError` that names the vCenter, the method and what came back.
"""

from __future__ import annotations

import contextlib
import io
import socket
import threading
import time
import zlib
from collections.abc import Callable
from http.client import HTTPConnection, HTTPResponse, IncompleteRead
from http.cookies import SimpleCookie
from typing import Any, NamedTuple
from xml.parsers.expat import ErrorString, ExpatError

from driftguard.collect._vmomi import SoapAdapter, SoapStubAdapter, VmomiSupport
from driftguard.collect.errors import CollectionError, InvalidResponseError
from driftguard.collect.stream import AnswerStream, Shape

MAX_RESPONSE_BYTES = 512 * 1024 * 1024
"""The largest answer accepted (decompressed). A page of 500 VMs' configuration is a few tens of MB."""

_ENVELOPE = SoapAdapter.XMLNS_SOAPENV + SoapAdapter.NS_SEP + "Envelope"
_BODY = SoapAdapter.XMLNS_SOAPENV + SoapAdapter.NS_SEP + "Body"
_HEADER = SoapAdapter.XMLNS_SOAPENV + SoapAdapter.NS_SEP + "Header"
_FAULT = SoapAdapter.XMLNS_SOAPENV + SoapAdapter.NS_SEP + "Fault"
_XML_TYPES = ("text/xml", "application/xml", "application/soap+xml")
_READ_CHUNK = 256 * 1024


class Answer(NamedTuple):
    """One HTTP answer, read whole."""

    status: int
    content_type: str
    body: bytes
    stream: AnswerStream | None = None
    """The stream the body went into instead of ``body`` (see :meth:`CheckedStub.stream`)."""
    token: str | None = None
    """The continuation token the stream found."""


class DeadlineError(CollectionError):
    """The collection ran past its overall deadline."""


class Budget:
    """Time limits of one session: ``timeout`` per socket operation, ``deadline`` seconds for everything.

    The clock starts when the budget is made (at connect). Socket timeouts shrink to what is left, so the last
    request cannot outlast the deadline by a full ``timeout``, and a watchdog shuts the socket at the deadline,
    so even a server that keeps every single read short (a byte every few seconds) cannot hold a run.
    """

    def __init__(self, host: str, timeout: float, deadline: float | None) -> None:
        self.host = host
        self.timeout = timeout
        self.deadline = deadline
        self._ends = time.monotonic() + deadline if deadline is not None else None
        self.expired = False

    def remaining(self) -> float | None:
        return None if self._ends is None else self._ends - time.monotonic()

    def overdue(self) -> bool:
        """Whether the deadline has passed (the watchdog may not have fired yet when a read times out with it)."""
        left = self.remaining()
        if left is not None and left <= 0:
            self.expired = True
        return self.expired

    def socket_timeout(self) -> float:
        """Seconds the next socket operation may wait (never 0: that would make the socket non-blocking)."""
        left = self.remaining()
        if left is None:
            return self.timeout
        if left <= 0:
            self.expired = True
            raise self.error()
        return max(0.001, min(self.timeout, left))

    def error(self) -> DeadlineError:
        message = f"collection from {self.host} exceeded the deadline of {self.deadline:g} s"
        return DeadlineError(message, host=self.host)

    def watch(self, conn: HTTPConnection) -> threading.Timer | None:
        """Start the watchdog that cuts ``conn`` at the deadline (cancel it when the answer is in)."""
        left = self.remaining()
        if left is None:
            return None

        def cut() -> None:
            self.expired = True
            sock = conn.sock
            if sock is not None:
                with contextlib.suppress(OSError):  # already closed: then nobody is blocked on it
                    sock.shutdown(socket.SHUT_RDWR)

        timer = threading.Timer(max(0.0, left), cut)
        timer.daemon = True
        timer.start()
        return timer


class CheckedStub(SoapStubAdapter):  # type: ignore[misc]  # subclassing Any
    """pyVmomi's SOAP stub with response validation, the session's time budget and a request counter."""

    def __init__(self, *args: Any, budget: Budget, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.budget = budget
        self.requests = 0
        self._count_lock = threading.Lock()

    def __repr__(self) -> str:
        # The default repr is harmless today; this one is guaranteed never to show the session cookie.
        return f"<CheckedStub {self.scheme.__name__} requests={self.requests}>"

    def InvokeMethod(self, mo: Any, info: Any, args: Any, outerStub: Any = None) -> Any:  # pyVmomi's name
        outer = self if outerStub is None else outerStub
        method = str(info.wsdlName)
        request = self.SerializeRequest(mo, info, args)
        for modifier in self.requestModifierList:
            request = modifier(request)
        # Connections are made (and the TLS handshake done) inside GetConnection with this timeout.
        self.schemeArgs["timeout"] = self.budget.socket_timeout()
        conn = self.GetConnection()
        with self._count_lock:
            self.requests += 1
        answer = self._exchange(conn, method, request)
        obj = _deserialize(outer, answer, info.result, method, self.budget.host)
        status = answer.status
        self.ReturnConnection(conn)
        if outer is not self:
            return status, obj
        if status == 200:
            return obj
        raise obj

    def stream(
        self, mo: Any, method: str, args: list[Any], shape: Shape, on_item: Callable[[Any], None]
    ) -> AnswerStream:
        """Call ``method`` of ``mo`` and decode its answer as it arrives, with our own decoder instead of pyVmomi's:
        ``on_item(element)`` gets each item (an ``ObjectContent``, an event, a task info); returns the finished
        stream (its ``token``, ``items``, ``returned``).

        The answer is checked as :meth:`InvokeMethod` checks it (same messages); a SOAP fault is decoded by pyVmomi
        and raised as its ``MethodFault``.
        """
        info = getattr(type(mo), method).info
        request = self.SerializeRequest(mo, info, args)
        for modifier in self.requestModifierList:
            request = modifier(request)
        self.schemeArgs["timeout"] = self.budget.socket_timeout()
        conn = self.GetConnection()
        with self._count_lock:
            self.requests += 1
        host = self.budget.host

        def start(status: int, media: str) -> AnswerStream | None:
            if status != 200 or media not in _XML_TYPES:
                return None  # refused, or a fault: the whole-body path says what it is
            label = f"({media}, {status})"
            return AnswerStream(host=host, method=method, label=label, shape=shape, on_item=on_item)

        answer = self._exchange(conn, method, request, start)
        if answer.stream is not None:
            self.ReturnConnection(conn)
            return answer.stream
        # Not a 200 XML answer: refused with the whole-body path's message, or a SOAP fault pyVmomi decodes.
        fault = _deserialize(self, answer, info.result, method, host)
        self.ReturnConnection(conn)
        raise fault

    def _exchange(
        self,
        conn: HTTPConnection,
        method: str,
        request: bytes,
        streaming: Callable[[int, str], AnswerStream | None] | None = None,
    ) -> Answer:
        """Send one request and read the whole answer under the budget; the connection is closed on failure.

        ``streaming(status, media type)`` may return a stream that the body is fed into instead of being kept.
        """
        watchdog = self.budget.watch(conn)
        stream: AnswerStream | None = None
        token: str | None = None
        try:
            _set_timeout(conn, self.budget)
            conn.request("POST", self.path, request, self._headers())
            response = conn.getresponse()
            self._keep_cookie(response)
            if streaming is not None:
                media = (response.getheader("Content-Type", "") or "").split(";", 1)[0].strip().lower()
                stream = streaming(response.status, media)
            body = _read_body(conn, response, self.budget, method, None if stream is None else stream.feed)
            if stream is not None:
                token = stream.close()
        except BaseException as error:
            conn.close()
            self.DropConnections()  # the server may be sick: no pooled connection is trusted any more
            if self.budget.overdue() and not isinstance(error, CollectionError):
                raise self.budget.error() from None
            if isinstance(error, TimeoutError):
                host = self.budget.host
                raise CollectionError(
                    f"vCenter {host} sent nothing for {self.budget.timeout:g} s while answering {method} "
                    "(the per-request timeout)",
                    host=host,
                ) from None
            raise
        finally:
            if watchdog is not None:
                watchdog.cancel()
        if self.budget.overdue():
            conn.close()
            raise self.budget.error()
        return Answer(response.status, response.getheader("Content-Type", "") or "", body, stream, token)

    def _headers(self) -> dict[str, str]:
        headers = {
            "Cookie": self.cookie,
            "SOAPAction": self.versionId,
            "Content-Type": f"text/xml; charset={SoapAdapter.XML_ENCODING}",
            "User-Agent": "driftguard (pyVmomi)",
            "Accept-Encoding": "gzip, deflate",
        }
        if self._customHeaders:
            headers.update(self._customHeaders)
        return headers

    def _keep_cookie(self, response: HTTPResponse) -> None:
        cookie = response.getheader("Set-Cookie") or response.getheader("set-cookie")
        if not cookie:
            return
        self.cookie = cookie
        session = SimpleCookie(cookie).get(SoapAdapter.COOKIE_NAME)
        if session:
            # SoapStubAdapter.SetSessionId would rewrite the cookie; its base class only records the id.
            SoapAdapter.StubAdapterBase.SetSessionId(self, session.value)


def _set_timeout(conn: HTTPConnection, budget: Budget) -> None:
    timeout = budget.socket_timeout()
    conn.timeout = timeout
    if conn.sock is not None:
        conn.sock.settimeout(timeout)


def _read_body(
    conn: HTTPConnection,
    response: HTTPResponse,
    budget: Budget,
    method: str,
    sink: Callable[[bytes], None] | None = None,
) -> bytes:
    """The whole (decoded) body, read in chunks with a socket timeout that shrinks to the budget left.

    With ``sink``, each decoded chunk goes there as it arrives and nothing is kept (the result is empty).
    """
    declared = response.getheader("Content-Length")
    encoding = (response.getheader("Content-Encoding") or "identity").strip().lower()
    decoder = _decoder(encoding, budget.host, method)
    parts: list[bytes] = []
    size = raw_size = 0
    while True:
        _set_timeout(conn, budget)
        try:
            chunk = response.read1(_READ_CHUNK)
        except IncompleteRead:
            raise InvalidResponseError(
                f"vCenter {budget.host} answered {method} with a truncated body (the last chunk ends early)",
                host=budget.host,
            ) from None
        if not chunk:
            break
        raw_size += len(chunk)
        if decoder is not None:
            chunk = decoder.decompress(chunk, MAX_RESPONSE_BYTES + 1 - size)
        size += len(chunk)
        if size > MAX_RESPONSE_BYTES:
            raise InvalidResponseError(
                f"vCenter {budget.host} answered {method} with more than {MAX_RESPONSE_BYTES // 2**20} MiB",
                host=budget.host,
            )
        if sink is None:
            parts.append(chunk)
        else:
            sink(chunk)
    if budget.overdue():
        raise budget.error()
    if response.length:  # Content-Length promised more than arrived before the connection closed
        raise InvalidResponseError(
            f"vCenter {budget.host} answered {method} with a truncated body ({raw_size} of {declared} bytes)",
            host=budget.host,
        )
    response.read()  # marks the response complete, so the connection can carry the next request
    if decoder is not None:
        _finish_decoding(decoder, parts.append if sink is None else sink, f"{encoding} body", budget.host, method)
    return b"".join(parts)


def _finish_decoding(decoder: Any, sink: Callable[[bytes], None], what: str, host: str, method: str) -> None:
    rest = decoder.flush()
    if rest:
        sink(rest)
    if not decoder.eof:
        raise InvalidResponseError(f"vCenter {host} answered {method} with a truncated {what}", host=host)


def _decoder(encoding: str, host: str, method: str) -> Any:
    if encoding in ("identity", ""):
        return None
    if encoding in ("gzip", "x-gzip"):
        return zlib.decompressobj(16 + zlib.MAX_WBITS)
    if encoding == "deflate":
        return zlib.decompressobj()
    raise InvalidResponseError(f"vCenter {host} answered {method} in an unknown encoding {encoding!r}", host=host)


def _deserialize(stub: Any, answer: Answer, result_type: Any, method: str, host: str) -> Any:
    status, body = answer.status, answer.body
    media = answer.content_type.split(";", 1)[0].strip().lower()
    label = f"({media or 'no content type'}, {status})"

    def refuse(what: str) -> InvalidResponseError:
        return InvalidResponseError(f"vCenter {host} answered {method} with {what} {label}", host=host)

    if status not in (200, 500):
        raise InvalidResponseError(
            f"vCenter {host} answered {method} with HTTP status {status} ({media or 'no content type'})", host=host
        )
    if not body.strip():
        raise refuse("an empty body")
    if media == "text/html" or body.lstrip()[:15].lower().startswith((b"<!doctype html", b"<html")):
        raise refuse("HTML")
    if media not in _XML_TYPES:
        raise refuse("a body that is not XML")
    if b"<!DOCTYPE" in body:
        # SOAP forbids a DTD; refusing it up front also keeps entity expansion ("billion laughs") from costing time.
        raise refuse("a document type declaration, which SOAP does not allow")
    decoder = _CheckedDeserializer(stub, expect_fault=status == 500, method=method)
    try:
        # A file, not bytes: pyVmomi feeds bytes to expat without "final", so a truncated document would pass.
        obj = decoder.Deserialize(io.BytesIO(body), result_type)
    except _NotSoap as error:
        raise refuse(str(error)) from None
    except ExpatError as error:
        raise refuse(f"broken XML ({ErrorString(error.code)} at line {error.lineno}, column {error.offset})") from None
    except (TypeError, ValueError, AttributeError, LookupError) as error:
        # pyVmomi's deserialiser reports a wrong type, an unknown enum value or a malformed number this way.
        raise refuse(f"data pyVmomi cannot decode ({type(error).__name__}: {_short(error)})") from None
    if decoder.payload is None:
        raise refuse(f"a SOAP envelope without {decoder.expected}")
    if status == 500 and not isinstance(obj, Exception):
        raise refuse("a SOAP fault pyVmomi cannot decode")
    return obj


def _short(error: BaseException) -> str:
    text = " ".join(str(error).split())
    return text if len(text) <= 120 else text[:117] + "..."


class _NotSoap(Exception):
    """Raised from inside the XML parse as soon as the structure cannot be a SOAP answer."""


class _TolerantDeserializer(SoapAdapter.SoapDeserializer):  # type: ignore[misc]  # subclassing Any
    """pyVmomi's deserialiser, except that a reference of an unexpected managed type is kept, not fatal.

    vCenter (and the simulator) name objects outside the ``ManagedEntity`` tree in ``TaskInfo.entity`` and the
    like, e.g. a ``VirtualDiskManager`` on the disk-deletion task of a destroyed VM. pyVmomi refuses to assign a
    ``VirtualDiskManager`` to a field typed ``ManagedEntity`` and fails the whole answer, so every later history
    read would fail. We give such a reference a class that satisfies the declared type yet keeps the real type
    name: the raw layer then records ``{"type": "VirtualDiskManager", "value": ...}`` as sent.
    """

    def EndElementHandler(self, tag: str) -> None:  # pyVmomi's name
        stack = getattr(self, "stack", None)
        if stack and len(stack) >= 2 and isinstance(stack[-1], type):
            declared = _declared_reference_type(stack[-2], self.SplitTag(tag)[1])
            managed = issubclass(stack[-1], VmomiSupport.ManagedObject)
            if declared is not None and managed and not issubclass(stack[-1], declared):
                stack[-1] = foreign_reference_type(declared, str(getattr(stack[-1], "_wsdlName", stack[-1].__name__)))
        super().EndElementHandler(tag)


def _declared_reference_type(parent: Any, name: str) -> Any:
    """The managed-object type the slot ``name`` of ``parent`` declares, or None when it is not a reference."""
    if isinstance(parent, VmomiSupport.DataObject):
        try:
            declared = parent._GetPropertyInfo(name).type
        except AttributeError:
            return None
        if issubclass(declared, list):
            declared = declared.Item
    elif isinstance(parent, list):
        declared = getattr(parent, "Item", None)
    else:
        return None
    if isinstance(declared, type) and issubclass(declared, VmomiSupport.ManagedObject):
        return declared
    return None


_FOREIGN: dict[tuple[Any, str], type] = {}
_FOREIGN_LOCK = threading.Lock()


def foreign_reference_type(declared: Any, wsdl_name: str) -> type:
    """A subclass of ``declared`` whose vSphere type name is ``wsdl_name`` (made once per pair)."""
    with _FOREIGN_LOCK:
        cls = _FOREIGN.get((declared, wsdl_name))
        if cls is None:
            cls = type(wsdl_name, (declared,), {"_wsdlName": wsdl_name, "_driftguard_declared": declared._wsdlName})
            _FOREIGN[(declared, wsdl_name)] = cls
        return cls


class _CheckedDeserializer(SoapAdapter.SoapResponseDeserializer):  # type: ignore[misc]  # subclassing Any
    """pyVmomi's response deserialiser that also checks, while it parses, that the document is the SOAP answer.

    pyVmomi starts decoding at the first element whose name ends in ``Response``, wherever it is, and returns
    None when there is none. Here the root must be ``Envelope``, its body's first element ``<Method>Response``
    (or ``Fault`` for a 500), and nothing else is decoded.
    """

    def __init__(self, stub: Any, *, expect_fault: bool, method: str) -> None:
        super().__init__(stub)
        self.deser = _TolerantDeserializer(stub)
        self.expect_fault = expect_fault
        self.expected = "Fault" if expect_fault else f"{method}Response"
        self.depth = 0
        self.in_body = False
        self.payload: str | None = None

    def StartElementHandler(self, tag: str, attr: Any) -> None:  # pyVmomi's name
        self.depth += 1
        if self.depth == 1 and tag != _ENVELOPE:
            raise _NotSoap(f"an XML document that is not a SOAP envelope (<{_local(tag)}>)")
        if self.depth == 2:
            if tag not in (_BODY, _HEADER):
                raise _NotSoap(f"a SOAP envelope holding <{_local(tag)}>")
            self.in_body = tag == _BODY
        if self.depth == 3 and self.in_body:
            if self.payload is not None:
                raise _NotSoap("a SOAP body with more than one element")
            self.payload = tag
            if _local(tag) != self.expected or (self.expect_fault and tag != _FAULT):
                raise _NotSoap(f"<{_local(tag)}> instead of <{self.expected}>")
        if self.depth >= 3 and not self.in_body:
            return  # SOAP headers: nothing of ours to decode
        super().StartElementHandler(tag, attr)

    def EndElementHandler(self, tag: str) -> None:  # pyVmomi's name
        self.depth -= 1
        super().EndElementHandler(tag)


def _local(tag: str) -> str:
    return tag.rpartition(SoapAdapter.NS_SEP)[2]


__all__ = [
    "MAX_RESPONSE_BYTES",
    "Budget",
    "CheckedStub",
    "DeadlineError",
    "InvalidResponseError",
    "foreign_reference_type",
]
