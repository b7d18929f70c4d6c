"""Where a report goes: stdout (through :func:`~driftguard.cli.render.render`) or ``--output FILE``, written
atomically (a temporary file in the same directory, flushed and renamed over the target): an interrupted or
failed run leaves the old file or none, never half a report."""

from __future__ import annotations

import contextlib
import io
import os
import tempfile
from collections.abc import Callable
from pathlib import Path

import typer
from rich.console import Console

from driftguard.api import OperationalError, UsageError
from driftguard.cli.render import Format, render

Producer = Callable[[], str]


def write_atomic(path: Path, content: str) -> None:
    """Write ``content`` to ``path`` through a temporary file and a rename."""
    directory = path.parent if str(path.parent) else Path()
    if not directory.is_dir():
        raise UsageError(f"--output {path}: no such directory {directory}")
    if path.is_dir():
        raise UsageError(f"--output {path}: is a directory")
    fd, temp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=directory)
    try:
        with os.fdopen(fd, "w", encoding="utf-8", newline="") as handle:
            handle.write(content)
            handle.flush()
            os.fsync(handle.fileno())
        Path(temp).replace(path)
    except OSError as exc:
        with contextlib.suppress(OSError):
            Path(temp).unlink()
        raise OperationalError(f"cannot write --output {path}: {exc.strerror or exc}; nothing written") from None
    except BaseException:
        with contextlib.suppress(OSError):
            Path(temp).unlink()
        raise


def _text_of(draw: Callable[[Console], None]) -> str:
    buffer = io.StringIO()
    draw(Console(file=buffer, highlight=False, soft_wrap=False, no_color=True, force_terminal=False))
    return buffer.getvalue()


def emit(
    fmt: Format,
    output: Path | None,
    *,
    text: Callable[[Console], None],
    json: Producer | None = None,
    markdown: Producer | None = None,
    sarif: Producer | None = None,
    jsonl: Producer | None = None,
) -> None:
    """One report in ``fmt`` to stdout, or to ``output`` (atomically)."""
    if fmt is Format.jsonl:
        if jsonl is None:
            raise UsageError("--format jsonl is not available for this command")
        content = jsonl()
    elif output is None:
        render(fmt, text=text, json=json, markdown=markdown, sarif=sarif)
        return
    elif fmt is Format.text:
        content = _text_of(text)
    else:
        produce = {Format.json: json, Format.markdown: markdown, Format.sarif: sarif}[fmt]
        if produce is None:
            raise UsageError(f"--format {fmt.value} is not available for this command")
        content = produce()
    if output is None:
        typer.echo(content, nl=False)
    else:
        write_atomic(output, content)
