"""Project side: contract versions, approved time, assignments and milestones -> monthly forecast deltas.

A batch applies each of its events to the project's view (`apply`: O(1) items, but an assignment change
prices again its resource's entries inside its spans, and new pricing counts the sums afresh at settle),
then settles once (`settle`: O(months x metrics), independent of the number of entries).
"""

from __future__ import annotations

from collections import defaultdict
from datetime import UTC, datetime
from decimal import Decimal

from domain.exceptions import Issue, reconcile
from domain.figures import ProjectFigures
from domain.forecast import actuals
from domain.forecast.calendar import day_of, period_of
from domain.forecast.config import ForecastContext
from domain.forecast.project_view import ProjectForecastView, emitted_values, open_issues
from domain.forecast.projection import (
    BACKLOG,
    EAC_COST,
    ETC_COST,
    PERCENT_COMPLETE,
    POINT_IN_TIME,
    RECOGNIZED_REVENUE,
    Projection,
    evaluate,
)
from domain.forecast.state import ActualTime, ContractTerms, Ignored, MilestoneProgress, Reported
from domain.forecast.values import ForecastValue, Settled, diff, remember
from domain.moves import MovedAway
from domain.records.common import Envelope
from domain.records.forecast import ForecastDelta
from domain.records.ops import BusinessException, SourceRecord
from domain.records.psa import (
    ContractApprovalStatus,
    MilestoneEvent,
    ProjectContract,
    ResourceAssignment,
    TimeEntry,
)
from domain.state import StateReader

ProjectRecord = ProjectContract | TimeEntry | MilestoneEvent | ResourceAssignment | MovedAway


def apply(view: ProjectForecastView, record: ProjectRecord, ctx: ForecastContext) -> bool:
    """Stage one event's effect on the project, all or nothing; return whether it changed anything.

    Every event moves the project's clock (the latest event time seen) forward, never back.
    """
    if record.project_id != view.project_id:
        raise ValueError(f"event of {record.project_id} routed to {view.project_id}")
    with view.event():
        match record:
            case ProjectContract():
                changed = _contract(view, record)
            case TimeEntry():
                changed = _time(view, record, ctx)
            case ResourceAssignment():
                changed = _assignment(view, record, ctx)
            case MilestoneEvent():
                changed = _milestone(view, record)
            case MovedAway():
                changed = _time(view, record.entry, ctx, away=True)
        seen = view.aggregate.seen_until
        if seen is None or record.occurred_at > seen:
            view.update(seen_until=record.occurred_at)
        view.note(changed=changed)
    return changed


def settle(
    view: ProjectForecastView,
    ctx: ForecastContext,
    *,
    as_of: datetime,
    cause: Envelope | None,
    causes: tuple[str, ...],
    source: SourceRecord | None = None,
) -> Settled:
    """Compute the project as of `as_of`, emit what moved since last emitted, reconcile FX issues.

    Never as of an earlier time than the latest event seen: a late or re-driven event of an older month
    changes that month's actuals but does not turn later months back into plan. With no event applied it
    reforecasts (time passed, new rates); a batch of stale or repeated events only emits nothing, as each
    of them alone would. `source`: the last record that changed the project, bytes included, for the
    exceptions.
    """
    if view.unchanged:
        return Settled((), ())
    seen = view.aggregate.seen_until
    as_of = as_of if seen is None else max(as_of, seen)
    reports = view.reports()
    previous = emitted_values(view.project_id, reports)
    projection = _projection(view, previous, as_of, ctx)
    deltas = diff(previous, projection.values, ctx.threshold, as_of, causes)
    still_open, exceptions = reconcile(open_issues(reports), projection.issues, cause, as_of, source)
    if deltas or exceptions:
        _report(view, remember(previous, deltas), still_open, deltas, exceptions)
    return Settled(deltas, exceptions)


def roll(view: ProjectForecastView, ctx: ForecastContext, now: datetime) -> Settled:
    """Move a quiet project's clock to `now` if a new month began: last month's plan becomes actuals.

    For a periodic tick (the worker's, or an injected clock): nothing happens while `now` is in the month of
    the latest event seen, or before it; else the project settles as of `now`, caused by time passing.
    """
    seen = view.aggregate.seen_until
    if seen is None or period_of(day_of(now)) <= period_of(day_of(seen)):
        return Settled((), ())
    view.update(seen_until=now)
    return settle(view, ctx, as_of=now, cause=None, causes=())


def project_forecast(
    reader: StateReader, project_id: str, as_of: datetime, ctx: ForecastContext
) -> dict[str, ForecastValue]:
    """Return the project's forecast values as of an instant, computed now (nothing is written)."""
    view = ProjectForecastView(project_id, reader)
    return _projection(view, view.emitted(), as_of, ctx).values


