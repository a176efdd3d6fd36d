"""Derived project figures: money by ERP state, cost, budget, EAC/ETC and recognized revenue."""

from __future__ import annotations

from decimal import ROUND_HALF_EVEN, Decimal, localcontext
from typing import Protocol

from domain import figures
from domain.figures import ProjectFigures
from domain.ledger.state import ZERO, ProjectTotals, State
from domain.records.common import Hours, Money
from domain.records.erp import BillingCommandType
from domain.records.psa import BillingModel, ProjectStatus

_HUNDRED = Decimal(100)
_PERCENT = Decimal("0.01")
_TIME = {BillingCommandType.POST_TIME_CHARGE, BillingCommandType.REVERSE_TIME_CHARGE}


class ProjectFinancials(State):
    """A project's financial state as GET /projects/{id} shows it; every amount in the project currency."""

    project_id: str
    currency: str | None
    billing_model: BillingModel | None
    project_status: ProjectStatus | None
    contract_version: int | None
    contract_value: Money | None
    not_to_exceed: Money | None
    hours_total: Decimal
    hours_billable: Decimal
    cost: Money
    posted: Money
    pending: Money
    invoiced: Money
    paid: Money
    rejected: Money
    held: Money
    recognized_revenue: Money
    unbilled_wip: Money
    margin: Money
    budget_hours: Hours | None
    budget_cost: Money | None
    budget_hours_consumed_pct: Decimal | None
    budget_cost_consumed_pct: Decimal | None
    etc_cost: Money | None
    eac_cost: Money | None
    percent_complete: Decimal | None
    # The month the progress figures are as of (the forecast's); None when the ledger computed them itself.
    figures_as_of: str | None = None
    parked: int
    ignored_contract_versions: int
    ignored_time_revisions: int


class HasTotals(Protocol):
    """Anything that holds a project's totals: a ledger view, a ledger in memory."""

    @property
    def totals(self) -> ProjectTotals:
        """Return the project's totals."""


def financials(ledger: ProjectTotals | HasTotals, figures: ProjectFigures | None = None) -> ProjectFinancials:
    """Derive a project's figures from its totals and its progress figures.

    posted is the net of every charge issued (time charges, reversals, milestone bills); it splits into
    pending (SENT or ACCEPTED), invoiced (INVOICED or PAID: cumulative, so paid is part of it) and rejected,
    all at the command's amount. held is what the not-to-exceed cap kept back. ETC, EAC, percent complete
    and recognized (earned) revenue have one definition each (domain.figures): `figures` are the values the
    project's forecast last reported (what /projects/{id} shows, equal to the latest forecast.deltas);
    without them (no forecast settled yet) they are computed by the same definitions from the ledger alone:
    no plan (so the unconsumed budget is the ETC), the cost at the contract's cost rates, the billable value
    charged or held, the milestones billed. Percentages of the budget are rounded half-even to 0.01 and are
    None when their base is zero. unbilled_wip = recognized - invoiced; margin = recognized - cost.
    """
    totals = ledger if isinstance(ledger, ProjectTotals) else ledger.totals
    contract = totals.contract
    progress = figures if figures is not None else ledger_figures(totals)
    figures_ = totals.figures
    cost = figures_.cost
    hours = figures_.hours_total
    recognized = progress.earned_revenue if progress.earned_revenue is not None else ZERO
    return ProjectFinancials(
        project_id=totals.project_id,
        currency=None if contract is None else contract.currency,
        billing_model=None if contract is None else contract.billing_model,
        project_status=None if contract is None else contract.project_status,
        contract_version=None if contract is None else contract.contract_version,
        contract_value=None if contract is None else contract.contract_value,
        not_to_exceed=None if contract is None else contract.not_to_exceed,
        hours_total=hours,
        hours_billable=figures_.hours_billable,
        cost=cost,
        posted=figures_.posted,
        pending=figures_.pending,
        invoiced=figures_.invoiced,
        paid=figures_.paid,
        rejected=figures_.rejected,
        held=figures_.held,
        recognized_revenue=recognized,
        unbilled_wip=recognized - figures_.invoiced,
        margin=recognized - cost,
        budget_hours=None if contract is None else contract.budget_hours,
        budget_cost=None if contract is None else contract.budget_cost,
        budget_hours_consumed_pct=None if contract is None else _pct(hours, contract.budget_hours),
        budget_cost_consumed_pct=None if contract is None else _pct(cost, contract.budget_cost),
        etc_cost=progress.etc_cost,
        eac_cost=progress.eac_cost,
        percent_complete=progress.percent_complete,
        figures_as_of=progress.period or None,
        parked=totals.parked,
        ignored_contract_versions=totals.ignored.contract_versions,
        ignored_time_revisions=totals.ignored.time_revisions,
    )


def ledger_figures(totals: ProjectTotals) -> ProjectFigures:
    """Return the progress figures by domain.figures from the ledger alone (before any forecast settled)."""
    contract = totals.contract
    if contract is None:
        return ProjectFigures(period="", earned_revenue=ZERO)
    figures_ = totals.figures
    cost = figures_.cost
    etc = figures.etc_cost(None, contract.budget_cost, cost)
    eac = cost + etc
    earned = figures.earned_revenue(
        contract.billing_model,
        contract.contract_value,
        cost,
        eac,
        delivered=figures_.exposure + figures_.held,
        accepted=figures_.milestones_billed,
        not_to_exceed=contract.not_to_exceed,
    )
    return ProjectFigures(
        period="",
        etc_cost=etc,
        eac_cost=eac,
        percent_complete=figures.percent_complete(cost, eac),
        earned_revenue=earned,
        backlog=contract.contract_value - earned,
    )


def recognized_revenue(totals: ProjectTotals) -> Decimal:
    """Return revenue recognized to date by the ledger alone (domain.figures; see `ledger_figures`)."""
    earned = ledger_figures(totals).earned_revenue
    return ZERO if earned is None else earned


def _pct(part: Decimal, whole: Decimal | None) -> Decimal | None:
    if not whole:
        return None
    with localcontext() as exact:
        exact.prec = 60
        return (part * _HUNDRED / whole).quantize(_PERCENT, rounding=ROUND_HALF_EVEN)
