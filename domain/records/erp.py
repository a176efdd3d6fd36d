"""Records exchanged with the ERP: billing commands out, billing status back."""

from __future__ import annotations

from datetime import date
from enum import StrEnum
from typing import Annotated

from pydantic import Field

from domain.records.common import Event, Hours, Money, NonEmpty, Rate, Record, SourceRef


class BillingStatusCode(StrEnum):
    """ERP processing state of a billing command."""

    UNKNOWN = "UNKNOWN"
    ACCEPTED = "ACCEPTED"
    REJECTED = "REJECTED"
    INVOICED = "INVOICED"
    PAID = "PAID"


class BillingCommandType(StrEnum):
    """What a billing command asks the ERP to do."""

    UNKNOWN = "UNKNOWN"
    POST_TIME_CHARGE = "POST_TIME_CHARGE"
    REVERSE_TIME_CHARGE = "REVERSE_TIME_CHARGE"
    BILL_MILESTONE = "BILL_MILESTONE"
    UPDATE_BILLING_SCHEDULE = "UPDATE_BILLING_SCHEDULE"


class BillingStatus(Event):
    """ERP feedback on one billing command."""

    command_id: NonEmpty
    project_id: NonEmpty
    status: BillingStatusCode
    reason: str | None = None
    invoice_id: str | None = None
    amount: Money | None = None
    # v2: the ERP's own order of its reports on the command; without it, occurred_at orders them.
    sequence: int | None = None


class BillingLine(Record):
    """One signed line of a billing command."""

    resource_id: str | None = None
    role: str | None = None
    work_date: date | None = None
    hours: Hours | None = None
    rate: Rate | None = None
    amount: Money
    milestone_id: str | None = None
    source_id: str | None = None
    # v2: the time entry's task or work package.
    task_id: str | None = None


class ScheduledMilestone(Record):
    """One milestone of a revised billing schedule."""

    milestone_id: str
    name: str
    amount: Money
    planned_date: date


class BillingSchedule(Record):
    """Revised billing schedule sent on UPDATE_BILLING_SCHEDULE."""

    contract_version: int
    contract_value: Money
    not_to_exceed: Money | None = None
    milestones: tuple[ScheduledMilestone, ...] = ()


class BillingCommand(Event):
    """A command to the ERP; corrections are reversing commands, never edits."""

    command_id: NonEmpty
    command_type: BillingCommandType
    project_id: NonEmpty
    legal_entity: str
    customer_id: str
    currency: str
    amount: Money
    lines: tuple[BillingLine, ...] = ()
    reverses_command_id: str | None = None
    lineage: tuple[SourceRef, ...] = ()
    schedule: BillingSchedule | None = None
    replay_id: str | None = None
    # v2: the date the ERP posts on (the cut-off policy, domain.cutoff) and the amount's own date.
    accounting_date: date | None = None
    natural_date: date | None = None


class PeriodStatus(StrEnum):
    """State of an accounting period for posting."""

    UNKNOWN = "UNKNOWN"
    CLOSED = "CLOSED"
    REOPENED = "REOPENED"


class AccountingPeriod(Event):
    """The ERP closes (or reopens) an accounting period for posting."""

    period: Annotated[str, Field(pattern=r"^\d{4}-(0[1-9]|1[0-2])$")]
    legal_entity: str | None = None
    status: PeriodStatus
