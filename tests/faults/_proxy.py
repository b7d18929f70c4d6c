"""A fault-injecting HTTP proxy on loopback, in front of the real simulator (issue 8, points 2 and 3).

It forwards every SOAP request to the simulator and passes the answer back, except for the requests a
:class:`Fault` picks (by number, by SOAP method and occurrence, or all of them), whose answers it replaces with
HTML, broken XML, an empty body, a wrong content type, a SOAP fault or an HTTP error, cuts short, drips a
byte at a time, or stops sending half-way while keeping the connection open.

    with FaultProxy(sim.url) as proxy:
        proxy.fault = Fault("html", method="RetrievePropertiesEx", occurrence=1)
        run driftguard against proxy.url
        proxy.log  # [(1, "RetrieveServiceContent", None), (2, "Login", None), (3, ..., "html"), ...]

Standard library only; one thread per client connection (``ThreadingHTTPServer``).
"""

from __future__ import annotations

import http.client
import re
import threading
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from types import TracebackType
from typing import Literal
from urllib.parse import urlsplit

Kind = Literal[
    "html",
    "broken-xml",
    "truncate",
    "truncate-chunked",
    "empty",
    "wrong-type",
    "soap-fault",
    "http-502",
    "drip",
    "stall",
]

HTML = (
    b"<!DOCTYPE html>\n<html><head><title>Sign in</title></head>"
    b"<body><h1>Corporate proxy</h1><p>Please sign in to continue.</p></body></html>\n"
)
BROKEN_XML = (
    b'<?xml version="1.0" encoding="UTF-8"?>\n<soapenv:Envelope xmlns:soapenv="http://schemas.xmlsoap.org/soap/'
    b'envelope/"><soapenv:Body><RetrievePropertiesExResponse xmlns="urn:vim25"><returnval><objects>'
    b"</returnval></soapenv:Body></soapenv:Envelope>"
)
SOAP_FAULT = (
    b'<?xml version="1.0" encoding="UTF-8"?>\n<soapenv:Envelope xmlns:soapenv="http://schemas.xmlsoap.org/soap/'
    b'envelope/" xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance"><soapenv:Body><soapenv:Fault>'
    b"<faultcode>ServerFaultCode</faultcode><faultstring>injected: the service is shutting down</faultstring>"
    b'<detail><SystemErrorFault xmlns="urn:vim25" xsi:type="SystemError"><reason>injected</reason>'
    b"</SystemErrorFault></detail></soapenv:Fault></soapenv:Body></soapenv:Envelope>"
)

_METHOD = re.compile(rb"<soapenv:Body>\s*<(?:\w+:)?(\w+)[\s>/]")


@dataclass
class Fault:
    """What to do to which answer. ``number`` (1-based over all SOAP requests), or ``method`` + ``occurrence``
    (the n-th call of that method), or ``every``: each picks the requests whose answer is replaced."""

    kind: Kind
    number: int | None = None
    method: str | None = None
    occurrence: int = 1
    every: bool = False
    drip_interval: float = 1.0
    """Seconds between two bytes for ``drip``."""


class FaultProxy:
    """The proxy. ``url`` is what driftguard is pointed at; ``log`` lists (number, method, fault kind or None)."""

    def __init__(self, upstream_url: str) -> None:
        parts = urlsplit(upstream_url)
        assert parts.scheme == "http", "the proxy speaks plain http to a plain-http simulator"
        self.upstream = (parts.hostname or "127.0.0.1", parts.port or 80)
        self.path = parts.path or "/sdk"
        self.fault: Fault | None = None
        self.log: list[tuple[int, str, str | None]] = []
        self.stopping = threading.Event()
        self._lock = threading.Lock()
        self._counts: dict[str, int] = {}
        self._server = ThreadingHTTPServer(("127.0.0.1", 0), _handler(self))
        self._server.daemon_threads = True
        self._thread = threading.Thread(target=self._server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)

    @property
    def host(self) -> str:
        """``127.0.0.1:PORT``, as driftguard names this vCenter in messages."""
        return f"127.0.0.1:{self._server.server_port}"

    @property
    def url(self) -> str:
        return f"http://{self.host}{self.path}"

    def reset(self, fault: Fault | None = None) -> None:
        with self._lock:
            self.fault = fault
            self.log = []
            self._counts = {}

    def methods(self) -> list[str]:
        return [method for _, method, _ in self.log]

    def pick(self, method: str) -> tuple[int, Fault | None]:
        """Number this request and decide whether its answer is spoilt."""
        with self._lock:
            number = len(self.log) + 1
            self._counts[method] = occurrence = self._counts.get(method, 0) + 1
            fault = self.fault
            hit = fault is not None and (
                fault.every
                or fault.number == number
                or (fault.method == method and fault.occurrence == occurrence and fault.number is None)
            )
            self.log.append((number, method, fault.kind if hit and fault else None))
            return number, fault if hit else None

    def __enter__(self) -> FaultProxy:
        self._thread.start()
        return self

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.stopping.set()
        self._server.shutdown()
        self._server.server_close()
        self._thread.join(timeout=10)


