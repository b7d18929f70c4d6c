"""The secrets scanner of issue 8 ("Build"): every place a run can write to, and every form a secret can take there.

A *place* is one named byte string: one captured stdout or stderr, one file (of the state repo's work tree, of its
``.git`` directory, of HOME / XDG_* / TMPDIR, of the environment dumps the state repo's hooks wrote), or the
decompressed content of every git object (``git cat-file --batch-all-objects --batch``, which holds what loose and
packed objects hide behind zlib: commits, trees, blobs and notes). A *needle* is one form of a secret: the password
as typed, URL-encoded (``quote`` and ``quote_plus``), its random tail alone (what is left when a URL parser cuts at
``/``, ``#``, ``@`` or ``:``), base64, and each ``vmware_soap_session`` cookie value the simulator handed out.

:class:`CookieProxy` is the fault proxy of ``_proxy.py`` that also writes down every session cookie it passes on.
"""

from __future__ import annotations

import base64
import re
import secrets
import subprocess
import threading
from collections.abc import Iterable
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler
from pathlib import Path
from urllib.parse import quote, quote_plus

from tests.faults._proxy import FaultProxy, _Handler

COOKIE = re.compile(r'vmware_soap_session="?([^";,\s]+)')

HOOKS = ("post-commit", "reference-transaction", "pre-auto-gc", "post-checkout")
"""Hooks installed in the state repo; each appends the environment it receives to a file outside the repo."""


def distinctive_password() -> str:
    """A password no program writes by chance, with the characters URL parsers split at (``/ # @ :``)."""
    return f"S3cr3t/#@:pw-{secrets.token_hex(8)}"


def password_needles(password: str) -> dict[str, bytes]:
    tail = password.rsplit(":", 1)[-1]
    forms = {
        "password": password,
        "password, URL-encoded": quote(password, safe=""),
        "password, form-encoded": quote_plus(password),
        "password, tail after the last ':'": tail,
        "password, base64": base64.b64encode(password.encode()).decode(),
    }
    return {name: value.encode() for name, value in forms.items()}


# -- the proxy that remembers session cookies ------------------------------------------------------------------


class CookieProxy(FaultProxy):
    """A :class:`FaultProxy` that records each ``vmware_soap_session`` value the simulator sets (``cookies``)."""

    def __init__(self, upstream_url: str) -> None:
        super().__init__(upstream_url)
        self.cookies: set[str] = set()
        self._cookie_lock = threading.Lock()
        self._server.RequestHandlerClass = _cookie_handler(self)

    def __enter__(self) -> CookieProxy:
        super().__enter__()
        return self

    def remember(self, headers: Iterable[tuple[str, str]]) -> None:
        with self._cookie_lock:
            for name, value in headers:
                if name.lower() == "set-cookie":
                    self.cookies.update(COOKIE.findall(value))


class _CookieHandler(_Handler):
    proxy: CookieProxy

    def _forward(self, request: bytes) -> tuple[int, str, list[tuple[str, str]], bytes]:
        status, reason, headers, body = super()._forward(request)
        self.proxy.remember(headers)
        return status, reason, headers, body


def _cookie_handler(proxy: CookieProxy) -> type[BaseHTTPRequestHandler]:
    return type("CookieHandler", (_CookieHandler,), {"proxy": proxy})


# -- hooks -----------------------------------------------------------------------------------------------------


def install_env_hooks(repo: Path, dump_dir: Path) -> None:
    """Hooks in ``repo`` that append ``env`` (NUL-separated, so multi-line values stay whole) to ``dump_dir``."""
    dump_dir.mkdir(parents=True, exist_ok=True)
    hooks = repo / ".git" / "hooks"
    hooks.mkdir(parents=True, exist_ok=True)
    for name in HOOKS:
        script = hooks / name
        script.write_text(
            "#!/bin/sh\n"
            "# driftguard's secrets test: what environment does a hook in the state repo receive?\n"
            f'env -0 >> "{dump_dir}/{name}.$$.env"\n'
            'if [ "$(basename "$0")" = reference-transaction ]; then cat > /dev/null; fi\n'
            "exit 0\n"
        )
        script.chmod(0o755)


# -- places and the scan ---------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Place:
    kind: str
    """``output``, ``work tree``, ``git dir`` (raw files: config, reflogs, refs incl. notes), ``git objects``,
    ``hook env``, ``home`` (HOME, XDG_*, TMPDIR: where a crash report or log would go)."""
    name: str
    data: bytes


@dataclass(frozen=True)
class Leak:
    needle: str
    place: Place

    def __str__(self) -> str:
        return f"{self.needle} found in {self.place.kind}: {self.place.name}"


@dataclass
class Inventory:
    places: list[Place] = field(default_factory=list)

    def add(self, kind: str, name: str, data: bytes | str) -> None:
        self.places.append(Place(kind, name, data.encode() if isinstance(data, str) else data))

    def add_files(self, kind: str, root: Path, *, skip: Path | None = None) -> None:
        """Every regular file under ``root`` (symlinks not followed), except those under ``skip``."""
        if not root.exists():
            return
        paths = sorted(root.rglob("*"))
        # file names are written too (a report named after a URL would leak through its name)
        self.add(kind, f"{root}: file names", "\n".join(str(path.relative_to(root)) for path in paths))
        for path in paths:
            if skip is not None and path.is_relative_to(skip):
                continue
            if path.is_file() and not path.is_symlink():
                self.add(kind, str(path), path.read_bytes())

    def add_repo(self, repo: Path) -> None:
        git_dir = repo / ".git"
        self.add_files("work tree", repo, skip=git_dir)
        self.add_files("git dir", git_dir)
        objects = subprocess.run(
            ["git", "-C", str(repo), "cat-file", "--batch-all-objects", "--batch", "--unordered"],
            capture_output=True,
            check=True,
        ).stdout
        self.add("git objects", f"{repo}: every object, decompressed", objects)
        for what, args in {
            "reflogs": ["reflog", "show", "--all", "--format=%H %gD %gs"],
            "notes": ["log", "--all", "--notes=*", "--format=%H%n%N"],
            "config": ["config", "--list", "--show-origin"],
        }.items():
            out = subprocess.run(["git", "-C", str(repo), *args], capture_output=True, check=False).stdout
            self.add("git dir", f"{repo}: git {what}", out)

    @property
    def total_bytes(self) -> int:
        return sum(len(place.data) for place in self.places)

    def kinds(self) -> dict[str, int]:
        counts: dict[str, int] = {}
        for place in self.places:
            counts[place.kind] = counts.get(place.kind, 0) + 1
        return counts

    def scan(self, needles: dict[str, bytes]) -> list[Leak]:
        assert needles and all(len(value) >= 8 for value in needles.values()), needles  # short needles prove little
        return [Leak(name, place) for place in self.places for name, value in needles.items() if value in place.data]
