"""The entry points: decide one event for one project, report overdue parked items."""

from __future__ import annotations

from domain.ledger.contracts import on_contract
from domain.ledger.decision import Context, Decision, Emitted, Inbound, InboundRecord
from domain.ledger.feedback import on_status
from domain.ledger.milestones import on_milestone
from domain.ledger.parking import overdue
from domain.ledger.replay_corrections import on_correction
from domain.ledger.state import Kind, ProjectTotals
from domain.ledger.time_entries import on_time_entry
from domain.ledger.view import LedgerView
from domain.records.common import SourceRef
from domain.records.erp import BillingCommand, BillingStatus
from domain.records.ops import BusinessException, SourceRecord
from domain.records.psa import MilestoneEvent, ProjectContract, TimeEntry
from domain.redrive import Redrive, settle
from domain.state import EMPTY, StateReader


def decide(ledger: StateReader | None, inbound: Inbound, ctx: Context) -> Decision:
    """Apply one source event to its project's ledger (the items `ledger` reads; none for a new project).

    Emitted records depend only on the ledger and the event: ids are derived from business identity or
    source coordinates and every envelope is timed at its source event, so a re-run emits the same bytes.
    The first approved contract also processes the events parked before it; parked items older than the
    park limit are reported on the way (see `expire_parked`). Only the items the event concerns are read.
    """
    record = inbound.record
    view = LedgerView(record.project_id, EMPTY if ledger is None else ledger)
    given = view.owner
    if given != record.project_id:
        raise ValueError(f"event for project {record.project_id} given the ledger of {given}")
    had_contract = view.contract is not None
    emitted = _dispatch(view, record, inbound.source, ctx)
    if not had_contract and view.contract is not None and view.parked_count:
        emitted = emitted.then(_release_parked(view, ctx))
    redrive = inbound.redrive
    again = None if redrive is None else redrive.exception_id
    emitted = emitted.then(Emitted(exceptions=overdue(view, ctx, again)))
    exceptions = _once(view, emitted.exceptions, again)
    if redrive is not None:
        exceptions = _settle(view, exceptions, inbound, redrive)
    return Decision(commands=emitted.commands, exceptions=exceptions, changes=view.changes())


def expire_parked(ledger: StateReader, ctx: Context) -> Decision:
    """Raise UNKNOWN_PROJECT for each item parked longer than ctx.park_limit, once per item."""
    totals = ledger.get(Kind.TOTALS, "")
    if not isinstance(totals, ProjectTotals) or not totals.parked:
        return Decision()
    view = LedgerView(totals.project_id, ledger)
    exceptions = _once(view, overdue(view, ctx))
    return Decision(exceptions=exceptions, changes=view.changes())


def _settle(
    view: LedgerView, exceptions: tuple[BusinessException, ...], inbound: Inbound, redrive: Redrive
) -> tuple[BusinessException, ...]:
    """Say how the redrive of an exception ended: resolved, or raised again (see domain.redrive)."""
    record, source = inbound.record, inbound.source
    return settle(
        redrive,
        exceptions,
        parked=view.is_parked(record.event_id),
        at=SourceRecord(topic=source.topic, partition=source.partition, offset=source.offset),
        occurred_at=record.occurred_at,
        project_id=record.project_id,
    )


def _dispatch(ledger: LedgerView, record: InboundRecord, source: SourceRef, ctx: Context) -> Emitted:
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


def _release_parked(ledger: LedgerView, ctx: Context) -> Emitted:
    """Process parked events in arrival order, as if they had arrived just after the contract."""
    emitted = Emitted()
    for item in ledger.unpark_all():
        emitted = emitted.then(_dispatch(ledger, item.record, item.source, ctx))
    return emitted


def _once(
    ledger: LedgerView, exceptions: tuple[BusinessException, ...], again: str | None = None
) -> tuple[BusinessException, ...]:
    """Drop exceptions already raised for this project (but `again`, being re-driven); remember new ones."""
    fresh = []
    seen: set[str] = set()
    for exc in exceptions:
        exc_id = exc.exception_id
        if exc_id in seen or (exc_id != again and ledger.was_raised(exc_id)):
            continue
        seen.add(exc_id)
        ledger.mark_raised(exc_id)
        fresh.append(exc)
    return tuple(fresh)
