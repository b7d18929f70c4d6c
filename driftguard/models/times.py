"""Times: every model time is an aware UTC ``datetime``, written to JSON one way.

The JSON form is :func:`iso` — ``datetime.isoformat`` in UTC (``2026-11-29T02:17:54+00:00``, microseconds only
when there are some), the format the ``driftguard.diff/v1`` contract has always carried. A naive time (the
simulator's, or a hand-written file's) is taken to be UTC. :func:`now` is the one wall clock of driftguard.
"""

from __future__ import annotations

import re
from datetime import UTC, date, datetime, timedelta
from typing import Annotated

from pydantic import AfterValidator, BeforeValidator, PlainSerializer


def now() -> datetime:
    """The current time, aware UTC."""
    return datetime.now(UTC)


def utc(moment: datetime) -> datetime:
    """``moment`` as an aware UTC time (a naive time is taken to be UTC)."""
    return moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment.astimezone(UTC)


def iso(moment: datetime) -> str:
    """The one text form of a time: ISO 8601 in UTC with a ``+00:00`` offset."""
    return utc(moment).isoformat()


def iso_z(moment: datetime) -> str:
    """:func:`iso` with ``Z`` for the offset: the form log stamps in evidence files (``DG-EVIDENCE-*`` findings)
    have always had."""
    return iso(moment).removesuffix("+00:00") + "Z"


def parse_time(text: str) -> datetime:
    """An ISO 8601 text (``Z`` or an offset; none means UTC) as an aware UTC time; ``ValueError`` otherwise."""
    return utc(datetime.fromisoformat(text))


_AGO = re.compile(r"(\d+)([mhdw])")
_UNITS = {"m": "minutes", "h": "hours", "d": "days", "w": "weeks"}


def parse_when(text: str, *, at: datetime | None = None, end: bool = False) -> datetime | None:
    """A point in time as people write it for ``--since``/``--until``/``--at``: an ISO 8601 time or date
    (``2026-11-29``), ``today``, ``yesterday``, or an age (``90m``, ``12h``, ``7d``, ``2w`` before ``at``, default
    now). None when ``text`` is none of these (the caller may read it as a revision). With ``end``, a whole day
    (a date, ``today``, ``yesterday``) means its end, so ``--until 2026-11-29`` includes that day."""
    current = utc(at) if at is not None else now()
    word = text.strip().lower()
    day: date | None = None
    if word in ("today", "yesterday"):
        day = current.date() - timedelta(days=1 if word == "yesterday" else 0)
    elif match := _AGO.fullmatch(word):
        return current - timedelta(**{_UNITS[match.group(2)]: int(match.group(1))})
    elif re.fullmatch(r"\d{4}-\d{2}-\d{2}", word):
        try:
            day = date.fromisoformat(word)
        except ValueError:
            return None
    else:
        try:
            return parse_time(text.strip())
        except ValueError:
            return None
    start = datetime(day.year, day.month, day.day, tzinfo=UTC)
    return start + timedelta(days=1) - timedelta(microseconds=1) if end else start


def parse_time_or_none(text: object) -> datetime | None:
    """:func:`parse_time` for text read back from a place driftguard does not fully own (a commit trailer, a git
    note): None when it is missing, empty or not a time, so a hand-edited value degrades instead of failing."""
    if not isinstance(text, str) or not text:
        return None
    try:
        return parse_time(text)
    except ValueError:
        return None


def display(moment: datetime | None) -> str:
    """A time for tables: ``2026-11-29 02:17:54Z`` (full precision stays in JSON); ``-`` for none."""
    return "-" if moment is None else utc(moment).strftime("%Y-%m-%d %H:%M:%SZ")


UtcTime = Annotated[datetime, AfterValidator(utc), PlainSerializer(iso, return_type=str, when_used="json")]
"""The type of every time field of the models: validated to aware UTC, serialised by :func:`iso`."""


def _blank_is_none(value: object) -> object:
    return None if value == "" else value


MaybeTime = Annotated[UtcTime | None, BeforeValidator(_blank_is_none)]
"""An optional time; an empty text (what manifests written before times were typed held for a time the
source did not give) reads as None."""
