"""Resource side: assignments and approved billable time -> gross capacity, utilization, conflicts.

A batch applies each of its events to the resource's view (`apply`: the entry or assignment and the months
it covers), then settles once (`settle`): only the months the batch touched, or every month after a region,
calendar or threshold change.
"""

from __future__ import annotations

from datetime import datetime

from domain.exceptions import Issue, exception_id, reconcile
from domain.forecast.calendar import (
    CapacityCalendar,
    assigned_hours,
    month_bounds,
    period_of,
    periods,
)
from domain.forecast.config import ForecastContext
from domain.forecast.resource_view import ResourcePlanView
from domain.forecast.state import ActualTime, Ignored
from domain.forecast.sums import Sums, config_digest, digest
from domain.forecast.utilization import METRICS, NOTHING, emitted_of, month_conflict, month_values
from domain.forecast.values import (
    ForecastValue,
    Settled,
    diff,
    key_of,
    remember,
    zero_removed,
)
from domain.records.common import Envelope
from domain.records.forecast import SubjectType
from domain.records.ops import ExceptionReason, SourceRecord
from domain.records.psa import AssignmentStatus, ResourceAssignment, TimeEntry
from domain.state import StateReader


def apply(view: ResourcePlanView, record: TimeEntry | ResourceAssignment, ctx: ForecastContext) -> bool:
    """Stage one event's effect on the resource, all or nothing; return whether it changed anything."""
    what = "assignment" if isinstance(record, ResourceAssignment) else "time entry"
    if record.resource_id != view.resource_id:
        raise ValueError(f"{what} of {record.resource_id} routed to {view.resource_id}")
    with view.event():
        changed = (
            _assignment(view, record, ctx) if isinstance(record, ResourceAssignment) else _time(view, record)
        )
        view.note(changed=changed)
    return changed


def settle(
    view: ResourcePlanView,
    ctx: ForecastContext,
    *,
    as_of: datetime,
    cause: Envelope | None,
    causes: tuple[str, ...],
    source: SourceRecord | None = None,
) -> Settled:
    """Compute the months the batch moved, emit what moved since last emitted, reconcile conflicts.

    `source`: the last record that changed the resource, bytes included, for the exceptions.
    """
    if view.unchanged:
        return Settled((), ())
    _ensure(view, ctx)
    settled_with = digest(config_digest(ctx.calendar), str(ctx.threshold))
    if view.aggregate.settled != settled_with:
        # Months settled under another calendar or threshold would now compute or emit otherwise.
        view.touch_all()
    region = view.aggregate.region
    months = {period: view.month(period) for period in view.to_settle()}
    previous: dict[str, ForecastValue] = {}
    values: dict[str, ForecastValue] = {}
    was_open: dict[str, Issue] = {}
    found: dict[str, Issue] = {}
    for period, month in months.items():
        before = emitted_of(view.resource_id, period, month)
        previous.update(before)
        values.update(
            zero_removed(month_values(view.resource_id, period, month, region, ctx), before, NOTHING, NOTHING)
        )
        if month.conflict is not None:
            was_open[month.conflict.exception_id] = month.conflict
        if (issue := month_conflict(view, period, month, region, ctx)) is not None:
            found[issue.exception_id] = issue
    deltas = diff(previous, values, ctx.threshold, as_of, causes)
    still_open, exceptions = reconcile(was_open, found, cause, as_of, source)
    emitted = remember(previous, deltas)
    for period, month in months.items():
        now = month.model_copy(
            update={
                "emitted": {
                    m: emitted[k].value
                    for m in METRICS
                    if (k := key_of(SubjectType.RESOURCE, view.resource_id, period, m)) in emitted
                },
                "conflict": still_open.get(
                    exception_id(ExceptionReason.CAPACITY_CONFLICT, view.resource_id, period)
                ),
            }
        )
        if now != month:
            view.put_month(period, now)
    if view.aggregate.settled != settled_with:
        view.update(settled=settled_with)
    return Settled(deltas, exceptions)


def resource_forecast(
    reader: StateReader, resource_id: str, ctx: ForecastContext
) -> dict[str, ForecastValue]:
    """Return the resource's monthly hours and utilization of gross capacity, for every month it has any."""
    view = ResourcePlanView(resource_id, reader)
    _ensure(view, ctx)
    region = view.aggregate.region
    values: dict[str, ForecastValue] = {}
    for period, month in view.months().items():
        # A month reported before and no longer planned or worked reads zero.
        before = emitted_of(resource_id, period, month)
        values.update(
            zero_removed(month_values(view.resource_id, period, month, region, ctx), before, NOTHING, NOTHING)
        )
    return values


