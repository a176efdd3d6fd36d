"""The entry points: decide one event for one project, report overdue parked items."""

from __future__ import annotations

from domain.exceptions import at_source, exception_id, resolved, with_bytes
from domain.ledger import issues
from domain.ledger.contracts import on_contract
from domain.ledger.decision import Context, Decision, Emitted, Inbound, InboundRecord
from domain.ledger.feedback import on_status, order
from domain.ledger.milestones import on_milestone
from domain.ledger.moves import on_moved_away
from domain.ledger.parking import overdue
from domain.ledger.replay_corrections import on_correction
from domain.ledger.state import Kind, Parked, ProjectTotals
from domain.ledger.time_entries import on_time_entry
from domain.ledger.view import LedgerView
from domain.moves import MovedAway
from domain.records.common import Envelope, SourceRef
from domain.records.erp import BillingCommand, BillingStatus
from domain.records.ops import BusinessException, ExceptionReason, SourceRecord
from domain.records.psa import MilestoneEvent, ProjectContract, TimeEntry
from domain.redrive import Redrive, coordinates, settle
from domain.state import EMPTY, StateReader


def decide(ledger: StateReader | None, inbound: Inbound, ctx: Context) -> Decision:
    """Apply one source event to its project's ledger (the items `ledger` reads; none for a new project).

    Emitted records depend only on the ledger and the event: ids are derived from business identity or
    source coordinates and every envelope is timed at its source event, so a re-run emits the same bytes.
    The first approved contract also processes the events parked before it (and resolves their
    UNKNOWN_PROJECT); a command issued also applies the ERP reports that came before it (and resolves their
    UNKNOWN_COMMAND); parked items older than the park limit are reported on the way (see
    `expire_parked`). Each exception goes out once per problem (domain.ledger.issues), with the bytes of
    the record it is about when they are at hand. Only the items the event concerns are read.
    """
    record = inbound.record
    view = LedgerView(record.project_id, EMPTY if ledger is None else ledger)
    given = view.owner
    if given != record.project_id:
        raise ValueError(f"event for project {record.project_id} given the ledger of {given}")
    view.incoming = inbound.raw
    had_contract = view.contract is not None
    emitted = _dispatch(view, record, inbound.source, ctx)
    records = {} if inbound.raw is None else {coordinates(inbound.raw): inbound.raw}
    if not had_contract and view.contract is not None and view.parked_count:
        emitted = emitted.then(_release_parked(view, ctx, record.envelope, inbound.source, records))
    emitted = emitted.then(_apply_early(view, ctx, records))
    redrive = inbound.redrive
    again = None if redrive is None else redrive.exception_id
    emitted = emitted.then(Emitted(exceptions=overdue(view, ctx, again)))
    exceptions = issues.track(view, emitted.exceptions, again)
    if redrive is not None:
        exceptions = issues.note(view, _settle(view, exceptions, inbound, redrive))
    exceptions = tuple(with_bytes(exc, records) for exc in exceptions)
    return Decision(
        commands=emitted.commands, exceptions=exceptions, changes=view.changes(), moves=emitted.moves
    )


def expire_parked(ledger: StateReader, ctx: Context) -> Decision:
    """Raise UNKNOWN_PROJECT (or UNKNOWN_COMMAND) for each item parked longer than ctx.park_limit, once."""
    totals = ledger.get(Kind.TOTALS, "")
    if not isinstance(totals, ProjectTotals) or not totals.parked:
        return Decision()
    view = LedgerView(totals.project_id, ledger)
    exceptions = issues.track(view, overdue(view, ctx))
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
        case MovedAway():
            return on_moved_away(ledger, record, source, ctx)


def _release_parked(
    ledger: LedgerView, ctx: Context, cause: Envelope, at: SourceRef, records: dict[str, SourceRecord]
) -> Emitted:
    """Process parked events in arrival order, as if they had arrived just after the contract."""
    contract = ledger.contract
    version = "" if contract is None else f" v{contract.contract_version}"
    emitted = Emitted()
    for item in ledger.unpark_all():
        _keep_bytes(item, records)
        emitted = emitted.then(_dispatch(ledger, item.record, item.source, ctx))
        cleared = resolved(
            at_source(ExceptionReason.UNKNOWN_PROJECT, item.source),
            ExceptionReason.UNKNOWN_PROJECT,
            f"contract{version} of project {ledger.project_id} approved: the parked "
            f"{item.record.envelope.event_type} {item.record.event_id} was processed",
            cause,
            at,
            ledger.project_id,
        )
        emitted = emitted.then(Emitted(exceptions=(cleared,)))
    return emitted


def _apply_early(ledger: LedgerView, ctx: Context, records: dict[str, SourceRecord]) -> Emitted:
    """Apply the ERP reports kept for the commands just issued, in the order the ERP said them."""
    emitted = Emitted()
    for command_id in ledger.take_issued():
        reports = ledger.unpark_early(command_id)
        for item in sorted(reports, key=lambda parked: order(_status(parked))):
            _keep_bytes(item, records)
            status = _status(item)
            emitted = emitted.then(on_status(ledger, status, item.source, ctx))
            cleared = resolved(
                exception_id(ExceptionReason.UNKNOWN_COMMAND, command_id, status.status.value),
                ExceptionReason.UNKNOWN_COMMAND,
                f"psflow issued {command_id}: the ERP's {status.status.value} report on it was applied",
                status.envelope,
                item.source,
                ledger.project_id,
                command_ids=(command_id,),
            )
            emitted = emitted.then(Emitted(exceptions=(cleared,)))
    return emitted


def _status(parked: Parked) -> BillingStatus:
    record = parked.record
    assert isinstance(record, BillingStatus)  # only ERP reports are kept for a command
    return record


def _keep_bytes(parked: Parked, records: dict[str, SourceRecord]) -> None:
    if parked.raw is not None:
        records[coordinates(parked.raw)] = parked.raw