class _Handler(BaseHTTPRequestHandler):
    proxy: FaultProxy
    protocol_version = "HTTP/1.1"  # keep-alive, as vCenter does: several requests per connection

    def log_message(self, format: str, *args: object) -> None:  # the stdlib's signature
        del format, args  # quiet: pytest shows our own assertions

    def do_POST(self) -> None:  # the stdlib's name
        length = int(self.headers.get("Content-Length") or 0)
        request = self.rfile.read(length)
        match = _METHOD.search(request)
        _, fault = self.proxy.pick(match.group(1).decode() if match else "?")
        status, reason, headers, body = self._forward(request)
        if fault is None:
            self._answer(status, reason, headers, body)
        else:
            self._spoil(fault, status, headers, body)

    def _forward(self, request: bytes) -> tuple[int, str, list[tuple[str, str]], bytes]:
        upstream = http.client.HTTPConnection(*self.proxy.upstream, timeout=60)
        try:
            headers = {k: v for k, v in self.headers.items() if k.lower() not in ("host", "content-length")}
            headers.pop("Accept-Encoding", None)  # keep bodies plain, so they can be cut and dripped
            upstream.request("POST", self.path, request, headers)
            response = upstream.getresponse()
            body = response.read()
            kept = [(k, v) for k, v in response.getheaders() if k.lower() in ("content-type", "set-cookie")]
            return response.status, response.reason, kept, body
        finally:
            upstream.close()

    def _answer(self, status: int, reason: str, headers: list[tuple[str, str]], body: bytes) -> None:
        self.send_response(status, reason)
        for name, value in headers:
            self.send_header(name, value)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def _spoil(self, fault: Fault, status: int, headers: list[tuple[str, str]], body: bytes) -> None:
        xml = [("Content-Type", "text/xml; charset=utf-8")]
        cookies = [(k, v) for k, v in headers if k.lower() == "set-cookie"]
        canned: dict[str, tuple[int, str, list[tuple[str, str]], bytes]] = {
            "html": (200, "OK", [("Content-Type", "text/html; charset=utf-8")], HTML),
            "broken-xml": (200, "OK", xml, BROKEN_XML),
            "empty": (200, "OK", xml + cookies, b""),
            "wrong-type": (status, "OK", [("Content-Type", "application/json"), *cookies], body),
            "soap-fault": (500, "Internal Server Error", xml, SOAP_FAULT),
            "http-502": (502, "Bad Gateway", [("Content-Type", "text/html")], HTML),
        }
        if fault.kind in canned:
            self._answer(*canned[fault.kind])
        elif fault.kind == "truncate":
            self._partial(status, headers, body, len(body) // 2)
            self.close_connection = True
        elif fault.kind == "truncate-chunked":
            self._truncated_chunked(status, headers, body)
        elif fault.kind == "drip":
            self._drip(status, headers, body, fault.drip_interval)
        elif fault.kind == "stall":
            self._partial(status, headers, body, len(body) // 2)
            self.proxy.stopping.wait()  # hold the connection open, silent, until the test ends
            self.close_connection = True

    def _partial(self, status: int, headers: list[tuple[str, str]], body: bytes, cut: int) -> None:
        """Headers promising the whole body, then only ``cut`` bytes of it."""
        self.send_response(status)
        for name, value in headers:
            self.send_header(name, value)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body[:cut])
        self.wfile.flush()

    def _truncated_chunked(self, status: int, headers: list[tuple[str, str]], body: bytes) -> None:
        self.send_response(status)
        for name, value in headers:
            self.send_header(name, value)
        self.send_header("Transfer-Encoding", "chunked")
        self.end_headers()
        half = body[: len(body) // 2]
        self.wfile.write(f"{len(body):x}\r\n".encode() + half)  # a chunk that announces more than it has
        self.wfile.flush()
        self.close_connection = True

    def _drip(self, status: int, headers: list[tuple[str, str]], body: bytes, interval: float) -> None:
        """The whole answer, one byte every ``interval`` seconds: no single read ever times out."""
        self.send_response(status)
        for name, value in headers:
            self.send_header(name, value)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.flush()
        for offset in range(len(body)):
            if self.proxy.stopping.wait(interval):
                break
            try:
                self.wfile.write(body[offset : offset + 1])
                self.wfile.flush()
            except OSError:
                break  # the client gave up: exactly what the test wants
        self.close_connection = True


def _handler(proxy: FaultProxy) -> type[BaseHTTPRequestHandler]:
    return type("Handler", (_Handler,), {"proxy": proxy})