def project_emitted(reader: StateReader, project_id: str) -> dict[str, ForecastValue]:
    """Return the last emitted value of every key of the project."""
    return ProjectForecastView(project_id, reader).emitted()


def current_figures(reader: StateReader, project_id: str) -> ProjectFigures | None:
    """Return the progress figures the project last reported, for its latest month: what the view shows.

    These are the values of the latest forecast.deltas of those metrics, so the two always agree. None
    before the project reported any.
    """
    reported = [v for v in project_emitted(reader, project_id).values() if v.metric in POINT_IN_TIME]
    if not reported:
        return None
    period = max(v.period for v in reported)
    now = {v.metric: v.value for v in reported if v.period == period}
    return ProjectFigures(
        period=period,
        etc_cost=now.get(ETC_COST),
        eac_cost=now.get(EAC_COST),
        percent_complete=now.get(PERCENT_COMPLETE),
        earned_revenue=now.get(RECOGNIZED_REVENUE),
        backlog=now.get(BACKLOG),
    )


def _projection(
    view: ProjectForecastView, emitted: dict[str, ForecastValue], as_of: datetime, ctx: ForecastContext
) -> Projection:
    actuals.ensure(view, ctx)
    return evaluate(view, emitted, as_of, ctx)


def _contract(view: ProjectForecastView, contract: ProjectContract) -> bool:
    """Apply a contract version: a newer approved one replaces the terms; any other is counted."""
    kept = view.aggregate.contract
    approved = contract.approval_status == ContractApprovalStatus.APPROVED
    if not approved or (kept is not None and contract.contract_version <= kept.version):
        _count(view, contract_versions=1)
        return False
    terms = ContractTerms.of(contract)
    # New pricing leaves the sums priced otherwise: settling counts them afresh (see actuals.ensure).
    view.update(contract=terms, terms_digest=actuals.terms_digest(terms))
    return True


def _time(view: ProjectForecastView, entry: TimeEntry, ctx: ForecastContext, away: bool = False) -> bool:
    """Apply a time entry revision: a newer one replaces the kept one; only approved hours are actuals.

    `away`: the revision booked the entry on another project (domain.moves): it counts nothing here.
    """
    kept = view.actual(entry.entry_id)
    if kept is not None and entry.revision <= kept.revision:
        if not away:
            _count(view, time_revisions=1)
        return False
    actual = ActualTime.of(entry)
    if away:
        actual = actual.model_copy(update={"approved": False})
    if actuals.usable(view, ctx):
        taken = [] if kept is None else actuals.priced(view, kept, ctx)
        actuals.move(view, taken, actuals.priced(view, actual, ctx))
    else:
        actuals.skip(view)
    view.put_actual(entry.entry_id, actual)
    return True


def _assignment(view: ProjectForecastView, assignment: ResourceAssignment, ctx: ForecastContext) -> bool:
    """Apply an assignment revision: newer replaces, older is counted, a cancelled one plans nothing."""
    kept = view.assignment(assignment.assignment_id)
    if kept is not None and assignment.revision <= kept.revision:
        _count(view, assignment_revisions=1)
        return False
    if actuals.usable(view, ctx):
        actuals.reprice(view, kept, assignment, ctx)
    else:
        actuals.skip(view)
    view.put_assignment(assignment)
    return True


def _milestone(view: ProjectForecastView, event: MilestoneEvent) -> bool:
    """Apply a milestone's latest status; ACCEPTED recognizes its amount in the month of the event."""
    progress = MilestoneProgress(
        status=event.status, period=period_of(event.occurred_at.astimezone(UTC).date())
    )
    milestones = view.aggregate.milestones
    if milestones.get(event.milestone_id) == progress:
        return False
    view.update(milestones=dict(sorted({**milestones, event.milestone_id: progress}.items())))
    return True


def _count(view: ProjectForecastView, **counted: int) -> None:
    """Count events ignored as stale."""
    ignored = view.aggregate.ignored
    view.update(
        ignored=Ignored.model_validate(
            {name: getattr(ignored, name) + counted.get(name, 0) for name in Ignored.model_fields}
        )
    )


def _report(
    view: ProjectForecastView,
    emitted: dict[str, ForecastValue],
    issues: dict[str, Issue],
    deltas: tuple[ForecastDelta, ...],
    exceptions: tuple[BusinessException, ...],
) -> None:
    """Store what is reported now for the months whose values or open issues moved."""
    moved = {d.period for d in deltas} | {e.details["period"] for e in exceptions}
    values: dict[str, dict[str, tuple[Decimal, str]]] = defaultdict(dict)
    for value in emitted.values():
        if value.period in moved:
            values[value.period][value.metric] = (value.value, value.unit)
    for period in sorted(moved):
        mine = {key: issue for key, issue in issues.items() if issue.details["period"] == period}
        view.put_reported(period, Reported(values=dict(sorted(values[period].items())), issues=mine))
