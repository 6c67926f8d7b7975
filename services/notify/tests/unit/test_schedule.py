"""Quiet hours in WIB, the cap's day, and the waits between retries."""

import random
from datetime import UTC, datetime

import pytest

from notify.domain.schedule import WIB, QuietHours, backoff, due_at, wib_day

NIGHT = QuietHours.parse("21:00-06:00")


def wib(hour: int, minute: int = 0, day: int = 5) -> datetime:
    return datetime(2026, 11, day, hour, minute, tzinfo=WIB)


@pytest.mark.parametrize(
    ("moment", "released"),
    [
        (wib(20, 59), wib(20, 59)),
        (wib(21, 0), wib(6, 0, day=6)),
        (wib(23, 30), wib(6, 0, day=6)),
        (wib(0, 0), wib(6, 0)),
        (wib(5, 59), wib(6, 0)),
        (wib(6, 0), wib(6, 0)),
        (wib(12, 0), wib(12, 0)),
    ],
)
def test_phones_are_held_until_six_in_the_morning_wib(moment: datetime, released: datetime) -> None:
    assert due_at("whatsapp", moment, NIGHT) == released
    assert due_at("sms", moment.astimezone(UTC), NIGHT) == released
    assert due_at("email", moment, NIGHT) == moment


def test_quiet_hours_are_read_from_settings() -> None:
    assert QuietHours.parse("") is None
    assert due_at("sms", wib(23), None) == wib(23)
    day = QuietHours.parse("13:00-14:00")
    assert day is not None
    assert day.contains(wib(13, 30))
    assert not day.contains(wib(14))
    with pytest.raises(ValueError, match="21:00-06:00"):
        QuietHours.parse("nine to six")


def test_the_cap_counts_days_in_wib() -> None:
    assert str(wib_day(datetime(2026, 11, 5, 17, 30, tzinfo=UTC))) == "2026-11-06"
    assert str(wib_day(datetime(2026, 11, 5, 16, 59, tzinfo=UTC))) == "2026-11-05"


def test_backoff_grows_exponentially_is_capped_and_jittered() -> None:
    rng = random.Random(1)
    waits = [[backoff(n, base=1, cap=30, rng=rng) for _ in range(200)] for n in range(1, 9)]
    for attempt, samples in enumerate(waits, start=1):
        ceiling = min(30, 2 ** (attempt - 1))
        assert all(0 <= wait <= ceiling for wait in samples)
        assert max(samples) > ceiling * 0.8  # full jitter spreads over the whole range
        assert len(set(samples)) > 150
