"""Resource side: assignments and approved billable time -> gross capacity, utilization, conflicts."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Mapping
from datetime import datetime
from decimal import Decimal

from domain.forecast.calendar import assigned_hours, month_bounds, period_of, periods, to_cents, to_percent
from domain.forecast.config import ForecastContext
from domain.forecast.issues import exception_id, reconcile
from domain.forecast.state import ActualTime, Issue, ResourcePlan, Step, is_newer, is_newer_time
from domain.forecast.values import HOURS, PERCENT, ForecastValue, diff, remember, zero_removed
from domain.records.common import Envelope
from domain.records.forecast import SubjectType
from domain.records.ops import ExceptionReason
from domain.records.psa import AssignmentStatus, ResourceAssignment, TimeEntry

GROSS_CAPACITY = "gross_capacity"
ASSIGNED_HOURS = "assigned_hours"
BILLABLE_HOURS = "billable_hours"
PLANNED_UTILIZATION = "planned_utilization"
ACTUAL_UTILIZATION = "actual_utilization"

# Exact assigned hours per month, per assignment id.
_Plan = dict[str, dict[str, Decimal]]


def utilization(hours: Decimal, gross_capacity: Decimal) -> Decimal | None:
    """Return hours as a percent of gross capacity (4 decimals, half to even); None without capacity."""
    return to_percent(hours, gross_capacity)


def on_assignment(
    plan: ResourcePlan, assignment: ResourceAssignment, ctx: ForecastContext, *, as_of: datetime
) -> Step[ResourcePlan]:
    """Apply an assignment revision: a newer one replaces the kept one; an older or equal one is counted."""
    if assignment.resource_id != plan.resource_id:
        raise ValueError(f"assignment of {assignment.resource_id} routed to {plan.resource_id}")
    if not is_newer(plan.assignments, assignment):
        ignored = plan.ignored.model_copy(
            update={"assignment_revisions": plan.ignored.assignment_revisions + 1}
        )
        return Step(plan.model_copy(update={"ignored": ignored}), (), ())
    assignments = {**plan.assignments, assignment.assignment_id: assignment}
    cancelled = assignment.status == AssignmentStatus.CANCELLED
    region = plan.region if cancelled else assignment.region
    updated = plan.model_copy(update={"assignments": assignments, "region": region})
    return _settle(updated, assignment.envelope, ctx, as_of)


def on_actual_time(
    plan: ResourcePlan, entry: TimeEntry, ctx: ForecastContext, *, as_of: datetime
) -> Step[ResourcePlan]:
    """Apply a time entry revision of this resource; only approved billable hours count as actuals."""
    if entry.resource_id != plan.resource_id:
        raise ValueError(f"time entry of {entry.resource_id} routed to {plan.resource_id}")
    if not is_newer_time(plan.actuals, entry):
        ignored = plan.ignored.model_copy(update={"time_revisions": plan.ignored.time_revisions + 1})
        return Step(plan.model_copy(update={"ignored": ignored}), (), ())
    updated = plan.model_copy(update={"actuals": {**plan.actuals, entry.entry_id: ActualTime.of(entry)}})
    return _settle(updated, entry.envelope, ctx, as_of)


def resource_forecast(plan: ResourcePlan, ctx: ForecastContext) -> dict[str, ForecastValue]:
    """Return the resource's monthly hours and utilization of gross capacity, for every month it has any."""
    planned = _planned(plan, ctx)
    billable = _billable(plan.actuals)
    values: dict[str, ForecastValue] = {}

    def put(period: str, metric: str, value: Decimal | None, unit: str) -> None:
        if value is not None:
            fv = ForecastValue(
                subject_type=SubjectType.RESOURCE,
                subject_id=plan.resource_id,
                period=period,
                metric=metric,
                value=value,
                unit=unit,
            )
            values[fv.key] = fv

    for period in sorted(set(planned) | set(billable)):
        capacity = ctx.calendar.gross_capacity(plan.region, period)
        assigned = sum(planned.get(period, {}).values(), Decimal(0))
        actual = billable.get(period, Decimal(0))
        put(period, GROSS_CAPACITY, to_cents(capacity), HOURS)
        put(period, ASSIGNED_HOURS, to_cents(assigned), HOURS)
        put(period, BILLABLE_HOURS, to_cents(actual), HOURS)
        put(period, PLANNED_UTILIZATION, utilization(assigned, capacity), PERCENT)
        put(period, ACTUAL_UTILIZATION, utilization(actual, capacity), PERCENT)
    # A month reported before and no longer planned or worked reads zero.
    return zero_removed(values, plan.emitted, frozenset(), frozenset())


def _settle(plan: ResourcePlan, cause: Envelope, ctx: ForecastContext, as_of: datetime) -> Step[ResourcePlan]:
    """Recompute the resource's values and conflicts after a change; emit what moved."""
    values = resource_forecast(plan, ctx)
    deltas = diff(plan.emitted, values, ctx.threshold, as_of, (cause.event_id,))
    conflicts, exceptions = reconcile(plan.conflicts, _conflicts(plan, ctx), cause, as_of)
    updated = plan.model_copy(update={"emitted": remember(plan.emitted, deltas), "conflicts": conflicts})
    return Step(updated, deltas, exceptions)


def _planned(plan: ResourcePlan, ctx: ForecastContext) -> _Plan:
    """Return the exact assigned hours per month and assignment; a cancelled assignment plans nothing."""
    planned: _Plan = defaultdict(dict)
    for assignment in plan.assignments.values():
        if assignment.status == AssignmentStatus.CANCELLED:
            continue
        for period in periods(period_of(assignment.start_date), period_of(assignment.end_date)):
            hours = assigned_hours(assignment, ctx.calendar, *month_bounds(period))
            if hours > 0:
                planned[period][assignment.assignment_id] = hours
    return planned


def _billable(actuals: Mapping[str, ActualTime]) -> dict[str, Decimal]:
    """Return approved billable hours per month."""
    hours: dict[str, Decimal] = defaultdict(Decimal)
    for actual in actuals.values():
        if actual.approved and actual.billable:
            hours[period_of(actual.work_date)] += actual.hours
    return hours


def _conflicts(plan: ResourcePlan, ctx: ForecastContext) -> dict[str, Issue]:
    """Return one CAPACITY_CONFLICT per month whose assigned hours exceed the gross capacity."""
    issues: dict[str, Issue] = {}
    for period, by_assignment in sorted(_planned(plan, ctx).items()):
        assigned = sum(by_assignment.values(), Decimal(0))
        capacity = ctx.calendar.gross_capacity(plan.region, period)
        if assigned <= capacity:
            continue
        ids = sorted(by_assignment)
        involved = [plan.assignments[i] for i in ids]
        exc_id = exception_id(ExceptionReason.CAPACITY_CONFLICT, plan.resource_id, period)
        percent = utilization(assigned, capacity)
        issues[exc_id] = Issue(
            exception_id=exc_id,
            reason=ExceptionReason.CAPACITY_CONFLICT,
            message=(
                f"{plan.resource_id} is planned {to_cents(assigned)} h in {period}, over a gross capacity of "
                f"{to_cents(capacity)} h, by assignments {', '.join(ids)}"
            ),
            resource_id=plan.resource_id,
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
    return issues
