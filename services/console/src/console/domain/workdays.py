"""Working days in Indonesia: Monday to Friday, less national holidays (libur nasional) and
cuti bersama, as the `holidays` package lists them for country ID (categories `public` and
`government`, the joint leave days of the SKB). Dates the package marks "(estimated)" (Islamic
holidays of a year whose decree is not out yet) are counted as holidays and shown as estimates.
"""

from datetime import date, timedelta
from functools import lru_cache

import holidays

CATEGORIES = ("public", "government")


@lru_cache(maxsize=32)
def _year(year: int) -> dict[date, str]:
    return dict(holidays.country_holidays("ID", years=year, categories=CATEGORIES, language="id"))


def holiday_name(day: date) -> str | None:
    return _year(day.year).get(day)


def is_working_day(day: date) -> bool:
    return day.weekday() < 5 and holiday_name(day) is None


def working_days_between(first: date, last: date) -> int:
    """Working days from `first` to `last`, both included; 0 when last < first."""
    count, day = 0, first
    while day <= last:
        count += is_working_day(day)
        day += timedelta(days=1)
    return count


def nth_working_day(start: date, n: int) -> date:
    """The n-th working day counting `start` as the first if it is one (n >= 1)."""
    if n < 1:
        raise ValueError("n must be at least 1")
    day, seen = start, 0
    while True:
        if is_working_day(day):
            seen += 1
            if seen == n:
                return day
        day += timedelta(days=1)


def holidays_between(first: date, last: date) -> list[tuple[date, str]]:
    """Holidays on weekdays in the span: the days that are not worked although not weekends."""
    days = []
    for year in range(first.year, last.year + 1):
        days += [(d, n) for d, n in _year(year).items() if first <= d <= last and d.weekday() < 5]
    return sorted(days)
