"""Certificate pinning: trust vCenter's TLS certificate by its SHA-256 fingerprint (``--tls-fingerprint``).

An alternative to a CA file for a vCenter whose certificate is self-signed or signed by a private CA (VMCA) that
the machine does not trust: the leaf certificate the server presents must have exactly the pinned digest. Without
a CA file the chain and the host name are then not checked (the pin is stronger than both: it names one
certificate); with one, both the chain and the pin must hold.

The check runs on every TLS connection the session opens, right after the handshake and before a byte of the
request (and so before the password) is sent.
"""

from __future__ import annotations

import hashlib
import re
import socket
import ssl
from typing import Any

_FINGERPRINT = re.compile(r"(?i)^(?:sha-?256(?: fingerprint)?[=:]\s*)?((?:[0-9a-f]{2}:?){31}[0-9a-f]{2})$")
"""``AB:CD:...`` (as ``openssl x509 -fingerprint -sha256`` and browsers show it, prefix allowed) or plain hex."""


def parse_fingerprint(text: str) -> bytes:
    """The 32-byte digest ``text`` names; ``ValueError`` (saying what is expected) for anything else."""
    match = _FINGERPRINT.match(text.strip())
    if not match or (":" in match.group(1) and match.group(1).count(":") != 31):
        raise ValueError("expected a SHA-256 fingerprint: 64 hex digits, optionally in pairs separated by ':'")
    return bytes.fromhex(match.group(1).replace(":", ""))


def show_fingerprint(digest: bytes) -> str:
    """``AB:CD:...``: the form ``openssl x509 -noout -fingerprint -sha256`` prints."""
    return ":".join(f"{byte:02X}" for byte in digest)


class PinMismatchError(ssl.SSLCertVerificationError):
    """The server's certificate is not the pinned one."""

    def __init__(self, seen: bytes | None, wanted: bytes) -> None:
        self.seen = seen
        self.wanted = wanted
        shown = show_fingerprint(seen) if seen is not None else "none (no certificate)"
        super().__init__(f"certificate SHA-256 {shown} is not the pinned {show_fingerprint(wanted)}")
        self.verify_message = str(self)


class PinnedContext(ssl.SSLContext):
    """A client context that also requires the peer's leaf certificate to have the digest ``pin``."""

    pin: bytes

    def wrap_socket(self, sock: socket.socket, *args: Any, **kwargs: Any) -> ssl.SSLSocket:
        tls = super().wrap_socket(sock, *args, **kwargs)
        der = tls.getpeercert(binary_form=True)
        seen = hashlib.sha256(der).digest() if der else None
        if seen != self.pin:
            tls.close()
            raise PinMismatchError(seen, self.pin)
        return tls


def pinned_context(pin: bytes, ca_file: str | None) -> PinnedContext:
    """A TLS client context that accepts only the certificate with SHA-256 ``pin`` (and, given a CA file, only
    when that CA also verifies it and the host name matches)."""
    context = PinnedContext(ssl.PROTOCOL_TLS_CLIENT)
    context.pin = pin
    if ca_file is not None:
        context.load_verify_locations(cafile=ca_file)
    else:
        context.check_hostname = False
        context.verify_mode = ssl.CERT_NONE
    return context
