"""The forecast state kept between events, stored as JSON (Decimals as strings, so exact)."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date
from typing import Generic, NamedTuple, TypeVar

from pydantic import BaseModel, ConfigDict

from domain.exceptions import Issue
from domain.forecast.calendar import Period
from domain.forecast.values import ForecastValue
from domain.records.common import Hours, Money, NonEmpty
from domain.records.forecast import ForecastDelta
from domain.records.ops import BusinessException
from domain.records.psa import (
    BillingMilestone,
    BillingModel,
    BillRate,
    CostRate,
    MilestoneStatus,
    ProjectContract,
    ResourceAssignment,
    TimeApprovalStatus,
    TimeEntry,
)


class State(BaseModel):
    """Base of the immutable forecast state parts."""

    model_config = ConfigDict(frozen=True, extra="forbid")


class ActualTime(State):
    """The latest revision of one time entry, as far as forecasting needs it."""

    revision: int
    resource_id: str
    role: str
    work_date: date
    hours: Hours
    billable: bool
    approved: bool

    @classmethod
    def of(cls, entry: TimeEntry) -> ActualTime:
        """Return the facts of a time entry revision."""
        return cls(
            revision=entry.revision,
            resource_id=entry.resource_id,
            role=entry.role,
            work_date=entry.work_date,
            hours=entry.hours,
            billable=entry.billable,
            approved=entry.approval_status == TimeApprovalStatus.APPROVED,
        )


class Ignored(State):
    """Counters of events ignored as stale or repeated (a revision not newer than the one kept)."""

    assignment_revisions: int = 0
    time_revisions: int = 0
    contract_versions: int = 0


class ResourcePlan(State):
    """One resource's plan and actuals: the state behind capacity, utilization and conflicts."""

    resource_id: NonEmpty
    # Region of the latest applied, not cancelled, assignment revision: the calendar of gross capacity.
    region: str | None = None
    # Latest revision of every assignment, cancelled ones included, so a late older revision stays ignored.
    assignments: Mapping[str, ResourceAssignment] = {}
    actuals: Mapping[str, ActualTime] = {}
    # Open CAPACITY_CONFLICTs by exception id.
    conflicts: Mapping[str, Issue] = {}
    emitted: Mapping[str, ForecastValue] = {}
    ignored: Ignored = Ignored()


class ContractTerms(State):
    """The terms of the latest approved contract version that forecasting needs."""

    version: int
    currency: str
    legal_entity: str
    billing_model: BillingModel
    contract_value: Money
    bill_rates: tuple[BillRate, ...] = ()
    cost_rates: tuple[CostRate, ...] = ()
    milestones: tuple[BillingMilestone, ...] = ()

    @classmethod
    def of(cls, contract: ProjectContract) -> ContractTerms:
        """Return the forecasting terms of a contract version."""
        return cls(
            version=contract.contract_version,
            currency=contract.currency,
            legal_entity=contract.legal_entity,
            billing_model=contract.billing_model,
            contract_value=contract.contract_value,
            bill_rates=contract.bill_rates,
            cost_rates=contract.cost_rates,
            milestones=contract.milestones,
        )


class MilestoneProgress(State):
    """The latest status of a milestone and the month of that event; ACCEPTED recognizes its amount."""

    status: MilestoneStatus
    period: Period


class ProjectForecastState(State):
    """One project's terms, actuals and plan: the state behind its monthly forecast."""

    project_id: NonEmpty
    contract: ContractTerms | None = None
    assignments: Mapping[str, ResourceAssignment] = {}
    actuals: Mapping[str, ActualTime] = {}
    milestones: Mapping[str, MilestoneProgress] = {}
    # Open FX_RATE_MISSING exceptions by exception id.
    fx_missing: Mapping[str, Issue] = {}
    emitted: Mapping[str, ForecastValue] = {}
    ignored: Ignored = Ignored()


S = TypeVar("S", ResourcePlan, ProjectForecastState)


class Step(NamedTuple, Generic[S]):
    """What one rule returns: the new state, the deltas and the exceptions to emit."""

    state: S
    deltas: tuple[ForecastDelta, ...]
    exceptions: tuple[BusinessException, ...]


def is_newer(known: Mapping[str, ResourceAssignment], assignment: ResourceAssignment) -> bool:
    """Return whether an assignment revision is newer than the one kept (a first revision always is)."""
    kept = known.get(assignment.assignment_id)
    return kept is None or assignment.revision > kept.revision


def is_newer_time(known: Mapping[str, ActualTime], entry: TimeEntry) -> bool:
    """Return whether a time entry revision is newer than the one kept."""
    kept = known.get(entry.entry_id)
    return kept is None or entry.revision > kept.revision
