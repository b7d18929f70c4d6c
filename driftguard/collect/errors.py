"""Typed errors of the collect stage.

Every error carries one human-readable line that names the vCenter host and the reason, and nothing
secret: no password, no session cookie, no SOAP body. The CLI maps all of them to exit code 3
(operational error) and prints ``str(error)``.
"""

from __future__ import annotations


class CollectError(Exception):
    """Base of every error raised by :mod:`driftguard.collect`.

    ``host`` is the vCenter host (``name[:port]``) the error is about; ``str(error)`` is the full message.
    """

    def __init__(self, message: str, *, host: str) -> None:
        super().__init__(message)
        self.host = host

    @property
    def message(self) -> str:
        """The one-line message (the same as ``str(self)``)."""
        return str(self.args[0])


class ConnectError(CollectError):
    """vCenter could not be reached: refused, unresolvable, timed out, or not a vSphere API endpoint."""


class CertificateError(CollectError):
    """The TLS certificate of vCenter could not be verified (self-signed, unknown CA, name mismatch)."""


class LoginError(CollectError):
    """vCenter refused the credentials (``vim.fault.InvalidLogin``) or the login itself failed."""


class CollectionError(CollectError):
    """Collection started but could not finish: connection lost, session expired, or a server fault."""


class InvalidResponseError(CollectionError):
    """vCenter (or something in front of it) answered a request with something that is not its SOAP answer."""


DriftguardCollectError = CollectError
"""The name ``driftguard.api`` catches; the same class as :class:`CollectError`."""
