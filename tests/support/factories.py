"""Factories for valid records, so tests state only what matters to them."""

from __future__ import annotations

import itertools
from datetime import UTC, date, datetime
from decimal import Decimal
from typing import Any, NamedTuple

from domain.records.common import Envelope
from domain.records.psa import (
    BillingMilestone,
    BillRate,
    CostRate,
    MilestoneEvent,
    ProjectContract,
    TimeEntry,
)

T0 = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)
_ids = itertools.count(1)


def envelope(event_type: str = "test", **overrides: Any) -> Envelope:
    """Build an envelope with a fresh event id."""
    fields: dict[str, Any] = {
        "event_id": f"evt-{next(_ids)}",
        "event_type": event_type,
        "occurred_at": T0,
        "source_system": "psa",
    }
    fields.update(overrides)
    return Envelope(**fields)


def contract(project_id: str = "P-1", **overrides: Any) -> ProjectContract:
    """Build an approved, active time-and-materials contract version."""
    fields: dict[str, Any] = {
        "envelope": envelope("project.contract_version"),
        "project_id": project_id,
        "contract_version": 1,
        "approval_status": "APPROVED",
        "customer_id": "C-ACME",
        "legal_entity": "LE-US",
        "region": "NA",
        "currency": "USD",
        "billing_model": "TIME_AND_MATERIALS",
        "project_status": "ACTIVE",
        "contract_value": Decimal("100000.00"),
        "budget_hours": Decimal("800"),
        "budget_cost": Decimal("60000.00"),
        "bill_rates": (BillRate(role="consultant", rate=Decimal("150.00"), effective_from=date(2026, 1, 1)),),
        "cost_rates": (CostRate(role="consultant", rate=Decimal("80.00"), effective_from=date(2026, 1, 1)),),
        "milestones": (
            BillingMilestone(
                milestone_id="M1", name="Design", amount=Decimal("20000.00"), planned_date=date(2026, 4, 1)
            ),
        ),
    }
    fields.update(overrides)
    return ProjectContract(**fields)


def time_entry(project_id: str = "P-1", **overrides: Any) -> TimeEntry:
    """Build an approved billable time entry, first revision."""
    fields: dict[str, Any] = {
        "envelope": envelope("time_entry.approved"),
        "entry_id": f"TE-{next(_ids)}",
        "revision": 1,
        "project_id": project_id,
        "resource_id": "R-ANA",
        "role": "consultant",
        "work_date": date(2026, 3, 2),
        "hours": Decimal("8.00"),
        "billable": True,
        "approval_status": "APPROVED",
    }
    fields.update(overrides)
    return TimeEntry(**fields)


def milestone_event(project_id: str = "P-1", **overrides: Any) -> MilestoneEvent:
    """Build a milestone completion event."""
    fields: dict[str, Any] = {
        "envelope": envelope("milestone.completed"),
        "project_id": project_id,
        "milestone_id": "M1",
        "status": "COMPLETED",
    }
    fields.update(overrides)
    return MilestoneEvent(**fields)


# Ledger factories (domain.ledger): inbound coordinates, context, ERP feedback, period close.

from domain.ledger import KINDS, Context, Decision, Inbound, MemoryLedger, decide  # noqa: E402
from domain.moves import MovedAway  # noqa: E402
from domain.records.common import SourceRef  # noqa: E402
from domain.records.erp import AccountingPeriod, BillingCommand, BillingStatus  # noqa: E402
from domain.records.ops import BusinessException  # noqa: E402
from domain.state import MemoryState  # noqa: E402

_TOPICS: dict[type, str] = {
    ProjectContract: "psa.projects",
    TimeEntry: "psa.time-entries",
    MilestoneEvent: "psa.milestones",
    BillingStatus: "erp.billing-status",
    BillingCommand: "psflow.ledger-corrections",
}
_offsets = itertools.count(100)


Source = ProjectContract | TimeEntry | MilestoneEvent | BillingStatus | BillingCommand


