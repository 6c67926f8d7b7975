"""A hiring campaign's arithmetic: where it stands, the pace it runs at, the pace it needs."""

from dataclasses import dataclass
from datetime import date

from . import workdays


@dataclass(frozen=True)
class Campaign:
    slug: str
    name: str
    target: int
    starts_on: date
    working_days: int

    @property
    def deadline(self) -> date:
        return workdays.nth_working_day(self.starts_on, self.working_days)


@dataclass(frozen=True)
class Progress:
    placed: int
    hires: int
    target: int
    working_days: int
    elapsed: int  # working days from the start to today, today included
    remaining: int  # working days after today up to the deadline
    deadline: date

    @property
    def local_share(self) -> float | None:
        return 100.0 * self.placed / self.hires if self.hires else None

    @property
    def percent(self) -> float:
        return 100.0 * self.placed / self.target if self.target else 0.0

    @property
    def run_rate(self) -> float:
        """Local hires per working day so far."""
        return self.placed / self.elapsed if self.elapsed else 0.0

    @property
    def needed_rate(self) -> float | None:
        """Local hires per working day still needed to reach the target; None when time is up."""
        missing = max(self.target - self.placed, 0)
        if missing == 0:
            return 0.0
        return missing / self.remaining if self.remaining else None

    @property
    def projection(self) -> int:
        """Where the current pace lands on the deadline."""
        return round(self.placed + self.run_rate * self.remaining)

    @property
    def on_track(self) -> bool:
        return self.projection >= self.target


def progress(campaign: Campaign, *, placed: int, hires: int, today: date) -> Progress:
    deadline = campaign.deadline
    last_counted = min(today, deadline)
    elapsed = workdays.working_days_between(campaign.starts_on, last_counted)
    return Progress(
        placed=placed,
        hires=hires,
        target=campaign.target,
        working_days=campaign.working_days,
        elapsed=elapsed,
        remaining=campaign.working_days - elapsed,
        deadline=deadline,
    )


def pace_line(campaign: Campaign, *, upto: date) -> list[tuple[date, float]]:
    """The even pace to the target: (working day, cumulative hires it should have reached)."""
    points, day, n = [], campaign.starts_on, 0
    deadline = campaign.deadline
    while day <= min(upto, deadline):
        if workdays.is_working_day(day):
            n += 1
            points.append((day, campaign.target * n / campaign.working_days))
        day = date.fromordinal(day.toordinal() + 1)
    return points