def resource_emitted(reader: StateReader, resource_id: str) -> dict[str, ForecastValue]:
    """Return the last emitted value of every key of the resource."""
    view = ResourcePlanView(resource_id, reader)
    return {
        k: v
        for period, month in view.months().items()
        for k, v in emitted_of(resource_id, period, month).items()
    }


def _time(view: ResourcePlanView, entry: TimeEntry) -> bool:
    """Apply a time entry revision of this resource; only approved billable hours count as actuals."""
    kept = view.actual(entry.entry_id)
    if kept is not None and entry.revision <= kept.revision:
        _count(view, time_revisions=1)
        return False
    actual = ActualTime.of(entry)
    if view.aggregate.exact:
        sums = Sums()
        for old, sign in ((kept, -1), (actual, 1)):
            if old is not None and old.approved and old.billable:
                period = period_of(old.work_date)
                month = view.month(period)
                view.put_month(
                    period, month.model_copy(update={"billable": sums.move(month.billable, old.hours, sign)})
                )
        if not sums.exact:
            view.update(exact=False)
    view.put_actual(entry.entry_id, actual)
    view.touch(period_of(a.work_date) for a in (kept, actual) if a is not None)
    return True


def _assignment(view: ResourcePlanView, assignment: ResourceAssignment, ctx: ForecastContext) -> bool:
    """Apply an assignment revision: a newer one replaces the kept one; an older or equal one is counted."""
    kept = view.assignment(assignment.assignment_id)
    if kept is not None and assignment.revision <= kept.revision:
        _count(view, assignment_revisions=1)
        return False
    _ensure(view, ctx)
    if kept is not None:
        _unplan(view, kept)
    if assignment.status != AssignmentStatus.CANCELLED:
        _plan(view, assignment, ctx.calendar)
        if assignment.region != view.aggregate.region:
            # Gross capacity follows the region: every month's figures and conflicts may move.
            view.update(region=assignment.region)
            view.touch_all()
    view.put_assignment(assignment)
    for span in (kept, assignment):
        if span is not None:
            view.touch(periods(period_of(span.start_date), period_of(span.end_date)))
    return True


def recount(view: ResourcePlanView, ctx: ForecastContext) -> None:
    """Figure every month's assigned hours (in ctx's calendar) and billable time afresh from the facts."""
    for period, month in view.months().items():
        view.put_month(period, month.model_copy(update={"assigned": {}, "billable": None}))
    for assignment in view.assignments():
        if assignment.status != AssignmentStatus.CANCELLED:
            _plan(view, assignment, ctx.calendar)
    sums = Sums()
    for _, actual in view.actuals():
        if actual.approved and actual.billable:
            period = period_of(actual.work_date)
            month = view.month(period)
            billable = sums.move(month.billable, actual.hours, 1)
            view.put_month(period, month.model_copy(update={"billable": billable}))
    view.update(calendar=config_digest(ctx.calendar), exact=sums.exact)
    view.touch_all()


def _ensure(view: ResourcePlanView, ctx: ForecastContext) -> None:
    """Figure the months afresh if they are in another calendar than ctx's or a running sum was rounded.

    Reads every assignment and entry: only after a calendar change or a rounded sum (or a migration).
    """
    if view.aggregate.calendar != config_digest(ctx.calendar) or not view.aggregate.exact:
        recount(view, ctx)


def _plan(view: ResourcePlanView, assignment: ResourceAssignment, calendar: CapacityCalendar) -> None:
    """Add an assignment's exact hours to every month of its span that has some."""
    for period in periods(period_of(assignment.start_date), period_of(assignment.end_date)):
        hours = assigned_hours(assignment, calendar, *month_bounds(period))
        if hours > 0:
            month = view.month(period)
            assigned = dict(sorted({**month.assigned, assignment.assignment_id: hours}.items()))
            view.put_month(period, month.model_copy(update={"assigned": assigned}))


def _unplan(view: ResourcePlanView, assignment: ResourceAssignment) -> None:
    """Take an assignment's hours out of the months of its span."""
    for period in periods(period_of(assignment.start_date), period_of(assignment.end_date)):
        month = view.month(period)
        if assignment.assignment_id in month.assigned:
            assigned = {k: v for k, v in month.assigned.items() if k != assignment.assignment_id}
            view.put_month(period, month.model_copy(update={"assigned": assigned}))


def _count(view: ResourcePlanView, **counted: int) -> None:
    """Count events ignored as stale."""
    ignored = view.aggregate.ignored
    view.update(
        ignored=Ignored.model_validate(
            {name: getattr(ignored, name) + counted.get(name, 0) for name in Ignored.model_fields}
        )
    )
