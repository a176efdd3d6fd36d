"""Recompute a project's outputs from its input history with today's code and reference data, in memory.

Nothing here touches Kafka or a table: the history is given, `domain.ledger.decide` does all the deciding,
and the result is what the live ledger would hold and would have emitted had today's rules and rate card
been in force from the start.

Today's reference data = the rate cards (bill and cost rates) of the project's latest APPROVED contract
version. Every approved version in the history is replayed in its place in time, but carrying that rate card,
so terms that really changed over time (status, caps, milestones, value) still change when they did, while
each hour is priced with the rate the latest card says was effective on its work date. A correcting version
that fixes a rate "from its effective date" therefore reprices exactly the work dated from then on.
Feeding only the latest version first would be simpler but wrong: a project CLOSED today would refuse its
whole history, and the diff would reverse every charge it ever posted.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Generic, TypeVar

from domain.ledger import Context, Inbound, MemoryLedger, decide
from domain.ledger.decision import InboundRecord
from domain.records.common import Envelope, Event, SourceRef
from domain.records.erp import BillingCommand
from domain.records.psa import ContractApprovalStatus, ProjectContract, ResourceAssignment

R = TypeVar("R", bound=Event)


@dataclass(frozen=True)
class SourceEvent(Generic[R]):
    """One decoded input record of a project, with its coordinates and Kafka timestamp (ms)."""

    record: R
    source: SourceRef
    timestamp_ms: int

    def order(self) -> tuple[int, str, int, int]:
        """Return the event-time merge key of the worker's scheduler (app/faust_workarounds/scheduling.py)."""
        return (self.timestamp_ms, self.source.topic, self.source.partition, self.source.offset)


LedgerEvent = SourceEvent[InboundRecord]
AssignmentEvent = SourceEvent[ResourceAssignment]


@dataclass(frozen=True)
class Recomputed:
    """The sandbox's outcome for one project."""

    project_id: str
    ledger: MemoryLedger | None
    commands: tuple[BillingCommand, ...]
    envelopes: dict[str, Envelope] = field(default_factory=dict)
    reference: SourceRef | None = None
    events: int = 0


def latest_approved(events: Iterable[LedgerEvent]) -> LedgerEvent | None:
    """Return the project's latest approved contract version: today's reference data."""
    best: LedgerEvent | None = None
    for event in events:
        record = event.record
        approved = (
            isinstance(record, ProjectContract) and record.approval_status is ContractApprovalStatus.APPROVED
        )
        if approved and (best is None or _version(event) > _version(best)):
            best = event
    return best


def _version(event: LedgerEvent) -> int:
    record = event.record
    return record.contract_version if isinstance(record, ProjectContract) else 0


def with_reference(record: InboundRecord, reference: ProjectContract | None) -> InboundRecord:
    """Return the record with today's rate card if it is an approved contract version, else unchanged."""
    if (
        reference is None
        or not isinstance(record, ProjectContract)
        or record.approval_status is not ContractApprovalStatus.APPROVED
    ):
        return record
    return record.model_copy(update={"bill_rates": reference.bill_rates, "cost_rates": reference.cost_rates})


def recompute(project_id: str, history: Sequence[LedgerEvent], park_limit: timedelta) -> Recomputed:
    """Replay a project's history through the domain from an empty ledger; collect what it emits."""
    events = sorted((e for e in history if e.record.project_id == project_id), key=SourceEvent.order)
    reference_event = latest_approved(events)
    reference = reference_event.record if reference_event is not None else None
    ledger = MemoryLedger(project_id)
    commands: list[BillingCommand] = []
    envelopes: dict[str, Envelope] = {}
    for event in events:
        envelopes[event.record.event_id] = event.record.envelope
        record = with_reference(event.record, reference if isinstance(reference, ProjectContract) else None)
        # Event time stands in for processing time: it only decides how long parked items waited.
        now = datetime.fromtimestamp(event.timestamp_ms / 1000, UTC)
        ctx = Context(now=now, park_limit=park_limit)
        decision = decide(ledger, Inbound(record=record, source=event.source), ctx)
        ledger.apply(decision)
        commands.extend(decision.commands)
    return Recomputed(
        project_id=project_id,
        ledger=ledger if events else None,
        commands=tuple(commands),
        envelopes=envelopes,
        reference=None if reference_event is None else reference_event.source,
        events=len(events),
    )
