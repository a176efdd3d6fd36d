"""Gross capacity, assigned hours and utilization: the hour figures every forecast metric starts from."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

from domain.forecast import CapacityCalendar, assigned_hours, utilization
from domain.forecast.calendar import month_bounds, periods
from tests.support.factories import resource_assignment

UK_BANK_HOLIDAYS = frozenset({date(2026, 4, 3), date(2026, 4, 6), date(2026, 5, 4), date(2026, 5, 25)})
CALENDAR = CapacityCalendar(hours_per_day={"UK": Decimal("7.5")}, holidays={"UK": UK_BANK_HOLIDAYS})


def test_32_billable_hours_of_a_40_hour_capacity_are_80_percent() -> None:
    assert utilization(Decimal("32"), Decimal("40")) == Decimal("80.0000")


def test_150_billable_hours_of_a_160_hour_capacity_are_93_75_percent() -> None:
    assert utilization(Decimal("150"), Decimal("160")) == Decimal("93.7500")


def test_utilization_is_a_percent_with_four_decimals_rounded_half_to_even() -> None:
    assert utilization(Decimal("1"), Decimal("3")) == Decimal("33.3333")
    assert utilization(Decimal("0.0000125"), Decimal("1")) == Decimal("0.0012")
    assert utilization(Decimal("0.0000135"), Decimal("1")) == Decimal("0.0014")


def test_utilization_of_a_month_without_capacity_is_undefined_not_zero() -> None:
    assert utilization(Decimal("8"), Decimal("0")) is None


def test_gross_capacity_is_weekdays_times_eight_hours_by_default() -> None:
    assert CapacityCalendar().gross_capacity("NA", "2026-02") == Decimal("160")
    assert CapacityCalendar().gross_capacity(None, "2026-04") == Decimal("176")


def test_a_regional_holiday_and_standard_day_reduce_only_that_regions_capacity() -> None:
    # May 2026: 21 weekdays; the UK loses two bank holidays and works 7.5-hour days.
    assert CALENDAR.gross_capacity("UK", "2026-05") == Decimal("142.5")
    assert CALENDAR.gross_capacity("NA", "2026-05") == Decimal("168")


def test_assigned_hours_are_a_fifth_of_the_weekly_hours_per_working_day_inside_the_assignment() -> None:
    full_april = resource_assignment(hours_per_week=Decimal("40"))
    late_april = resource_assignment(hours_per_week=Decimal("30"), start_date=date(2026, 4, 15))
    assert assigned_hours(full_april, CALENDAR, *month_bounds("2026-04")) == Decimal("176")
    # 15 to 30 April holds 12 working days of 6 hours.
    assert assigned_hours(late_april, CALENDAR, *month_bounds("2026-04")) == Decimal("72")


def test_assigned_hours_skip_the_holidays_of_the_assignments_region() -> None:
    uk = resource_assignment(region="UK", hours_per_week=Decimal("40"))
    assert assigned_hours(uk, CALENDAR, *month_bounds("2026-04")) == Decimal("160")


def test_an_assignment_outside_the_window_or_over_a_weekend_has_no_hours() -> None:
    april = resource_assignment()
    weekend = resource_assignment(start_date=date(2026, 4, 4), end_date=date(2026, 4, 5))
    assert assigned_hours(april, CALENDAR, *month_bounds("2026-05")) == 0
    assert assigned_hours(weekend, CALENDAR, *month_bounds("2026-04")) == 0


def test_months_run_across_a_year_end() -> None:
    assert list(periods("2025-11", "2026-02")) == ["2025-11", "2025-12", "2026-01", "2026-02"]
    assert month_bounds("2024-02") == (date(2024, 2, 1), date(2024, 2, 29))
