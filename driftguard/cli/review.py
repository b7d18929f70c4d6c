"""``driftguard history`` and ``driftguard show``: incident review of one object (docs/incident-review.md)."""

from __future__ import annotations

from pathlib import Path

import typer

from driftguard import api
from driftguard.cli.exits import EXIT_OK
from driftguard.cli.options import IGNORE, OUTPUT, REPO, SINCE, UNTIL, VCENTER_NAME, format_option
from driftguard.cli.output import emit
from driftguard.cli.render import REPORT_FORMATS, Format
from driftguard.report.review import (
    history_json,
    history_jsonl,
    history_markdown,
    history_text,
    object_json,
    object_markdown,
    object_text,
)

KIND_ARG = typer.Argument(..., metavar="KIND", help="cluster, host, vm, dvswitch or datastore.")
IDENT_ARG = typer.Argument(..., metavar="NAME|MOREF", help="The object's name (now or at the time) or its moref.")
HISTORY_FORMAT = format_option((*REPORT_FORMATS, Format.jsonl), note=" (jsonl: one change per line)")
SHOW_FORMAT = format_option(note=" (json: the canonical JSON of the object)")


def history(
    kind: str = KIND_ARG,
    ident: str = IDENT_ARG,
    repo: Path = REPO,
    vcenter_name: str | None = VCENTER_NAME,
    path: str | None = typer.Option(
        None, "--path", help='Only the fields matching this path glob (cpu.*, ha.options["das.*"]).'
    ),
    since: str | None = SINCE,
    until: str | None = UNTIL,
    reverse: bool = typer.Option(False, "--reverse", help="Newest first (default: oldest first)."),
    ignore: list[str] = IGNORE,
    fmt: Format = HISTORY_FORMAT,
    output: Path | None = OUTPUT,
) -> int:
    """Every change of one object across the stored snapshots: old → new, who, when, evidence, commit."""
    result = api.history(repo, kind, ident, path=path, since=since, until=until, vcenter=vcenter_name, ignore=ignore)
    # names of the objects the changes refer to by moref (the clusters of a move), as of the oldest and latest change
    ends = [result.entries[0].commit, result.entries[-1].commit] if result.entries else []
    names = api.names_at(repo, result.vcenter, ends) if fmt in (Format.text, Format.markdown) else None
    emit(
        fmt,
        output,
        text=lambda out: history_text(result, out, newest_first=reverse, names=names),
        json=lambda: history_json(result, newest_first=reverse),
        markdown=lambda: history_markdown(result, newest_first=reverse, names=names),
        jsonl=lambda: history_jsonl(result, newest_first=reverse),
    )
    return EXIT_OK


def show(
    kind: str = KIND_ARG,
    ident: str = IDENT_ARG,
    repo: Path = REPO,
    vcenter_name: str | None = VCENTER_NAME,
    at: str | None = typer.Option(
        None, "--at", help="A revision, or a time (2026-11-29: the state at the end of that day; 7d; yesterday)."
    ),
    fmt: Format = SHOW_FORMAT,
    output: Path | None = OUTPUT,
) -> int:
    """One object's stored configuration at a point in time (default: the latest snapshot)."""
    stored = api.show(repo, kind, ident, at=at, vcenter=vcenter_name)
    emit(
        fmt,
        output,
        text=lambda out: object_text(stored, out),
        json=lambda: object_json(stored),
        markdown=lambda: object_markdown(stored),
    )
    return EXIT_OK
