"""When a message may go out: quiet hours in Western Indonesian Time, the cap's day, and the
waits between retries."""

import random
import re
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta, timezone

# Asia/Jakarta has kept UTC+7 without daylight saving since 1964; a fixed offset needs no tzdata.
WIB = timezone(timedelta(hours=7), "WIB")
_SPAN = re.compile(r"(\d{1,2}):(\d{2})-(\d{1,2}):(\d{2})")
PHONE_CHANNELS = frozenset({"whatsapp", "sms"})


@dataclass(frozen=True)
class QuietHours:
    """A nightly span (start inclusive, end exclusive) in WIB when phones are not disturbed."""

    start: time
    end: time

    @classmethod
    def parse(cls, text: str) -> "QuietHours | None":
        """`21:00-06:00`; empty means no quiet hours."""
        if not text.strip():
            return None
        match = _SPAN.fullmatch(text.strip())
        if not match:
            raise ValueError(f"quiet hours must look like 21:00-06:00, not {text!r}")
        h1, m1, h2, m2 = (int(part) for part in match.groups())
        return cls(time(h1, m1), time(h2, m2))

    def contains(self, moment: datetime) -> bool:
        local = moment.astimezone(WIB).time()
        if self.start <= self.end:
            return self.start <= local < self.end
        return local >= self.start or local < self.end

    def release(self, moment: datetime) -> datetime:
        """`moment` itself outside quiet hours, else the end of this quiet span (UTC)."""
        if not self.contains(moment):
            return moment
        local = moment.astimezone(WIB)
        end = datetime.combine(local.date(), self.end, tzinfo=WIB)
        if end <= local:
            end += timedelta(days=1)
        return end.astimezone(UTC)


def due_at(channel: str, now: datetime, quiet: QuietHours | None) -> datetime:
    """Phones wait for the morning; email is never held."""
    if quiet is None or channel not in PHONE_CHANNELS:
        return now
    return quiet.release(now)


def wib_day(moment: datetime) -> date:
    return moment.astimezone(WIB).date()


def backoff(attempt: int, *, base: float, cap: float, rng: random.Random | None = None) -> float:
    """Seconds to wait after the `attempt`-th failure: capped exponential with full jitter, so
    that a provider coming back is not hit by every retry at the same instant."""
    ceiling = min(cap, base * 2 ** max(attempt - 1, 0))
    return (rng or random).uniform(0, ceiling)
