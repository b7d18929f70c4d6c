"""Model times: aware UTC datetimes with one JSON form (driftguard.models.times)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone

from hypothesis import given
from hypothesis import strategies as st

from driftguard.models import Attribution, Candidate, Event
from driftguard.models.times import display, iso, parse_time, utc

CET = timezone(timedelta(hours=1))


def test_naive_and_offset_times_become_utc() -> None:
    assert utc(datetime(2026, 11, 28, 3, 0)) == datetime(2026, 11, 28, 3, 0, tzinfo=UTC)
    assert utc(datetime(2026, 11, 28, 4, 0, tzinfo=CET)).tzinfo is UTC
    assert parse_time("2026-11-28T03:00:00Z") == parse_time("2026-11-28T04:00:00+01:00")


def test_json_keeps_the_diff_v1_format() -> None:
    attribution = Attribution(status="attributed", time="2026-11-28T04:00:00+01:00")
    assert attribution.model_dump(mode="json")["time"] == "2026-11-28T03:00:00+00:00"
    assert attribution.time == datetime(2026, 11, 28, 3, 0, tzinfo=UTC)
    candidate = Candidate(confidence="exact", event_type="X", time=datetime(2026, 11, 28, 3, 0, 0, 5))
    assert candidate.model_dump(mode="json")["time"] == "2026-11-28T03:00:00.000005+00:00"
    event = Event(key=1, type="X", created="2026-11-28T03:00:00Z")
    assert event.model_dump(mode="json")["created"] == "2026-11-28T03:00:00+00:00"


@given(st.datetimes(timezones=st.just(UTC) | st.none()))
def test_json_round_trip(moment: datetime) -> None:
    attribution = Attribution(status="attributed", time=moment)
    again = Attribution.model_validate_json(attribution.model_dump_json())
    assert again == attribution and again.time == utc(moment)
    assert parse_time(iso(moment)) == utc(moment)


def test_display_for_tables() -> None:
    assert display(datetime(2026, 11, 29, 2, 17, 54, 123, tzinfo=UTC)) == "2026-11-29 02:17:54Z"
    assert display(datetime(2026, 11, 29, 3, 17, 54, tzinfo=CET)) == "2026-11-29 02:17:54Z"
    assert display(None) == "-"
