"""Records the PSA publishes: contracts, time entries, milestones, resource assignments."""

from __future__ import annotations

from datetime import date
from enum import StrEnum
from typing import Annotated

from pydantic import Field, model_validator

from domain.records.common import Event, Hours, Money, NonEmpty, Rate, Record

Revision = Annotated[int, Field(ge=1)]


class ContractApprovalStatus(StrEnum):
    """Approval state of a contract version."""

    UNKNOWN = "UNKNOWN"
    PENDING = "PENDING"
    APPROVED = "APPROVED"
    REJECTED = "REJECTED"


class BillingModel(StrEnum):
    """How a project bills and recognizes revenue."""

    UNKNOWN = "UNKNOWN"
    TIME_AND_MATERIALS = "TIME_AND_MATERIALS"
    FIXED_FEE = "FIXED_FEE"
    MILESTONE = "MILESTONE"


class ProjectStatus(StrEnum):
    """Delivery status of a project."""

    UNKNOWN = "UNKNOWN"
    ACTIVE = "ACTIVE"
    ON_HOLD = "ON_HOLD"
    CLOSED = "CLOSED"


class TimeApprovalStatus(StrEnum):
    """Approval state of a time entry revision."""

    UNKNOWN = "UNKNOWN"
    SUBMITTED = "SUBMITTED"
    APPROVED = "APPROVED"
    REJECTED = "REJECTED"


class MilestoneStatus(StrEnum):
    """Progress of a milestone."""

    UNKNOWN = "UNKNOWN"
    COMPLETED = "COMPLETED"
    ACCEPTED = "ACCEPTED"
    REJECTED = "REJECTED"


class AssignmentStatus(StrEnum):
    """State of a resource assignment."""

    UNKNOWN = "UNKNOWN"
    PLANNED = "PLANNED"
    CONFIRMED = "CONFIRMED"
    CANCELLED = "CANCELLED"


class BillRate(Record):
    """Hourly bill rate for a role, or one resource, from a date."""

    role: NonEmpty
    resource_id: str | None = None
    rate: Annotated[Rate, Field(ge=0)]
    effective_from: date


class CostRate(Record):
    """Hourly cost rate for a role, or one resource, from a date."""

    role: NonEmpty
    resource_id: str | None = None
    rate: Annotated[Rate, Field(ge=0)]
    effective_from: date


class BillingMilestone(Record):
    """One milestone of a contract's billing schedule."""

    milestone_id: NonEmpty
    name: str
    amount: Annotated[Money, Field(ge=0)]
    planned_date: date


class ProjectContract(Event):
    """One version of a project's contract."""

    project_id: NonEmpty
    contract_version: Revision
    approval_status: ContractApprovalStatus
    customer_id: NonEmpty
    legal_entity: NonEmpty
    region: NonEmpty
    currency: Annotated[str, Field(pattern=r"^[A-Z]{3}$")]
    billing_model: BillingModel
    project_status: ProjectStatus
    contract_value: Annotated[Money, Field(ge=0)]
    budget_hours: Annotated[Hours, Field(ge=0)]
    budget_cost: Annotated[Money, Field(ge=0)]
    not_to_exceed: Annotated[Money, Field(ge=0)] | None = None
    bill_rates: tuple[BillRate, ...] = ()
    cost_rates: tuple[CostRate, ...] = ()
    milestones: tuple[BillingMilestone, ...] = ()
    amendment_reason: str | None = None

    @model_validator(mode="after")
    def _milestone_ids_are_unique(self) -> ProjectContract:
        ids = [m.milestone_id for m in self.milestones]
        if len(ids) != len(set(ids)):
            raise ValueError("milestone ids must be unique within a contract version")
        return self


class TimeEntry(Event):
    """One revision of a time entry."""

    entry_id: NonEmpty
    revision: Revision
    project_id: NonEmpty
    resource_id: NonEmpty
    role: NonEmpty
    work_date: date
    hours: Annotated[Hours, Field(gt=0, le=24)]
    billable: bool
    approval_status: TimeApprovalStatus
    description: str | None = None
    # v2: the PSA task or work package, carried onto the billing line.
    task_id: str | None = None
    # v2: on the revision that moves the entry, the project it was booked on until then.
    previous_project_id: str | None = None


class MilestoneEvent(Event):
    """A milestone's completion or acceptance."""

    project_id: NonEmpty
    milestone_id: NonEmpty
    status: MilestoneStatus
    actor: str | None = None


class ResourceAssignment(Event):
    """One revision of a resource's assignment to a project."""

    assignment_id: NonEmpty
    revision: Revision
    resource_id: NonEmpty
    project_id: NonEmpty
    role: NonEmpty
    region: NonEmpty
    home_legal_entity: NonEmpty
    start_date: date
    end_date: date
    hours_per_week: Annotated[Hours, Field(ge=0, le=168)]
    cost_rate: Annotated[Rate, Field(ge=0)]
    cost_currency: Annotated[str, Field(pattern=r"^[A-Z]{3}$")]
    status: AssignmentStatus

    @model_validator(mode="after")
    def _ends_after_start(self) -> ResourceAssignment:
        if self.end_date < self.start_date:
            raise ValueError("end_date is before start_date")
        return self
