"""Project side: contract versions, approved time, assignments and milestones -> monthly forecast deltas."""

from __future__ import annotations

from datetime import UTC, datetime

from domain.exceptions import reconcile
from domain.forecast import actuals
from domain.forecast.actuals import ActualMonths
from domain.forecast.calendar import period_of
from domain.forecast.config import ForecastContext
from domain.forecast.projection import evaluate
from domain.forecast.state import (
    ActualTime,
    ContractTerms,
    MilestoneProgress,
    ProjectForecastState,
    Step,
    is_newer,
    is_newer_time,
)
from domain.forecast.values import diff, remember
from domain.records.common import Envelope
from domain.records.psa import (
    ContractApprovalStatus,
    MilestoneEvent,
    ProjectContract,
    ResourceAssignment,
    TimeEntry,
)


def on_contract(
    state: ProjectForecastState, contract: ProjectContract, ctx: ForecastContext, *, as_of: datetime
) -> Step[ProjectForecastState]:
    """Apply a contract version: a newer approved one replaces the terms; any other is counted and ignored."""
    _check(state, contract.project_id)
    kept = state.contract
    approved = contract.approval_status == ContractApprovalStatus.APPROVED
    if not approved or (kept is not None and contract.contract_version <= kept.version):
        ignored = state.ignored.model_copy(update={"contract_versions": state.ignored.contract_versions + 1})
        return _unchanged(state, state.model_copy(update={"ignored": ignored}))
    updated = state.model_copy(update={"contract": ContractTerms.of(contract)})
    months = actuals.for_terms(actuals.months_of(state, ctx), updated, ctx)
    return _settle(updated, months, contract.envelope, ctx, as_of)


def on_time_actual(
    state: ProjectForecastState, entry: TimeEntry, ctx: ForecastContext, *, as_of: datetime
) -> Step[ProjectForecastState]:
    """Apply a time entry revision: a newer one replaces the kept one; only approved hours are actuals."""
    _check(state, entry.project_id)
    if not is_newer_time(state.actuals, entry):
        ignored = state.ignored.model_copy(update={"time_revisions": state.ignored.time_revisions + 1})
        return _unchanged(state, state.model_copy(update={"ignored": ignored}))
    kept, actual = state.actuals.get(entry.entry_id), ActualTime.of(entry)
    months = actuals.with_time(actuals.months_of(state, ctx), state, kept, actual, ctx)
    updated = state.model_copy(update={"actuals": {**state.actuals, entry.entry_id: actual}})
    return _settle(updated, months, entry.envelope, ctx, as_of)


def on_assignment(
    state: ProjectForecastState, assignment: ResourceAssignment, ctx: ForecastContext, *, as_of: datetime
) -> Step[ProjectForecastState]:
    """Apply an assignment revision: newer replaces, older is counted, a cancelled one plans nothing."""
    _check(state, assignment.project_id)
    if not is_newer(state.assignments, assignment):
        ignored = state.ignored.model_copy(
            update={"assignment_revisions": state.ignored.assignment_revisions + 1}
        )
        return _unchanged(state, state.model_copy(update={"ignored": ignored}))
    assignments = {**state.assignments, assignment.assignment_id: assignment}
    updated = state.model_copy(update={"assignments": assignments})
    kept = state.assignments.get(assignment.assignment_id)
    changed = [assignment] if kept is None else [kept, assignment]
    months = actuals.with_assignment(actuals.months_of(state, ctx), state, updated, changed, ctx)
    return _settle(updated, months, assignment.envelope, ctx, as_of)


def on_milestone(
    state: ProjectForecastState, event: MilestoneEvent, ctx: ForecastContext, *, as_of: datetime
) -> Step[ProjectForecastState]:
    """Apply a milestone's latest status; ACCEPTED recognizes its amount in the month of the event."""
    _check(state, event.project_id)
    progress = MilestoneProgress(
        status=event.status, period=period_of(event.occurred_at.astimezone(UTC).date())
    )
    if state.milestones.get(event.milestone_id) == progress:
        return Step(state, (), ())
    milestones = {**state.milestones, event.milestone_id: progress}
    months = actuals.months_of(state, ctx)
    return _settle(state.model_copy(update={"milestones": milestones}), months, event.envelope, ctx, as_of)


def reforecast(
    state: ProjectForecastState, ctx: ForecastContext, *, as_of: datetime
) -> Step[ProjectForecastState]:
    """Recompute the project as time passes (a day or a month turning, new rates); emit what moved."""
    return _settle(state, actuals.months_of(state, ctx), None, ctx, as_of)


def _settle(
    state: ProjectForecastState,
    months: ActualMonths,
    cause: Envelope | None,
    ctx: ForecastContext,
    as_of: datetime,
) -> Step[ProjectForecastState]:
    """Recompute the project's forecast after a change; emit the deltas and FX exceptions it leads to.

    `months` are the state's approved time summed per month, kept for the next event.
    """
    projection = evaluate(state, as_of, ctx, months)
    causes = () if cause is None else (cause.event_id,)
    deltas = diff(state.emitted, projection.values, ctx.threshold, as_of, causes)
    fx_missing, exceptions = reconcile(state.fx_missing, projection.issues, cause, as_of)
    updated = state.model_copy(update={"emitted": remember(state.emitted, deltas), "fx_missing": fx_missing})
    actuals.keep(updated, months)
    return Step(updated, deltas, exceptions)


def _unchanged(state: ProjectForecastState, updated: ProjectForecastState) -> Step[ProjectForecastState]:
    """Return a step that changes only counters: the sums kept for `state` still hold."""
    actuals.keep_same(state, updated)
    return Step(updated, (), ())


def _check(state: ProjectForecastState, project_id: str) -> None:
    """Refuse an event routed to another project's state: that is a wiring bug, not bad input."""
    if project_id != state.project_id:
        raise ValueError(f"event of {project_id} routed to {state.project_id}")
