"""Months, working days, gross capacity and assigned hours: the hour figures every metric starts from."""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from datetime import UTC, date, datetime, timedelta
from decimal import ROUND_HALF_EVEN, Decimal
from functools import lru_cache
from typing import Annotated

from pydantic import BaseModel, ConfigDict, Field

from domain.records.psa import ResourceAssignment

Period = Annotated[str, Field(pattern=r"^\d{4}-(0[1-9]|1[0-2])$")]
CENT = Decimal("0.01")
BASIS_POINT = Decimal("0.0001")
WORKING_DAYS_PER_WEEK = 5


class Config(BaseModel):
    """Base of immutable forecasting configuration, loadable from JSON settings."""

    model_config = ConfigDict(frozen=True, extra="forbid")


class CapacityCalendar(Config):
    """Standard hours per working day and holidays, per region; working days are Mon-Fri minus holidays."""

    default_hours_per_day: Annotated[Decimal, Field(gt=0)] = Decimal("8")
    hours_per_day: Mapping[str, Annotated[Decimal, Field(gt=0)]] = {}
    holidays: Mapping[str, frozenset[date]] = {}

    def hours_per_day_in(self, region: str | None) -> Decimal:
        """Return the standard hours of one working day in a region (the default for an unknown region)."""
        if region is None:
            return self.default_hours_per_day
        return self.hours_per_day.get(region, self.default_hours_per_day)

    def working_days(self, region: str | None, start: date, end: date) -> int:
        """Return the working days from `start` to `end`, both included, in a region."""
        off = self.holidays.get(region, _NO_HOLIDAYS) if region is not None else _NO_HOLIDAYS
        return _working_days(off, start, end)

    def gross_capacity(self, region: str | None, period: str) -> Decimal:
        """Return a month's gross capacity in hours: working days x standard hours per day."""
        first, last = month_bounds(period)
        return self.working_days(region, first, last) * self.hours_per_day_in(region)


def assigned_hours(
    assignment: ResourceAssignment, calendar: CapacityCalendar, start: date, end: date
) -> Decimal:
    """Return an assignment's exact hours from `start` to `end`: hours per week / 5 per working day.

    Working days are counted in the assignment's region and inside its own start and end dates.
    """
    first, last = max(start, assignment.start_date), min(end, assignment.end_date)
    if first > last:
        return Decimal(0)
    per_day = assignment.hours_per_week / WORKING_DAYS_PER_WEEK
    return per_day * calendar.working_days(assignment.region, first, last)


_NO_HOLIDAYS: frozenset[date] = frozenset()


# Every event re-reads the same few months of the same calendars: count each span once per process.
@lru_cache(maxsize=1 << 16)
def _working_days(off: frozenset[date], start: date, end: date) -> int:
    """Return the days from `start` to `end`, both included, that are Mon-Fri and not in `off`."""
    return sum(1 for day in days(start, end) if day.weekday() < WORKING_DAYS_PER_WEEK and day not in off)


def days(start: date, end: date) -> Iterator[date]:
    """Yield every day from `start` to `end`, both included."""
    for offset in range((end - start).days + 1):
        yield start + timedelta(days=offset)


@lru_cache(maxsize=1 << 14)
def period_of(day: date) -> str:
    """Return the month ("YYYY-MM") a day falls in."""
    return f"{day.year:04d}-{day.month:02d}"


@lru_cache(maxsize=1 << 12)
def month_bounds(period: str) -> tuple[date, date]:
    """Return the first and the last day of a month."""
    first = date(int(period[:4]), int(period[5:7]), 1)
    following = date(first.year + first.month // 12, first.month % 12 + 1, 1)
    return first, following - timedelta(days=1)


def periods(first: str, last: str) -> Iterator[str]:
    """Yield every month from `first` to `last`, both included."""
    yield from _periods(first, last)


@lru_cache(maxsize=1 << 12)
def _periods(first: str, last: str) -> tuple[str, ...]:
    """Return every month from `first` to `last`, both included."""
    months = []
    start, _ = month_bounds(first)
    while period_of(start) <= last:
        months.append(period_of(start))
        start = month_bounds(period_of(start))[1] + timedelta(days=1)
    return tuple(months)


def day_of(as_of: datetime) -> date:
    """Return the UTC date of an aware instant; a naive one is refused, never guessed."""
    if as_of.tzinfo is None or as_of.utcoffset() is None:
        raise ValueError("as_of must be timezone-aware")
    return as_of.astimezone(UTC).date()


def to_cents(value: Decimal) -> Decimal:
    """Round money or hours to 2 decimals, half to even."""
    return value.quantize(CENT, rounding=ROUND_HALF_EVEN)


def to_percent(part: Decimal, whole: Decimal) -> Decimal | None:
    """Return `part` as a percent of `whole` with 4 decimals, half to even; None when `whole` is zero."""
    if whole == 0:
        return None
    return (part * 100 / whole).quantize(BASIS_POINT, rounding=ROUND_HALF_EVEN)
