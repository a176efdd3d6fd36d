"""The per-project ledger: the only state the rules keep between events (stored as JSON)."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date
from decimal import Decimal
from enum import StrEnum
from typing import Annotated, Any

from pydantic import AwareDatetime, BaseModel, ConfigDict, Field, model_validator

from domain.records.common import Hours, Money, NonEmpty, Rate, SourceRef
from domain.records.erp import BillingCommandType, BillingLine
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
    hours: Hours
    billable: bool


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
    rate: Rate | None = None
    cost: Money = ZERO
    charges: tuple[Charge, ...] = ()
    held: Money = ZERO


class MilestoneState(State):
    """Progress of one milestone: validated completion, acceptance, the bill."""

    completion: SourceRef | None = None
    acceptance: SourceRef | None = None
    amount: Money | None = None
    command_id: str | None = None


class CommandStatus(StrEnum):
    """Where an issued command is in the ERP, in the only order it may advance."""

    SENT = "SENT"
    ACCEPTED = "ACCEPTED"
    REJECTED = "REJECTED"
    INVOICED = "INVOICED"
    PAID = "PAID"


class CommandState(State):
    """An issued command as far as ERP feedback and the money figures need it."""

    command_type: BillingCommandType
    amount: Money
    status: CommandStatus = CommandStatus.SENT
    source_event_ids: tuple[str, ...] = ()


class Parked(State):
    """An event for a project with no approved contract yet, kept until one arrives."""

    record: TimeEntry | MilestoneEvent
    source: SourceRef
    parked_at: AwareDatetime


class Ignored(State):
    """Counters of events ignored as stale."""

    contract_versions: int = 0
    time_revisions: int = 0


class ProjectLedger(State):
    """Everything psflow remembers about one project; totals are derived by `financials`."""

    project_id: NonEmpty
    contract: ProjectContract | None = None
    entries: Mapping[str, EntryState] = {}
    milestones: Mapping[str, MilestoneState] = {}
    commands: Mapping[str, CommandState] = {}
    parked: tuple[Parked, ...] = ()
    # Ids of every exception already emitted, so one business problem is raised once however often its
    # event is re-sent or re-driven.
    raised: tuple[str, ...] = ()
    ignored: Ignored = Ignored()

    @model_validator(mode="before")
    @classmethod
    def _without_legacy_closed_periods(cls, data: Any) -> Any:
        # Ledgers saved before the accounting calendar became the one source of closed periods carry an
        # always-empty `closed_periods` (nothing ever filled it): read them as they are.
        if isinstance(data, dict) and "closed_periods" in data:
            return {k: v for k, v in data.items() if k != "closed_periods"}
        return data
