"""A project's ledger as keyed items: one per entry, command, milestone, parked event and raised exception,
plus the project's totals (its contract and running figures), so no stored value grows with its history.

Amounts here are plain Decimals: they come from validated wire records (whose types carry the scale
constraints) and rules that round to cents, and checking them again on every event costs more than the rule.
"""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from enum import StrEnum
from typing import Annotated

from pydantic import AwareDatetime, BaseModel, ConfigDict, Field

from domain.records.common import NonEmpty, SourceRef
from domain.records.erp import BillingCommandType, BillingLine, BillingStatus
from domain.records.ops import SourceRecord
from domain.records.psa import MilestoneEvent, ProjectContract, TimeEntry

ZERO = Decimal("0.00")
Period = Annotated[str, Field(pattern=r"^\d{4}-(0[1-9]|1[0-2])$")]


class State(BaseModel):
    """Base of the immutable ledger parts."""

    model_config = ConfigDict(frozen=True, extra="forbid")


class Work(State):
    """Facts of an applied, approved time entry revision."""

    resource_id: str
    role: str
    work_date: date
    hours: Decimal
    billable: bool
    # v2 time entries: the PSA task or work package, carried onto the billing lines.
    task_id: str | None = None


class Charge(State):
    """One live POST_TIME_CHARGE of an entry: kept whole so its reversal negates it exactly."""

    command_id: str
    line: BillingLine
    lineage: tuple[SourceRef, ...]


class EntryState(State):
    """What one time entry contributes to the project: the facts and charges of its applied revision."""

    revision: int
    # Lower than `revision` when the latest revision was refused (an exception was raised): the applied
    # state stays live, and the refused revision is re-evaluated if it comes again (a re-drive) instead of
    # being dropped as a duplicate. 0 when no revision was ever applied.
    applied_revision: int
    source: SourceRef
    work: Work | None = None
    rate: Decimal | None = None
    cost: Decimal = ZERO
    charges: tuple[Charge, ...] = ()
    held: Decimal = ZERO
    # The project the entry moved to (a later revision booked it there): nothing of it stays live here.
    moved_to: str | None = None
    # Charges of the entry the ERP rejected and a revision reversed: the next charge corrects them.
    rejected: tuple[str, ...] = ()

    @property
    def exposure(self) -> Decimal:
        """Return the net amount of the entry's live time charges (what the cap limits)."""
        total = ZERO
        for charge in self.charges:
            total += charge.line.amount
        return total


class MilestoneState(State):
    """Progress of one milestone: validated completion, acceptance, the bill."""

    completion: SourceRef | None = None
    acceptance: SourceRef | None = None
    amount: Decimal | None = None
    command_id: str | None = None


class CommandStatus(StrEnum):
    """Where an issued command is in the ERP: the ERP's latest word on it."""

    SENT = "SENT"
    ACCEPTED = "ACCEPTED"
    REJECTED = "REJECTED"
    INVOICED = "INVOICED"
    PAID = "PAID"


class CommandState(State):
    """An issued command as far as ERP feedback and the money figures need it."""

    command_type: BillingCommandType
    amount: Decimal
    status: CommandStatus = CommandStatus.SENT
    source_event_ids: tuple[str, ...] = ()
    # When the ERP said the status (its event time) and its own sequence: a report older than this is moot.
    status_at: AwareDatetime | None = None
    status_seq: int | None = None
    # Rejected commands this one replaces: its acceptance clears their ERP_REJECTED.
    corrects: tuple[str, ...] = ()


class Parked(State):
    """An early event kept until what it needs arrives: the project's contract, or its command."""

    record: TimeEntry | MilestoneEvent | BillingStatus
    source: SourceRef
    parked_at: AwareDatetime
    # The record's bytes as read, so an exception about it carries them (None: parked before they were kept).
    raw: SourceRecord | None = None


class Mark(State):
    """An item that only says something is so: an exception was raised, an event is parked, an entry holds."""

    at: str = ""


class Raised(State):
    """An exception id emitted for the project: when it was first seen, and whether it is resolved now."""

    at: str = ""  # items written before first_seen existed hold only this (always "")
    first_seen: AwareDatetime | None = None
    resolved: bool = False
    # How many times it was opened: a reopened exception gets a new event id.
    opened: int = 1


class Ignored(State):
    """Counters of events ignored as stale."""

    contract_versions: int = 0
    time_revisions: int = 0


class Figures(State):
    """The project's running figures, kept up to date item by item (see LedgerView)."""

    hours_total: Decimal = ZERO
    hours_billable: Decimal = ZERO
    cost: Decimal = ZERO
    held: Decimal = ZERO
    # Net live time charges: what the not-to-exceed cap limits and T&M revenue recognizes.
    exposure: Decimal = ZERO
    posted: Decimal = ZERO
    pending: Decimal = ZERO
    invoiced: Decimal = ZERO
    paid: Decimal = ZERO
    rejected: Decimal = ZERO
    milestones_billed: Decimal = ZERO


class ProjectTotals(State):
    """The one small item every event of a project reads: its approved terms, figures and counters."""

    project_id: NonEmpty
    contract: ProjectContract | None = None
    figures: Figures = Figures()
    # Events parked now (for a contract or a command), the next parking sequence number, and the oldest
    # parking time not yet reported.
    parked: int = 0
    parked_seq: int = 0
    oldest_unreported: AwareDatetime | None = None
    ignored: Ignored = Ignored()


class Kind(StrEnum):
    """The kinds of item a project's ledger keeps (the middle part of their keys)."""

    TOTALS = "totals"
    ENTRY = "entry"
    COMMAND = "command"
    MILESTONE = "milestone"
    # Parked events by arrival sequence, and the ids of the parked events (a re-sent one is parked once).
    PARKED = "parked"
    PARKED_EVENT = "parked-event"
    # Ids of every exception already emitted, open or resolved: one business problem is raised once however
    # often its event is re-sent or re-driven, and resolved once.
    RAISED = "raised"
    # ERP reports on commands not issued yet, by "<command id>/<event id>": applied when the command is.
    EARLY = "early-status"
    # Entries with a held amount, by work date and entry id: the order a raised cap releases them in.
    HELD = "held"


KINDS: dict[str, type[BaseModel]] = {
    Kind.TOTALS: ProjectTotals,
    Kind.ENTRY: EntryState,
    Kind.COMMAND: CommandState,
    Kind.MILESTONE: MilestoneState,
    Kind.PARKED: Parked,
    Kind.PARKED_EVENT: Mark,
    Kind.RAISED: Raised,
    Kind.EARLY: Parked,
    Kind.HELD: Mark,
}
