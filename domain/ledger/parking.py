"""Events for a project with no approved contract yet: park them, report them when they wait too long."""

from __future__ import annotations

from domain.exceptions import at_source, raised
from domain.ledger.decision import Context, Decision
from domain.ledger.state import Parked, ProjectLedger
from domain.records.common import SourceRef
from domain.records.ops import BusinessException, ExceptionReason
from domain.records.psa import MilestoneEvent, TimeEntry


def park(
    ledger: ProjectLedger, record: TimeEntry | MilestoneEvent, source: SourceRef, ctx: Context
) -> Decision:
    """Keep an event until the project's first approved contract arrives; a re-sent one is kept once."""
    if any(p.record.event_id == record.event_id for p in ledger.parked):
        return Decision(ledger=ledger)
    parked = Parked(record=record, source=source, parked_at=ctx.now)
    return Decision(ledger=ledger.model_copy(update={"parked": (*ledger.parked, parked)}))


def overdue(ledger: ProjectLedger, ctx: Context) -> tuple[BusinessException, ...]:
    """Return an UNKNOWN_PROJECT exception for each item parked longer than the park limit.

    The exception is identified by the parked event's coordinates and timed at its event time, so it is the
    same whenever it is noticed; the ledger's `raised` list makes it go out once. The item stays parked.
    """
    return tuple(
        _unknown_project(ledger.project_id, p)
        for p in ledger.parked
        if ctx.now - p.parked_at > ctx.park_limit
    )


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
