"""The state repo's remote as a URI safe to publish (SARIF ``versionControlProvenance.repositoryUri``).

A remote URL can carry credentials (``https://bot:TOKEN@host/repo.git``); what leaves here never does. Git's
scp-like form (``git@github.com:org/repo.git``) is not a URI: it becomes ``ssh://github.com/org/repo.git``.
"""

from __future__ import annotations

import re
from pathlib import PurePosixPath
from urllib.parse import quote, urlsplit

_SCP_LIKE = re.compile(r"^(?:[^@/]+@)?(?P<host>\[[^\]]+\]|[^:/]+):(?P<path>(?!//).*)$")
_PATH_SAFE = "/%:@!$&'()*+,;=-._~"
"""RFC 3986 ``pchar`` and ``/``: kept; anything else (a space, a non-ASCII letter) is percent-encoded."""


def public_uri(url: str) -> str | None:
    """``url`` as an absolute URI without userinfo, query or fragment; None when it is not a remote URL at all."""
    url = url.strip()
    if not url:
        return None
    if "://" not in url:
        scp = _SCP_LIKE.match(url)
        if scp and not PurePosixPath(url).is_absolute():
            return f"ssh://{scp['host']}/{quote(scp['path'].lstrip('/'), safe=_PATH_SAFE)}"
        if PurePosixPath(url).is_absolute():
            return "file://" + quote(url, safe=_PATH_SAFE)
        return None  # a relative path: nothing anyone else can resolve
    try:
        parts = urlsplit(url)
        port = parts.port
    except ValueError:
        return None
    host = parts.hostname or ""
    if ":" in host:
        host = f"[{host}]"
    netloc = host + (f":{port}" if port is not None else "")
    if not parts.scheme or (not netloc and parts.scheme != "file"):
        return None
    return f"{parts.scheme.lower()}://{netloc}{quote(parts.path, safe=_PATH_SAFE)}"
