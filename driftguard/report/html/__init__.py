"""The static HTML report (``driftguard report --html DIR``): an overview, a filterable timeline, one page per
object that changed and the findings by rule — plain files that open from ``file://`` with no server and no
network (docs/report.md).

Every page carries a Content-Security-Policy that allows only the site's own files (``script-src 'self'``, no
inline script or style, nothing remote); Jinja2 escapes every value; the timeline's script builds its rows with
``textContent``. The site is written into a fresh directory beside ``DIR`` and swapped in whole, so a failure
never leaves half a report, and only a directory that holds a previous report (its marker file) is replaced.
"""

from __future__ import annotations

import secrets
import shutil
from dataclasses import dataclass
from pathlib import Path

from driftguard.report.html.pages import CSP, render
from driftguard.report.html.site import SiteInput

MARKER = ".driftguard-report"
"""The file that marks a directory as a report driftguard wrote, and may therefore replace."""


class SiteDirectoryError(Exception):
    """``DIR`` exists and is not a report driftguard wrote (or is not a directory): nothing is replaced."""


@dataclass(frozen=True)
class SiteStats:
    path: Path
    pages: int
    objects: int
    files: int
    bytes: int


def _replaceable(out: Path) -> None:
    if not out.exists():
        return
    if not out.is_dir():
        raise SiteDirectoryError(f"{out} exists and is not a directory")
    if any(out.iterdir()) and not (out / MARKER).is_file():
        raise SiteDirectoryError(f"{out} is not empty and holds no driftguard report: pick a new or empty directory")


def _fresh(out: Path, what: str) -> Path:
    """A new directory beside ``out`` (same file system, so renames are atomic), with the umask's permissions:
    a published report is meant to be read."""
    path = out.parent / f".{out.name}.{what}-{secrets.token_hex(4)}"
    path.mkdir()
    return path


def size(path: Path) -> tuple[int, int]:
    """Files under ``path`` and their total size in bytes."""
    files = [p for p in path.rglob("*") if p.is_file()]
    return len(files), sum(p.stat().st_size for p in files)


def write_site(site: SiteInput, out: Path) -> SiteStats:
    """Render ``site`` and put it at ``out`` in one step (a previous report there is replaced)."""
    out = out.absolute()
    _replaceable(out)
    out.parent.mkdir(parents=True, exist_ok=True)
    work = _fresh(out, "new")
    try:
        (work / MARKER).write_text("driftguard HTML report: this directory is replaced by the next run\n")
        pages = render(site, work)
        if out.exists():
            old = _fresh(out, "old")
            out.rename(old / "site")
            try:
                work.rename(out)
            except OSError:
                (old / "site").rename(out)
                raise
            shutil.rmtree(old, ignore_errors=True)
        else:
            work.rename(out)
    except BaseException:
        shutil.rmtree(work, ignore_errors=True)
        raise
    files, total = size(out)
    return SiteStats(path=out, pages=pages, objects=pages - 3, files=files, bytes=total)


__all__ = ["CSP", "MARKER", "SiteDirectoryError", "SiteInput", "SiteStats", "write_site"]
