"""A forecast subject's stored items: facts per time entry and assignment, figures per month, one aggregate.

No item grows with the subject's history: an entry or an assignment is an item of its own (its latest
revision), a month's running sums and what was last reported for it are one item each, and the aggregate
holds the contract, the milestones and the counters. Items are stored as their model's JSON (Decimals as
strings, so exact) and read back with `PROJECT_KINDS` / `RESOURCE_KINDS`.
"""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from enum import StrEnum

from pydantic import AwareDatetime, BaseModel, ConfigDict, Field

from domain.exceptions import Issue
from domain.forecast.calendar import Period
from domain.records.common import Hours, Money, NonEmpty
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
from domain.state import Change, Put, Staging

# How many entries add to a running sum, and their exact total; a sum nothing adds to is absent.
Tally = tuple[int, Decimal]


class State(BaseModel):
    """Base of the immutable forecast items."""

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
    # What domain.figures reads besides costs: the budget (ETC before a plan) and the T&M cap.
    # Written only when set, so terms stored before them read back byte for byte.
    budget_cost: Money | None = Field(default=None, exclude_if=lambda value: value is None)
    not_to_exceed: Money | None = Field(default=None, exclude_if=lambda value: value is None)

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
            budget_cost=contract.budget_cost,
            not_to_exceed=contract.not_to_exceed,
        )


class MilestoneProgress(State):
    """The latest status of a milestone and the month of that event; ACCEPTED recognizes its amount."""

    status: MilestoneStatus
    period: Period


class Mark(State):
    """An index entry: its id says everything (see the kinds below)."""


class ProjectAggregate(State):
    """The one small item of a project: its terms, milestones and counters, and how its sums are priced."""

    project_id: NonEmpty
    contract: ContractTerms | None = None
    # Digest of the contract's pricing (currency, entity, rate cards); "" without a contract.
    terms_digest: str = ""
    milestones: dict[str, MilestoneProgress] = {}
    ignored: Ignored = Ignored()
    # "<terms digest>:<fx and intercompany digest>" the month sums were counted with; "" = never counted.
    # Sums priced otherwise, or not exact, are counted again from the actual items before they are read.
    priced: str = ""
    exact: bool = True
    # The latest event time seen (or clock time rolled to): which months are actuals follows it, never an
    # older event that arrives late. Written only when set, so aggregates stored before it read back alike.
    seen_until: AwareDatetime | None = Field(default=None, exclude_if=lambda value: value is None)


class MonthSums(State):
    """A project's approved time in one month: hours, T&M revenue and costs, summed exactly entry by entry.

    Keyed sums: entity figures by "<currency>/<entity>", unconverted amounts by currency.
    """

    hours: Tally | None = None
    tm: Tally | None = None
    project: Tally | None = None
    intercompany: Tally | None = None
    entity_cost: dict[str, Tally] = {}
    entity_sale: dict[str, Tally] = {}
    unconverted: dict[str, Tally] = {}

    def is_empty(self) -> bool:
        """Tell whether no entry adds to the month."""
        scalars = (self.hours, self.tm, self.project, self.intercompany)
        return all(s is None for s in scalars) and not (
            self.entity_cost or self.entity_sale or self.unconverted
        )


class Reported(State):
    """What was last reported for one month of a project: emitted values and open FX_RATE_MISSING issues."""

    # metric -> (last emitted value, unit)
    values: dict[str, tuple[Decimal, str]] = {}
    issues: dict[str, Issue] = {}


class ResourceAggregate(State):
    """The one small item of a resource: its region and counters, and what its months were figured with."""

    resource_id: NonEmpty
    # Region of the latest applied, not cancelled, assignment revision: the calendar of gross capacity.
    region: str | None = None
    ignored: Ignored = Ignored()
    # Digest of the calendar the months' assigned hours are in ("" = none yet: figured from the assignments).
    calendar: str = ""
    # Digest of the calendar and threshold of the last settle: with others, every month is settled again.
    settled: str = ""
    exact: bool = True


class ResourceMonth(State):
    """One month of a resource: planned hours per assignment, billable time, what was last reported."""

    # Exact assigned hours of each live assignment with some in the month.
    assigned: dict[str, Decimal] = {}
    billable: Tally | None = None
    # metric -> last emitted value (the unit follows from the metric).
    emitted: dict[str, Decimal] = {}
    conflict: Issue | None = None

    def is_empty(self) -> bool:
        """Tell whether the month holds nothing."""
        return not self.assigned and self.billable is None and not self.emitted and self.conflict is None


class ProjectKind(StrEnum):
    """The kinds of item a project's forecast keeps."""

    AGGREGATE = "forecast"
    ACTUAL = "actual"
    # Approved entries by "<resource>/<work date>/<entry>": what an assignment change prices again.
    WORKED = "worked"
    ASSIGNMENT = "assignment"
    # Assignments by "<resource>/<assignment>": what prices a resource's time on the project.
    STAFFED = "staffed"
    MONTH = "month"
    REPORTED = "reported"


class ResourceKind(StrEnum):
    """The kinds of item a resource's plan keeps."""

    AGGREGATE = "plan"
    ACTUAL = "actual"
    ASSIGNMENT = "assignment"
    MONTH = "month"


PROJECT_AGGREGATE: str = ProjectKind.AGGREGATE.value
RESOURCE_AGGREGATE: str = ResourceKind.AGGREGATE.value

PROJECT_KINDS: dict[str, type[BaseModel]] = {
    ProjectKind.AGGREGATE.value: ProjectAggregate,
    ProjectKind.ACTUAL.value: ActualTime,
    ProjectKind.WORKED.value: Mark,
    ProjectKind.ASSIGNMENT.value: ResourceAssignment,
    ProjectKind.STAFFED.value: Mark,
    ProjectKind.MONTH.value: MonthSums,
    ProjectKind.REPORTED.value: Reported,
}

RESOURCE_KINDS: dict[str, type[BaseModel]] = {
    ResourceKind.AGGREGATE.value: ResourceAggregate,
    ResourceKind.ACTUAL.value: ActualTime,
    ResourceKind.ASSIGNMENT.value: ResourceAssignment,
    ResourceKind.MONTH.value: ResourceMonth,
}


def part(identifier: str) -> str:
    """Return an id as one part of a composite item id: "/" and "%" escaped, so a prefix scan is exact."""
    return identifier.replace("%", "%25").replace("/", "%2F")


def merge(changes: tuple[Change, ...], into: Staging) -> None:
    """Stage changes into another staging."""
    for change in changes:
        if isinstance(change, Put):
            into.put(change.kind, change.item, change.value)
        else:
            into.delete(change.kind, change.item)
