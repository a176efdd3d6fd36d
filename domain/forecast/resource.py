"""Resource side: assignments and approved billable time -> gross capacity, utilization, conflicts."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Mapping
from datetime import datetime
from decimal import Decimal
from typing import NamedTuple

from domain.exceptions import Issue, exception_id, reconcile
from domain.forecast.calendar import (
    CapacityCalendar,
    assigned_hours,
    month_bounds,
    period_of,
    periods,
    to_cents,
    to_percent,
)
from domain.forecast.config import ForecastContext
from domain.forecast.memo import Memo, Sums
from domain.forecast.state import ActualTime, ResourcePlan, Step, is_newer, is_newer_time
from domain.forecast.values import HOURS, PERCENT, ForecastValue, diff, key_of, remember, zero_removed
from domain.records.common import Envelope
from domain.records.forecast import SubjectType
from domain.records.ops import ExceptionReason
from domain.records.psa import AssignmentStatus, ResourceAssignment, TimeEntry

GROSS_CAPACITY = "gross_capacity"
ASSIGNED_HOURS = "assigned_hours"
BILLABLE_HOURS = "billable_hours"
PLANNED_UTILIZATION = "planned_utilization"
ACTUAL_UTILIZATION = "actual_utilization"

METRICS = (GROSS_CAPACITY, ASSIGNED_HOURS, BILLABLE_HOURS, PLANNED_UTILIZATION, ACTUAL_UTILIZATION)

# Exact assigned hours per month, per assignment id.
_Plan = dict[str, dict[str, Decimal]]


class _Derived(NamedTuple):
    """A plan's figures kept between events, so an event costs what it changes, not the whole history."""

    # The calendar and threshold the figures and the plan's emitted values were last settled with.
    calendar: CapacityCalendar
    threshold: Decimal
    # Per live assignment: its exact hours per month (only months with some), in the calendar above.
    months: Mapping[str, Mapping[str, Decimal]]
    # Per month: how many approved billable entries, and their hours.
    billable: Mapping[str, tuple[int, Decimal]]
    # The conflicts found by the last settle; None until one ran on these figures.
    found: Mapping[str, Issue] | None
    exact: bool


_MEMO: Memo[ResourcePlan, _Derived] = Memo()


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
        return _unchanged(plan, plan.model_copy(update={"ignored": ignored}))
    assignments = {**plan.assignments, assignment.assignment_id: assignment}
    cancelled = assignment.status == AssignmentStatus.CANCELLED
    region = plan.region if cancelled else assignment.region
    updated = plan.model_copy(update={"assignments": assignments, "region": region})
    derived, _ = _derived(plan, ctx)
    months = {k: v for k, v in derived.months.items() if k != assignment.assignment_id}
    if not cancelled and (hours := _months_of(assignment, ctx.calendar)):
        months[assignment.assignment_id] = hours
    # Capacity (the region) and conflicts may move in every month: settle them all.
    return _settle(
        updated, derived._replace(months=months, found=None), assignment.envelope, ctx, as_of, None
    )


def on_actual_time(
    plan: ResourcePlan, entry: TimeEntry, ctx: ForecastContext, *, as_of: datetime
) -> Step[ResourcePlan]:
    """Apply a time entry revision of this resource; only approved billable hours count as actuals."""
    if entry.resource_id != plan.resource_id:
        raise ValueError(f"time entry of {entry.resource_id} routed to {plan.resource_id}")
    if not is_newer_time(plan.actuals, entry):
        ignored = plan.ignored.model_copy(update={"time_revisions": plan.ignored.time_revisions + 1})
        return _unchanged(plan, plan.model_copy(update={"ignored": ignored}))
    kept, actual = plan.actuals.get(entry.entry_id), ActualTime.of(entry)
    updated = plan.model_copy(update={"actuals": {**plan.actuals, entry.entry_id: actual}})
    derived, settled = _derived(plan, ctx)
    sums = Sums()
    billable = dict(derived.billable)
    for old, sign in ((kept, -1), (actual, 1)):
        if old is not None and old.approved and old.billable:
            _count(billable, period_of(old.work_date), sign, old.hours, sums)
    derived = derived._replace(billable=billable, exact=derived.exact and sums.exact)
    # Time moves billable hours only, in the months of the old and the new revision; the others, settled
    # under the same calendar and threshold, would compute what they did and emit nothing.
    touched = frozenset(period_of(a.work_date) for a in (kept, actual) if a is not None)
    return _settle(updated, derived, entry.envelope, ctx, as_of, touched if settled else None)


def resource_forecast(plan: ResourcePlan, ctx: ForecastContext) -> dict[str, ForecastValue]:
    """Return the resource's monthly hours and utilization of gross capacity, for every month it has any."""
    derived, _ = _derived(plan, ctx)
    if not derived.exact:
        derived = derived._replace(billable=_billable_counts(plan.actuals.values(), exact=False)[0])
    planned = _planned(plan, derived)
    months = sorted(set(planned) | set(derived.billable))
    # A month reported before and no longer planned or worked reads zero.
    return zero_removed(_values(plan, ctx, planned, derived, months), plan.emitted, frozenset(), frozenset())


def _values(
    plan: ResourcePlan, ctx: ForecastContext, planned: _Plan, derived: _Derived, months: Iterable[str]
) -> dict[str, ForecastValue]:
    """Return the five values of each month that is planned or worked, among `months`."""
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

    for period in months:
        if period not in planned and period not in derived.billable:
            continue
        capacity = ctx.calendar.gross_capacity(plan.region, period)
        assigned = sum(planned.get(period, {}).values(), Decimal(0))
        actual = derived.billable[period][1] if period in derived.billable else Decimal(0)
        put(period, GROSS_CAPACITY, to_cents(capacity), HOURS)
        put(period, ASSIGNED_HOURS, to_cents(assigned), HOURS)
        put(period, BILLABLE_HOURS, to_cents(actual), HOURS)
        put(period, PLANNED_UTILIZATION, utilization(assigned, capacity), PERCENT)
        put(period, ACTUAL_UTILIZATION, utilization(actual, capacity), PERCENT)
    return values


