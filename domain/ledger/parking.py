"""Early events: park them until what they need arrives, report them when they wait too long.

Time and milestones wait for the project's first approved contract; ERP reports wait for the command they
are about (a project being rebuilt, say). Nothing early is dropped.
"""

from __future__ import annotations

from domain.exceptions import at_source, exception_id, raised
from domain.ledger.decision import NOTHING, Context, Emitted
from domain.ledger.state import Parked
from domain.ledger.view import LedgerView
from domain.records.common import SourceRef
from domain.records.erp import BillingStatus
from domain.records.ops import BusinessException, ExceptionReason
from domain.records.psa import MilestoneEvent, TimeEntry


def park(ledger: LedgerView, record: TimeEntry | MilestoneEvent, source: SourceRef, ctx: Context) -> Emitted:
    """Keep an event until the project's first approved contract arrives; a re-sent one is kept once."""
    if not ledger.is_parked(record.event_id):
        ledger.park(Parked(record=record, source=source, parked_at=ctx.now))
    return NOTHING


def overdue(ledger: LedgerView, ctx: Context, again: str | None = None) -> tuple[BusinessException, ...]:
    """Return an exception for each item parked longer than the park limit, not yet reported.

    UNKNOWN_PROJECT for an event waiting for the contract, UNKNOWN_COMMAND for an ERP report waiting for its
    command; identified by the parked event and timed at its event time, so it is the same whenever it is
    noticed; it goes out once (`again`, an exception being re-driven, goes out anew), with the record's
    bytes. The item stays parked. The parked items are read only when the oldest one not yet reported is
    due (or one is re-driven), so an event costs O(1) otherwise.
    """
    oldest = ledger.oldest_unreported
    redriven = again is not None and again.startswith(_WAITING_IDS)
    if not redriven and (oldest is None or ctx.now - oldest <= ctx.park_limit):
        return ()
    due: list[BusinessException] = []
    waiting = []
    for parked in ledger.parked():
        exc = waiting_too_long(ledger.project_id, parked)
        fresh = exc.exception_id == again or not ledger.was_raised(exc.exception_id)
        if ctx.now - parked.parked_at > ctx.park_limit:
            if fresh:
                due.append(exc)
        elif not ledger.was_raised(exc.exception_id):
            waiting.append(parked.parked_at)
    ledger.set_oldest_unreported(min(waiting) if waiting else None)
    return tuple(due)


_WAITING_IDS = (
    f"exc:{ExceptionReason.UNKNOWN_PROJECT.value}:",
    f"exc:{ExceptionReason.UNKNOWN_COMMAND.value}:",
)


def waiting_too_long(project_id: str, parked: Parked) -> BusinessException:
    """Return the exception of a parked item that waited past the park limit (its id, whenever raised)."""
    record = parked.record
    if isinstance(record, BillingStatus):
        exc = raised(
            exception_id(ExceptionReason.UNKNOWN_COMMAND, record.command_id, record.status.value),
            ExceptionReason.UNKNOWN_COMMAND,
            f"ERP reported {record.status.value} for command {record.command_id}, which psflow has not "
            f"issued for project {project_id}; the report is kept until it does",
            record.envelope,
            parked.source,
            project_id,
            command_id=record.command_id,
            amount=record.amount,
            details={"status": record.status.value},
            invoice_ids=() if record.invoice_id is None else (record.invoice_id,),
        )
    else:
        what = (
            f"time entry {record.entry_id} r{record.revision}"
            if isinstance(record, TimeEntry)
            else f"milestone {record.milestone_id} {record.status.value}"
        )
        exc = raised(
            at_source(ExceptionReason.UNKNOWN_PROJECT, parked.source),
            ExceptionReason.UNKNOWN_PROJECT,
            f"project {project_id} has no approved contract; {what} is parked until one arrives",
            record.envelope,
            parked.source,
            project_id,
            resource_id=record.resource_id if isinstance(record, TimeEntry) else None,
            details={"parked_event_type": record.envelope.event_type},
        )
    return exc if parked.raw is None else exc.model_copy(update={"source": parked.raw})
