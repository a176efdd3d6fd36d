"""Milestones: validate completion, remember acceptance in either order, bill once."""

from __future__ import annotations

from domain.cutoff import day_of, posting
from domain.exceptions import at_source, exception_id, raised
from domain.ledger import ids
from domain.ledger.decision import NOTHING, Context, Emitted
from domain.ledger.emit import command, issued
from domain.ledger.parking import park
from domain.ledger.state import MilestoneState
from domain.ledger.view import LedgerView
from domain.records.common import SourceRef
from domain.records.erp import BillingCommandType, BillingLine
from domain.records.ops import BusinessException, ExceptionReason
from domain.records.psa import MilestoneEvent, MilestoneStatus, ProjectContract, ProjectStatus


def on_milestone(ledger: LedgerView, event: MilestoneEvent, source: SourceRef, ctx: Context) -> Emitted:
    """Apply one milestone event.

    COMPLETED validates: in_schedule (in the current approved schedule), amount_known (scheduled with an
    amount above zero), not_billed, project_active; a pass makes the milestone AWAITING_ACCEPTANCE at the
    scheduled amount, a failure raises one VALIDATION_FAILED naming every failed check (once per set of
    failed checks). ACCEPTED is remembered whether or not completion came first; once both hold, a single
    BILL_MILESTONE bills the amount validated at completion, posted as of the day of the event that made
    it due by the cut-off policy. REJECTED (by the client) sends an unbilled
    milestone back to in progress. Re-sent events (same event id) and repeats change nothing. Without an
    approved contract the event is parked.
    """
    contract = ledger.contract
    if contract is None:
        return park(ledger, event, source, ctx)
    state = ledger.milestone(event.milestone_id) or MilestoneState()
    match event.status:
        case MilestoneStatus.COMPLETED:
            return _completed(ledger, contract, event, source, state, ctx)
        case MilestoneStatus.ACCEPTED:
            if state.acceptance is not None or state.command_id is not None:
                return NOTHING
            accepted = state.model_copy(update={"acceptance": source})
            return _bill_when_ready(ledger, contract, event, accepted, ctx)
        case MilestoneStatus.REJECTED:
            if state.command_id is not None:
                return NOTHING
            ledger.put_milestone(event.milestone_id, MilestoneState())
            return NOTHING
        case _:
            failed = {"status": f"unsupported milestone status {event.status.value}"}
            return Emitted(exceptions=(_failure(contract, event, source, failed, by_source=True),))


def _completed(
    ledger: LedgerView,
    contract: ProjectContract,
    event: MilestoneEvent,
    source: SourceRef,
    state: MilestoneState,
    ctx: Context,
) -> Emitted:
    if state.completion is not None and state.completion.event_id == event.event_id:
        return NOTHING
    scheduled = next((m for m in contract.milestones if m.milestone_id == event.milestone_id), None)
    failed: dict[str, str] = {}
    if scheduled is None:
        failed["in_schedule"] = f"not in the approved schedule (contract v{contract.contract_version})"
    if scheduled is None or scheduled.amount <= 0:
        failed["amount_known"] = "no amount is scheduled"
    if state.command_id is not None:
        failed["not_billed"] = f"already billed by {state.command_id}"
    if contract.project_status is not ProjectStatus.ACTIVE:
        failed["project_active"] = f"project is {contract.project_status.value}"
    if failed:
        return Emitted(exceptions=(_failure(contract, event, source, failed, by_source=False),))
    if state.completion is not None or scheduled is None:
        return NOTHING
    validated = state.model_copy(update={"completion": source, "amount": scheduled.amount})
    return _bill_when_ready(ledger, contract, event, validated, ctx)


def _bill_when_ready(
    ledger: LedgerView, contract: ProjectContract, event: MilestoneEvent, state: MilestoneState, ctx: Context
) -> Emitted:
    """Store the milestone; bill it if it is both validated and accepted."""
    if state.completion is None or state.acceptance is None or state.amount is None:
        ledger.put_milestone(event.milestone_id, state)
        return NOTHING
    line = BillingLine(amount=state.amount, milestone_id=event.milestone_id, source_id=event.milestone_id)
    bill = command(
        ids.milestone_bill_id(contract.project_id, event.milestone_id),
        BillingCommandType.BILL_MILESTONE,
        contract,
        event.envelope,
        (state.completion, state.acceptance),
        posting(day_of(event.occurred_at), ctx.closed_periods),
        (line,),
    )
    ledger.put_milestone(event.milestone_id, state.model_copy(update={"command_id": bill.command_id}))
    ledger.put_command(bill.command_id, issued(bill))
    return Emitted(commands=(bill,))


def _failure(
    contract: ProjectContract,
    event: MilestoneEvent,
    source: SourceRef,
    failed: dict[str, str],
    *,
    by_source: bool,
) -> BusinessException:
    checks = ",".join(failed)
    exc_id = (
        at_source(ExceptionReason.VALIDATION_FAILED, source)
        if by_source
        else exception_id(
            ExceptionReason.VALIDATION_FAILED,
            contract.project_id,
            event.milestone_id,
            checks.replace(",", "+"),
        )
    )
    reasons = "; ".join(f"{check}: {why}" for check, why in failed.items())
    return raised(
        exc_id,
        ExceptionReason.VALIDATION_FAILED,
        f"milestone {event.milestone_id} of {contract.project_id} {event.status.value} "
        f"failed validation: {reasons}",
        event.envelope,
        source,
        contract.project_id,
        details={"milestone_id": event.milestone_id, "failed_checks": checks, **failed},
    )
