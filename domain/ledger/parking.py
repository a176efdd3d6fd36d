"""Events for a project with no approved contract yet: park them, report them when they wait too long."""

from __future__ import annotations

from domain.exceptions import at_source, raised
from domain.ledger.decision import NOTHING, Context, Emitted
from domain.ledger.state import Parked
from domain.ledger.view import LedgerView
from domain.records.common import SourceRef
from domain.records.ops import BusinessException, ExceptionReason
from domain.records.psa import MilestoneEvent, TimeEntry


def park(ledger: LedgerView, record: TimeEntry | MilestoneEvent, source: SourceRef, ctx: Context) -> Emitted:
    """Keep an event until the project's first approved contract arrives; a re-sent one is kept once."""
    if not ledger.is_parked(record.event_id):
        ledger.park(Parked(record=record, source=source, parked_at=ctx.now))
    return NOTHING


def overdue(ledger: LedgerView, ctx: Context, again: str | None = None) -> tuple[BusinessException, ...]:
    """Return an UNKNOWN_PROJECT exception for each item parked longer than the park limit, not yet reported.

    The exception is identified by the parked event's coordinates and timed at its event time, so it is the
    same whenever it is noticed; it goes out once (`again`, an exception being re-driven, goes out anew).
    The item stays parked. The parked items are read only when the oldest one not yet reported is due (or
    one is re-driven), so an event costs O(1) otherwise.
    """
    oldest = ledger.oldest_unreported
    redriven = again is not None and again.startswith(_UNKNOWN_PROJECT_IDS)
    if not redriven and (oldest is None or ctx.now - oldest <= ctx.park_limit):
        return ()
    due: list[BusinessException] = []
    waiting = []
    for parked in ledger.parked():
        exc = _unknown_project(ledger.project_id, parked)
        fresh = exc.exception_id == again or not ledger.was_raised(exc.exception_id)
        if ctx.now - parked.parked_at > ctx.park_limit:
            if fresh:
                due.append(exc)
        elif not ledger.was_raised(exc.exception_id):
            waiting.append(parked.parked_at)
    ledger.set_oldest_unreported(min(waiting) if waiting else None)
    return tuple(due)


_UNKNOWN_PROJECT_IDS = f"exc:{ExceptionReason.UNKNOWN_PROJECT.value}:"


def _unknown_project(project_id: str, parked: Parked) -> BusinessException:
    record = parked.record
    what = (
        f"time entry {record.entry_id} r{record.revision}"
        if isinstance(record, TimeEntry)
        else f"milestone {record.milestone_id} {record.status.value}"
    )
    return raised(
        at_source(ExceptionReason.UNKNOWN_PROJECT, parked.source),
        ExceptionReason.UNKNOWN_PROJECT,
        f"project {project_id} has no approved contract; {what} is parked until one arrives",
        record.envelope,
        parked.source,
        project_id,
        resource_id=record.resource_id if isinstance(record, TimeEntry) else None,
        details={"parked_event_type": record.envelope.event_type},
    )