def _settle(
    plan: ResourcePlan,
    derived: _Derived,
    cause: Envelope,
    ctx: ForecastContext,
    as_of: datetime,
    touched: frozenset[str] | None,
) -> Step[ResourcePlan]:
    """Recompute the resource's values and conflicts after a change; emit what moved.

    With `touched`, only those months are recomputed: every other month and the conflicts are known to be
    as the previous settle left them.
    """
    if not derived.exact:
        # A rounded running total may differ from the rules' sum: recount this time, in full.
        billable, exact = _billable_counts(plan.actuals.values(), exact=True)
        derived, touched = derived._replace(billable=billable, exact=exact), None
    planned = _planned(plan, derived, touched)
    if touched is None or derived.found is None:
        months = sorted(set(planned) | set(derived.billable))
        previous: Mapping[str, ForecastValue] = plan.emitted
        found: Mapping[str, Issue] = _conflicts(plan, ctx, planned)
    else:
        months = sorted(touched)
        keys = (key_of(SubjectType.RESOURCE, plan.resource_id, p, m) for p in months for m in METRICS)
        previous = {k: plan.emitted[k] for k in keys if k in plan.emitted}
        found = derived.found
    values = zero_removed(_values(plan, ctx, planned, derived, months), previous, frozenset(), frozenset())
    deltas = diff(plan.emitted, values, ctx.threshold, as_of, (cause.event_id,))
    conflicts, exceptions = reconcile(plan.conflicts, found, cause, as_of)
    updated = plan.model_copy(update={"emitted": remember(plan.emitted, deltas), "conflicts": conflicts})
    _MEMO.put(updated, derived._replace(calendar=ctx.calendar, threshold=ctx.threshold, found=found))
    return Step(updated, deltas, exceptions)


def _unchanged(plan: ResourcePlan, updated: ResourcePlan) -> Step[ResourcePlan]:
    """Return a step that changes only counters: what was derived from `plan` still holds."""
    derived = _MEMO.get(plan)
    if derived is not None:
        _MEMO.put(updated, derived)
    return Step(updated, (), ())


def _derived(plan: ResourcePlan, ctx: ForecastContext) -> tuple[_Derived, bool]:
    """Return the plan's figures in ctx's calendar, and whether its last settle ran on them with ctx."""
    kept = _MEMO.get(plan)
    if (
        kept is not None
        and (kept.calendar is ctx.calendar or kept.calendar == ctx.calendar)
        and kept.threshold == ctx.threshold
    ):
        return kept, kept.found is not None
    months: dict[str, Mapping[str, Decimal]] = {}
    for assignment in plan.assignments.values():
        if assignment.status != AssignmentStatus.CANCELLED and (
            hours := _months_of(assignment, ctx.calendar)
        ):
            months[assignment.assignment_id] = hours
    billable, exact = _billable_counts(plan.actuals.values(), exact=True)
    return _Derived(ctx.calendar, ctx.threshold, months, billable, None, exact), False


def _months_of(assignment: ResourceAssignment, calendar: CapacityCalendar) -> dict[str, Decimal]:
    """Return an assignment's exact assigned hours per month, leaving out months with none."""
    months: dict[str, Decimal] = {}
    for period in periods(period_of(assignment.start_date), period_of(assignment.end_date)):
        hours = assigned_hours(assignment, calendar, *month_bounds(period))
        if hours > 0:
            months[period] = hours
    return months


def _planned(plan: ResourcePlan, derived: _Derived, only: frozenset[str] | None = None) -> _Plan:
    """Return the exact assigned hours per month and assignment (in `only`'s months when given).

    Assignments come in the plan's order, so each month adds them up in the order it always did.
    """
    planned: _Plan = defaultdict(dict)
    for assignment_id in plan.assignments:
        for period, hours in derived.months.get(assignment_id, {}).items():
            if only is None or period in only:
                planned[period][assignment_id] = hours
    return planned


def _billable_counts(
    actuals: Iterable[ActualTime], *, exact: bool
) -> tuple[dict[str, tuple[int, Decimal]], bool]:
    """Return approved billable entries and hours per month, and whether no sum was rounded."""
    sums = Sums()
    counts: dict[str, tuple[int, Decimal]] = {}
    for actual in actuals:
        if actual.approved and actual.billable:
            _count(counts, period_of(actual.work_date), 1, actual.hours, sums)
    return counts, exact and sums.exact


def _count(
    counts: dict[str, tuple[int, Decimal]], period: str, sign: int, hours: Decimal, sums: Sums
) -> None:
    """Add (sign 1) or take back (sign -1) one entry's hours in a month; a month with none is dropped."""
    n, total = counts.get(period, (0, Decimal(0)))
    n, total = n + sign, sums.add(total, hours) if sign > 0 else sums.sub(total, hours)
    if n:
        counts[period] = (n, total)
    else:
        counts.pop(period, None)


def _conflicts(plan: ResourcePlan, ctx: ForecastContext, planned: _Plan) -> dict[str, Issue]:
    """Return one CAPACITY_CONFLICT per month whose assigned hours exceed the gross capacity."""
    issues: dict[str, Issue] = {}
    for period, by_assignment in sorted(planned.items()):
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
