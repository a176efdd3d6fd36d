"""Project side: contract versions, approved time, assignments and milestones -> monthly forecast deltas."""

from __future__ import annotations

from datetime import UTC, datetime

from domain.forecast.calendar import period_of
from domain.forecast.config import ForecastContext
from domain.forecast.issues import reconcile
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
        return Step(state.model_copy(update={"ignored": ignored}), (), ())
    return _settle(
        state.model_copy(update={"contract": ContractTerms.of(contract)}), contract.envelope, ctx, as_of
    )


def on_time_actual(
    state: ProjectForecastState, entry: TimeEntry, ctx: ForecastContext, *, as_of: datetime
) -> Step[ProjectForecastState]:
    """Apply a time entry revision: a newer one replaces the kept one; only approved hours are actuals."""
    _check(state, entry.project_id)
    if not is_newer_time(state.actuals, entry):
        ignored = state.ignored.model_copy(update={"time_revisions": state.ignored.time_revisions + 1})
        return Step(state.model_copy(update={"ignored": ignored}), (), ())
    actuals = {**state.actuals, entry.entry_id: ActualTime.of(entry)}
    return _settle(state.model_copy(update={"actuals": actuals}), entry.envelope, ctx, as_of)


def on_assignment(
    state: ProjectForecastState, assignment: ResourceAssignment, ctx: ForecastContext, *, as_of: datetime
) -> Step[ProjectForecastState]:
    """Apply an assignment revision: newer replaces, older is counted, a cancelled one plans nothing."""
    _check(state, assignment.project_id)
    if not is_newer(state.assignments, assignment):
        ignored = state.ignored.model_copy(
            update={"assignment_revisions": state.ignored.assignment_revisions + 1}
        )
        return Step(state.model_copy(update={"ignored": ignored}), (), ())
    assignments = {**state.assignments, assignment.assignment_id: assignment}
    return _settle(state.model_copy(update={"assignments": assignments}), assignment.envelope, ctx, as_of)


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
    return _settle(state.model_copy(update={"milestones": milestones}), event.envelope, ctx, as_of)


def reforecast(
    state: ProjectForecastState, ctx: ForecastContext, *, as_of: datetime
) -> Step[ProjectForecastState]:
    """Recompute the project as time passes (a day or a month turning, new rates); emit what moved."""
    return _settle(state, None, ctx, as_of)


def _settle(
    state: ProjectForecastState, cause: Envelope | None, ctx: ForecastContext, as_of: datetime
) -> Step[ProjectForecastState]:
    """Recompute the project's forecast after a change; emit the deltas and FX exceptions it leads to."""
    projection = evaluate(state, as_of, ctx)
    causes = () if cause is None else (cause.event_id,)
    deltas = diff(state.emitted, projection.values, ctx.threshold, as_of, causes)
    fx_missing, exceptions = reconcile(state.fx_missing, projection.issues, cause, as_of)
    updated = state.model_copy(update={"emitted": remember(state.emitted, deltas), "fx_missing": fx_missing})
    return Step(updated, deltas, exceptions)


def _check(state: ProjectForecastState, project_id: str) -> None:
    """Refuse an event routed to another project's state: that is a wiring bug, not bad input."""
    if project_id != state.project_id:
        raise ValueError(f"event of {project_id} routed to {state.project_id}")
