"""The entry points: decide one event for one project, report overdue parked items."""

from __future__ import annotations

from domain.ledger.contracts import on_contract
from domain.ledger.decision import Context, Decision, Inbound, InboundRecord
from domain.ledger.feedback import on_status
from domain.ledger.milestones import on_milestone
from domain.ledger.parking import overdue
from domain.ledger.replay_corrections import on_correction
from domain.ledger.state import ProjectLedger
from domain.ledger.time_entries import on_time_entry
from domain.records.common import SourceRef
from domain.records.erp import BillingCommand, BillingStatus
from domain.records.ops import SourceRecord
from domain.records.psa import MilestoneEvent, ProjectContract, TimeEntry
from domain.redrive import Redrive, settle


def decide(ledger: ProjectLedger | None, inbound: Inbound, ctx: Context) -> Decision:
    """Apply one source event to its project's ledger (None for a project never seen).

    Emitted records depend only on the ledger and the event: ids are derived from business identity or
    source coordinates and every envelope is timed at its source event, so a re-run emits the same bytes.
    The first approved contract also processes the events parked before it; parked items older than the
    park limit are reported on the way (see `expire_parked`).
    """
    record = inbound.record
    before = ProjectLedger(project_id=record.project_id) if ledger is None else ledger
    if before.project_id != record.project_id:
        raise ValueError(f"event for project {record.project_id} given the ledger of {before.project_id}")
    decision = _dispatch(before, record, inbound.source, ctx)
    if before.contract is None and decision.ledger.contract is not None and decision.ledger.parked:
        decision = _release_parked(decision, ctx)
    reported = Decision(ledger=decision.ledger, exceptions=overdue(decision.ledger, ctx))
    redrive = inbound.redrive
    decided = _once(before, decision.then(reported), again=None if redrive is None else redrive.exception_id)
    return decided if redrive is None else _settle(decided, inbound, redrive)


def expire_parked(ledger: ProjectLedger, ctx: Context) -> Decision:
    """Raise UNKNOWN_PROJECT for each item parked longer than ctx.park_limit, once per item."""
    return _once(ledger, Decision(ledger=ledger, exceptions=overdue(ledger, ctx)))


def _settle(decision: Decision, inbound: Inbound, redrive: Redrive) -> Decision:
    """Say how the redrive of an exception ended: resolved, or raised again (see domain.redrive)."""
    record, source = inbound.record, inbound.source
    settled = settle(
        redrive,
        decision.exceptions,
        parked=any(p.record.event_id == record.event_id for p in decision.ledger.parked),
        at=SourceRecord(topic=source.topic, partition=source.partition, offset=source.offset),
        occurred_at=record.occurred_at,
        project_id=record.project_id,
    )
    return decision.model_copy(update={"exceptions": settled})


def _dispatch(ledger: ProjectLedger, record: InboundRecord, source: SourceRef, ctx: Context) -> Decision:
    match record:
        case ProjectContract():
            return on_contract(ledger, record, source, ctx)
        case TimeEntry():
            return on_time_entry(ledger, record, source, ctx)
        case MilestoneEvent():
            return on_milestone(ledger, record, source, ctx)
        case BillingStatus():
            return on_status(ledger, record, source, ctx)
        case BillingCommand():
            return on_correction(ledger, record, source, ctx)


def _release_parked(decision: Decision, ctx: Context) -> Decision:
    """Process parked events in arrival order, as if they had arrived just after the contract."""
    parked = decision.ledger.parked
    decision = decision.then(Decision(ledger=decision.ledger.model_copy(update={"parked": ()})))
    for item in parked:
        decision = decision.then(_dispatch(decision.ledger, item.record, item.source, ctx))
    return decision


def _once(before: ProjectLedger, decision: Decision, again: str | None = None) -> Decision:
    """Drop exceptions already raised for this project (but `again`, being re-driven); remember new ones."""
    seen = set(before.raised) - {again}
    fresh = []
    for exc in decision.exceptions:
        if exc.exception_id not in seen:
            seen.add(exc.exception_id)
            fresh.append(exc)
    raised = (*before.raised, *(e.exception_id for e in fresh))
    return decision.model_copy(
        update={"ledger": decision.ledger.model_copy(update={"raised": raised}), "exceptions": tuple(fresh)}
    )
