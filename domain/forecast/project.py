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
from domain.forecast import actuals
from domain.forecast.calendar import period_of
from domain.forecast.config import ForecastContext
from domain.forecast.project_view import ProjectForecastView, emitted_values, open_issues
from domain.forecast.projection import Projection, evaluate
from domain.forecast.state import ActualTime, ContractTerms, Ignored, MilestoneProgress, Reported
from domain.forecast.values import ForecastValue, Settled, diff, remember
from domain.records.common import Envelope
from domain.records.forecast import ForecastDelta
from domain.records.ops import BusinessException
from domain.records.psa import (
    ContractApprovalStatus,
    MilestoneEvent,
    ProjectContract,
    ResourceAssignment,
    TimeEntry,
)
from domain.state import StateReader

ProjectRecord = ProjectContract | TimeEntry | MilestoneEvent | ResourceAssignment


def apply(view: ProjectForecastView, record: ProjectRecord, ctx: ForecastContext) -> bool:
    """Stage one event's effect on the project, all or nothing; return whether it changed anything."""
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
        view.note(changed=changed)
    return changed


def settle(
    view: ProjectForecastView,
    ctx: ForecastContext,
    *,
    as_of: datetime,
    cause: Envelope | None,
    causes: tuple[str, ...],
) -> Settled:
    """Compute the project as of `as_of`, emit what moved since last emitted, reconcile FX issues.

    With no event applied it reforecasts (time passed, new rates); a batch of stale or repeated events
    only emits nothing, as each of them alone would.
    """
    if view.unchanged:
        return Settled((), ())
    reports = view.reports()
    previous = emitted_values(view.project_id, reports)
    projection = _projection(view, previous, as_of, ctx)
    deltas = diff(previous, projection.values, ctx.threshold, as_of, causes)
    still_open, exceptions = reconcile(open_issues(reports), projection.issues, cause, as_of)
    if deltas or exceptions:
        _report(view, remember(previous, deltas), still_open, deltas, exceptions)
    return Settled(deltas, exceptions)


def project_forecast(
    reader: StateReader, project_id: str, as_of: datetime, ctx: ForecastContext
) -> dict[str, ForecastValue]:
    """Return the project's forecast values as of an instant, computed now (nothing is written)."""
    view = ProjectForecastView(project_id, reader)
    return _projection(view, view.emitted(), as_of, ctx).values


def project_emitted(reader: StateReader, project_id: str) -> dict[str, ForecastValue]:
    """Return the last emitted value of every key of the project."""
    return ProjectForecastView(project_id, reader).emitted()


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


def _time(view: ProjectForecastView, entry: TimeEntry, ctx: ForecastContext) -> bool:
    """Apply a time entry revision: a newer one replaces the kept one; only approved hours are actuals."""
    kept = view.actual(entry.entry_id)
    if kept is not None and entry.revision <= kept.revision:
        _count(view, time_revisions=1)
        return False
    actual = ActualTime.of(entry)
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
