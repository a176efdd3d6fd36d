"""A resource-month's figures: gross capacity, assigned and billable hours, utilization, conflicts."""

from __future__ import annotations

from decimal import Decimal

from domain.exceptions import Issue, exception_id
from domain.forecast.calendar import to_cents, to_percent
from domain.forecast.config import ForecastContext
from domain.forecast.resource_view import ResourcePlanView
from domain.forecast.state import ResourceMonth
from domain.forecast.values import HOURS, PERCENT, ForecastValue
from domain.records.forecast import SubjectType
from domain.records.ops import ExceptionReason

GROSS_CAPACITY = "gross_capacity"
ASSIGNED_HOURS = "assigned_hours"
BILLABLE_HOURS = "billable_hours"
PLANNED_UTILIZATION = "planned_utilization"
ACTUAL_UTILIZATION = "actual_utilization"

METRICS = (GROSS_CAPACITY, ASSIGNED_HOURS, BILLABLE_HOURS, PLANNED_UTILIZATION, ACTUAL_UTILIZATION)
UNITS = {
    GROSS_CAPACITY: HOURS,
    ASSIGNED_HOURS: HOURS,
    BILLABLE_HOURS: HOURS,
    PLANNED_UTILIZATION: PERCENT,
    ACTUAL_UTILIZATION: PERCENT,
}
NOTHING: frozenset[str] = frozenset()


def utilization(hours: Decimal, gross_capacity: Decimal) -> Decimal | None:
    """Return hours as a percent of gross capacity (4 decimals, half to even); None without capacity."""
    return to_percent(hours, gross_capacity)


def _value(resource_id: str, period: str, metric: str, value: Decimal) -> ForecastValue:
    return ForecastValue(
        subject_type=SubjectType.RESOURCE,
        subject_id=resource_id,
        period=period,
        metric=metric,
        value=value,
        unit=UNITS[metric],
    )


def emitted_of(resource_id: str, period: str, month: ResourceMonth) -> dict[str, ForecastValue]:
    """Return a month's last emitted values, by key."""
    values = (_value(resource_id, period, metric, value) for metric, value in month.emitted.items())
    return {v.key: v for v in values}


def month_values(
    resource_id: str, period: str, month: ResourceMonth, region: str | None, ctx: ForecastContext
) -> dict[str, ForecastValue]:
    """Return the five values of a month that is planned or worked (none for another month)."""
    if not month.assigned and month.billable is None:
        return {}
    capacity = ctx.calendar.gross_capacity(region, period)
    assigned = sum(month.assigned.values(), Decimal(0))
    actual = Decimal(0) if month.billable is None else month.billable[1]
    found = {
        GROSS_CAPACITY: to_cents(capacity),
        ASSIGNED_HOURS: to_cents(assigned),
        BILLABLE_HOURS: to_cents(actual),
        PLANNED_UTILIZATION: utilization(assigned, capacity),
        ACTUAL_UTILIZATION: utilization(actual, capacity),
    }
    values = (_value(resource_id, period, m, v) for m, v in found.items() if v is not None)
    return {v.key: v for v in values}


def month_conflict(
    view: ResourcePlanView, period: str, month: ResourceMonth, region: str | None, ctx: ForecastContext
) -> Issue | None:
    """Return the month's CAPACITY_CONFLICT if its assigned hours exceed its gross capacity."""
    assigned = sum(month.assigned.values(), Decimal(0))
    capacity = ctx.calendar.gross_capacity(region, period)
    if assigned <= capacity:
        return None
    ids = sorted(month.assigned)
    involved = [a for i in ids if (a := view.assignment(i)) is not None]
    resource_id = view.resource_id
    percent = utilization(assigned, capacity)
    return Issue(
        exception_id=exception_id(ExceptionReason.CAPACITY_CONFLICT, resource_id, period),
        reason=ExceptionReason.CAPACITY_CONFLICT,
        message=(
            f"{resource_id} is planned {to_cents(assigned)} h in {period}, over a gross capacity of "
            f"{to_cents(capacity)} h, by assignments {', '.join(ids)}"
        ),
        resource_id=resource_id,
        source_event_ids=tuple(a.event_id for a in involved),
        details={
            "period": period,
            "assignments": ",".join(ids),
            "projects": ",".join(sorted({a.project_id for a in involved})),
            "assigned_hours": str(to_cents(assigned)),
            "gross_capacity": str(to_cents(capacity)),
            "planned_utilization": "" if percent is None else str(percent),
        },
    )