def inbound(
    record: Source,
    offset: int | None = None,
    partition: int = 0,
) -> Inbound:
    """Wrap a record with the coordinates of its topic and a fresh offset."""
    source = SourceRef(
        event_id=record.event_id,
        topic=_TOPICS[type(record)],
        partition=partition,
        offset=next(_offsets) if offset is None else offset,
    )
    return Inbound(record=record, source=source)


def context(**overrides: Any) -> Context:
    """Build a processing context at T0 with no closed periods."""
    fields: dict[str, Any] = {"now": T0}
    fields.update(overrides)
    return Context(**fields)


def billing_status(command_id: str, project_id: str = "P-1", **overrides: Any) -> BillingStatus:
    """Build an ERP status (ACCEPTED unless told) for one command."""
    fields: dict[str, Any] = {
        "envelope": envelope("billing_status.reported", source_system="erp"),
        "command_id": command_id,
        "project_id": project_id,
        "status": "ACCEPTED",
    }
    fields.update(overrides)
    return BillingStatus(**fields)


def period_closed(period: str, legal_entity: str | None = None) -> AccountingPeriod:
    """Build the ERP's close of an accounting period (for every legal entity unless one is given)."""
    closing = envelope("period.closed", source_system="erp")
    return AccountingPeriod(envelope=closing, period=period, legal_entity=legal_entity, status="CLOSED")


class Played(NamedTuple):
    """What a sequence of records did to a project: its ledger after them, and everything they emitted."""

    ledger: MemoryLedger
    commands: tuple[BillingCommand, ...]
    exceptions: tuple[BusinessException, ...]
    moves: tuple[MovedAway, ...] = ()


def through_json(ledger: MemoryLedger) -> MemoryLedger:
    """Return the ledger as the worker's tables give it back: every item through its JSON, as stored."""
    items = {
        (kind, item): KINDS[kind].model_validate_json(value.model_dump_json())
        for (kind, item), value in ledger.state.items.items()
    }
    return MemoryLedger(ledger.project_id, MemoryState(items))


def after(ledger: MemoryLedger, decision: Decision) -> MemoryLedger:
    """Return a copy of a ledger with a decision applied."""
    return ledger.copy().apply(decision)


def play(
    *records: Source | Inbound,
    ledger: MemoryLedger | None = None,
    ctx: Context | None = None,
) -> Played:
    """Decide records in order from a ledger (None: a new project) and return everything they emitted.

    The given ledger is not changed: the result holds a copy with every decision applied.
    """
    if not records:
        raise ValueError("play needs at least one record")
    ctx = context() if ctx is None else ctx
    first = records[0].record if isinstance(records[0], Inbound) else records[0]
    current = MemoryLedger(first.project_id) if ledger is None else ledger.copy()
    commands: list[BillingCommand] = []
    exceptions: list[BusinessException] = []
    moves: list[MovedAway] = []
    for record in records:
        step = decide(current, record if isinstance(record, Inbound) else inbound(record), ctx)
        current.apply(step)
        commands += step.commands
        exceptions += step.exceptions
        moves += step.moves
    return Played(current, tuple(commands), tuple(exceptions), tuple(moves))


# Forecast factories (domain.forecast): resource assignments.

from domain.records.psa import ResourceAssignment  # noqa: E402


def resource_assignment(resource_id: str = "R-ANA", **overrides: Any) -> ResourceAssignment:
    """Build a confirmed first revision: 40 h a week on P-1 through April 2026, US-employed, 80 USD/h."""
    fields: dict[str, Any] = {
        "envelope": envelope("resource_assignment.changed"),
        "assignment_id": f"A-{next(_ids)}",
        "revision": 1,
        "resource_id": resource_id,
        "project_id": "P-1",
        "role": "consultant",
        "region": "NA",
        "home_legal_entity": "LE-US",
        "start_date": date(2026, 4, 1),
        "end_date": date(2026, 4, 30),
        "hours_per_week": Decimal("40.00"),
        "cost_rate": Decimal("80.0000"),
        "cost_currency": "USD",
        "status": "CONFIRMED",
    }
    fields.update(overrides)
    return ResourceAssignment(**fields)
