"""Parsing of the vCenter URL a person typed, with messages that never echo a secret.

``urllib.parse`` is not used for the authority: it splits at the first ``/``, ``?`` or ``#``, so a password
containing one of them (``https://admin:pa/ss#w@vc01``) turns into a host of ``admin`` and a "port" that is the
password, and its ``ValueError`` then prints that "port". Here the userinfo is everything before the *last*
``@`` of the text after ``scheme://`` (a vSphere SDK URL has no ``@`` in its path), and from then on no part of
it is ever put into a message.
"""

from __future__ import annotations

import ipaddress
import re
from dataclasses import dataclass

from driftguard.collect.errors import CollectError

SCHEMES = {"https": 443, "http": 80}
"""Accepted schemes and their default ports (``http`` only makes sense for the simulator)."""

_HOSTNAME = re.compile(r"[A-Za-z0-9](?:[A-Za-z0-9_-]{0,62})(?:\.[A-Za-z0-9_-]{1,63})*\.?")
_EXPECTED = "expected https://host[:port][/sdk]"


class InvalidURLError(CollectError):
    """The vCenter URL cannot be used as given (a usage error: exit 2). The message quotes no userinfo."""


@dataclass(frozen=True)
class VCenterURL:
    """A parsed vCenter URL, without credentials."""

    scheme: str
    hostname: str
    """Host name (lower case) or IP address; an IPv6 address without brackets."""
    port: int
    path: str = "/sdk"
    had_userinfo: bool = False
    """True when the text carried ``user@`` before the host (never with a password: that is refused)."""

    @property
    def default_port(self) -> bool:
        return self.port == SCHEMES[self.scheme]

    @property
    def host(self) -> str:
        """``hostname`` plus ``:port`` when the port is not the scheme's default; used in messages."""
        name = f"[{self.hostname}]" if ":" in self.hostname else self.hostname
        return name if self.default_port else f"{name}:{self.port}"

    @property
    def url(self) -> str:
        """``scheme://host:port/path``, safe to store and print."""
        name = f"[{self.hostname}]" if ":" in self.hostname else self.hostname
        return f"{self.scheme}://{name}:{self.port}{self.path}"

    @property
    def directory_name(self) -> str:
        """The vCenter's name in the state repo: the host, plus ``_port`` when the port is not the default."""
        return self.hostname if self.default_port else f"{self.hostname}_{self.port}"


def parse_vcenter_url(text: str) -> VCenterURL:
    """Parse ``https://host[:port][/path]``, ``http://host:port/sdk`` (simulator) or a bare ``host[:port]``.

    Raises :class:`InvalidURLError` with one line that names the problem. A password in the URL is refused (it
    would end up in shell history, logs and process lists); the message then quotes nothing of the URL at all.
    """
    stripped = text.strip()
    if not stripped:
        raise _invalid(f"it is empty; {_EXPECTED}")
    scheme, sep, rest = stripped.partition("://")
    if not sep:
        scheme, rest = "https", stripped
    scheme = scheme.lower()
    userinfo, at, rest = rest.rpartition("@")
    if at and ":" in userinfo:
        raise InvalidURLError(
            f"the vCenter URL{_for_host(rest)} contains a password: put the password in DRIFTGUARD_PASSWORD, "
            "not in the URL",
            host="?",
        )
    # Messages quote a host name only once it is known to be one: "https://admin:pa/ss" (no '@') must not show
    # "pa" as a port, because it is a password typed in the wrong place.
    if scheme not in SCHEMES:
        raise _invalid(f"only https:// (or http:// for a simulator) is supported; {_EXPECTED}")
    authority, path = _split_path(rest)
    hostname, port_text = _split_port(authority)
    port = _port(port_text, scheme, hostname)
    return VCenterURL(
        scheme=scheme,
        hostname=hostname,
        port=port,
        path=path if path not in ("", "/") else "/sdk",
        had_userinfo=bool(at),
    )


def _split_path(rest: str) -> tuple[str, str]:
    """(authority, path): the path loses any query or fragment, which the SDK endpoint has no use for."""
    match = re.match(r"([^/?#]*)([^?#]*)", rest)
    assert match is not None  # the pattern matches every string
    return match.group(1), match.group(2)


def _for_host(rest: str) -> str:
    """`` for <host>`` when what follows the userinfo is a valid host, else nothing."""
    try:
        hostname, _ = _split_port(_split_path(rest)[0])
    except InvalidURLError:
        return ""
    return f" for [{hostname}]" if ":" in hostname else f" for {hostname}"


def _invalid(reason: str) -> InvalidURLError:
    return InvalidURLError(f"invalid vCenter URL: {reason}", host="?")


def _split_port(authority: str) -> tuple[str, str | None]:
    if authority.startswith("["):
        end = authority.find("]")
        if end < 0:
            raise _invalid("unterminated IPv6 address (a '[' without its ']')")
        literal, after = authority[1:end], authority[end + 1 :]
        try:
            address = ipaddress.IPv6Address(literal)
        except ValueError:
            raise _invalid("the address in brackets is not an IPv6 address") from None
        if after and not after.startswith(":"):
            raise _invalid("unexpected text after the IPv6 address")
        return address.compressed, after[1:] if after else None
    if "]" in authority:
        raise _invalid("a ']' without its '['")
    hostname, colon, port_text = authority.rpartition(":") if ":" in authority else (authority, "", "")
    if not hostname:
        raise _invalid(f"no host name; {_EXPECTED}")
    if ":" in hostname:
        raise _invalid("write an IPv6 address in brackets, e.g. https://[fd00::10]/sdk")
    if not _HOSTNAME.fullmatch(hostname):
        raise _invalid("the host name contains characters no host name can have")
    return hostname.lower().rstrip("."), port_text if colon else None


def _port(text: str | None, scheme: str, hostname: str) -> int:
    if text is None or text == "":
        return SCHEMES[scheme]
    if not text.isascii() or not text.isdigit() or not 0 < int(text) < 65536:
        name = f"[{hostname}]" if ":" in hostname else hostname
        raise _invalid(f"the port after {name} must be a number from 1 to 65535")
    return int(text)


__all__ = ["SCHEMES", "InvalidURLError", "VCenterURL", "parse_vcenter_url"]
