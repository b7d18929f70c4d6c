"""Small helpers shared by the formatters."""

from __future__ import annotations

import json
from collections.abc import Callable, Sequence
from typing import Any, TypeVar

from driftguard.report.escape import md

MAX_VALUE_CHARS = 80
T = TypeVar("T")


def short(value: Any, limit: int = MAX_VALUE_CHARS) -> str:
    """A compact one-line rendering of a drift value for tables (JSON, so strings are quoted)."""
    if value is None:
        return "-"
    text = json.dumps(value, sort_keys=True, ensure_ascii=False, separators=(", ", ": "))
    return text if len(text) <= limit else text[: limit - 1] + "…"


def md_escape(text: str) -> str:
    """User text as inline Markdown (see :func:`driftguard.report.escape.md`)."""
    return md(text)


COMMENT_LIMIT = 65_536
"""GitHub's maximum issue/pull-request comment body (and job summary step), in characters."""
ROW_CAPS: tuple[int | None, ...] = (None, 200, 100, 50, 20, 10, 5, 0)
"""Rows per list tried in turn by :func:`fit_markdown` until a document fits."""


class RowCap:
    """Takes at most ``cap`` rows of each list it is given (all of them for None) and counts what it left out."""

    def __init__(self, cap: int | None) -> None:
        self.cap = cap
        self.left_out = 0

    def __call__(self, rows: Sequence[T]) -> Sequence[T]:
        if self.cap is None or len(rows) <= self.cap:
            return rows
        self.left_out += len(rows) - self.cap
        return rows[: self.cap]


def truncation_note(left_out: int, limit: int, where: str) -> str:
    """The Markdown line that says how many rows a capped document left out and where all of them are."""
    return f"> ✂️ Truncated to fit the {limit:,}-character comment limit: {left_out} row(s) not shown. {where}"


def fit_markdown(render: Callable[[RowCap], str], *, limit: int, where: str) -> str:
    """A Markdown document under ``limit`` characters: ``render`` is called with fewer rows per list
    (:data:`ROW_CAPS`) until its output fits (``render`` says what it left out, see :func:`truncation_note`);
    if even no rows do not fit, the document is cut at a line and says so. ``where`` names the full output."""
    text = ""
    for cap in ROW_CAPS:
        text = render(RowCap(cap))
        if len(text) <= limit:
            return text
    note = f"\n> ✂️ Cut at the {limit:,}-character comment limit. {where}\n"
    cut = text[: limit - len(note)]
    return cut[: cut.rfind("\n") + 1 if "\n" in cut else len(cut)] + note


PLURAL = {
    "cluster": "clusters",
    "host": "hosts",
    "vm": "VMs",
    "dvswitch": "distributed switches",
    "datastore": "datastores",
}


def hidden_line(report: object, noun: str) -> str:
    """ "12 changes hidden by ignore rules: vm:memory.* 12 (driftguard.yaml)", or "" when ignore rules hid nothing.

    Reads the report's ``suppressed`` (``items``, and ``rules`` with ``pattern``, ``source``, ``items`` each: the
    ``driftguard.diff/v1`` and ``driftguard.check/v1`` field) when the model has it.
    """
    suppressed = getattr(report, "suppressed", None)
    count = int(getattr(suppressed, "items", 0) or 0)
    if not count:
        return ""
    rules = [
        f"{getattr(rule, 'pattern', '?')} {getattr(rule, 'items', '?')}"
        + (f" ({rule.source})" if getattr(rule, "source", None) else "")
        for rule in getattr(suppressed, "rules", None) or []
    ]
    plural = noun if count == 1 else noun + "s"
    return f"{count} {plural} hidden by ignore rules" + (f": {', '.join(rules)}" if rules else "")


def exempted_line(report: object) -> str:
    """ "2 findings exempted; 1 exemption expired: DG-ZONE-001 on web01 (expired 2026-11-01)", or "".

    Reads ``exempted`` and ``expired_exemptions`` (lists of ``finding`` + ``exemption``) when the model has them.
    """
    exempted = list(getattr(report, "exempted", None) or [])
    expired = list(getattr(report, "expired_exemptions", None) or [])
    parts = []
    if exempted:
        parts.append(f"{len(exempted)} finding{'s' if len(exempted) != 1 else ''} exempted")
    if expired:
        which = ", ".join(
            f"{e.finding.rule_id} on {e.finding.name}"
            + (f" (expired {getattr(e.exemption, 'expires', None)})" if getattr(e.exemption, "expires", None) else "")
            for e in expired
        )
        parts.append(f"{len(expired)} exemption{'s' if len(expired) != 1 else ''} expired: {which}")
    return "; ".join(parts)
