"""Derived project figures: money by ERP state, cost, budget, EAC/ETC and recognized revenue."""

from __future__ import annotations

from decimal import ROUND_HALF_EVEN, Decimal, localcontext
from typing import Protocol

from domain.ledger.rates import to_cents
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
    parked: int
    ignored_contract_versions: int
    ignored_time_revisions: int


class HasTotals(Protocol):
    """Anything that holds a project's totals: a ledger view, a ledger in memory."""

    @property
    def totals(self) -> ProjectTotals:
        """Return the project's totals."""


def financials(ledger: ProjectTotals | HasTotals) -> ProjectFinancials:
    """Derive a project's figures from its totals.

    posted is the net of every charge issued (time charges, reversals, milestone bills); it splits into
    pending (SENT or ACCEPTED), invoiced (INVOICED or PAID: cumulative, so paid is part of it) and rejected,
    all at the command's amount. held is what the not-to-exceed cap kept back. ETC cost = max(budget cost -
    actual cost, 0) and EAC cost = actual cost + ETC (the budget stands as the estimate until it is
    overrun, then actual cost is the estimate). Percentages are rounded half-even to 0.01 and are None
    when their base is zero. unbilled_wip = recognized - invoiced; margin = recognized - cost.
    """
    totals = ledger if isinstance(ledger, ProjectTotals) else ledger.totals
    contract = totals.contract
    figures = totals.figures
    cost = figures.cost
    etc = None if contract is None else max(contract.budget_cost - cost, ZERO)
    eac = None if etc is None else cost + etc
    hours = figures.hours_total
    recognized = recognized_revenue(totals)
    return ProjectFinancials(
        project_id=totals.project_id,
        currency=None if contract is None else contract.currency,
        billing_model=None if contract is None else contract.billing_model,
        project_status=None if contract is None else contract.project_status,
        contract_version=None if contract is None else contract.contract_version,
        contract_value=None if contract is None else contract.contract_value,
        not_to_exceed=None if contract is None else contract.not_to_exceed,
        hours_total=hours,
        hours_billable=figures.hours_billable,
        cost=cost,
        posted=figures.posted,
        pending=figures.pending,
        invoiced=figures.invoiced,
        paid=figures.paid,
        rejected=figures.rejected,
        held=figures.held,
        recognized_revenue=recognized,
        unbilled_wip=recognized - figures.invoiced,
        margin=recognized - cost,
        budget_hours=None if contract is None else contract.budget_hours,
        budget_cost=None if contract is None else contract.budget_cost,
        budget_hours_consumed_pct=None if contract is None else _pct(hours, contract.budget_hours),
        budget_cost_consumed_pct=None if contract is None else _pct(cost, contract.budget_cost),
        etc_cost=etc,
        eac_cost=eac,
        percent_complete=_pct(cost, eac),
        parked=totals.parked,
        ignored_contract_versions=totals.ignored.contract_versions,
        ignored_time_revisions=totals.ignored.time_revisions,
    )


def recognized_revenue(totals: ProjectTotals) -> Decimal:
    """Return revenue recognized to date under the project's billing model.

    TIME_AND_MATERIALS: as delivered, the approved billable value charged (net time charges; amounts held
    by the cap are not recognized until released). MILESTONE: on acceptance, the sum of billed milestones.
    FIXED_FEE: by percent complete, cost-to-cost (ASC 606 input method): contract value x cost to date /
    EAC cost, capped at the contract value, computed exactly and rounded once, half-even, to the cent.
    """
    contract = totals.contract
    if contract is None:
        return ZERO
    figures = totals.figures
    match contract.billing_model:
        case BillingModel.TIME_AND_MATERIALS:
            return figures.exposure
        case BillingModel.MILESTONE:
            return figures.milestones_billed
        case BillingModel.FIXED_FEE:
            cost = figures.cost
            return percent_complete_revenue(
                contract.contract_value, cost, cost + max(contract.budget_cost - cost, ZERO)
            )
        case _:
            return ZERO


def percent_complete_revenue(contract_value: Decimal, cost_to_date: Decimal, eac_cost: Decimal) -> Decimal:
    """Return contract value x cost to date / EAC cost, capped at the contract value, half-even to the cent.

    Multiplying first and dividing at 60 significant digits leaves a quotient that is either exact or too
    far from any half-cent to be rounded the wrong way.
    """
    if eac_cost <= 0:
        return ZERO
    with localcontext() as exact:
        exact.prec = 60
        share = contract_value * cost_to_date / eac_cost
    return to_cents(min(share, contract_value))


def _pct(part: Decimal, whole: Decimal | None) -> Decimal | None:
    if not whole:
        return None
    with localcontext() as exact:
        exact.prec = 60
        return (part * _HUNDRED / whole).quantize(_PERCENT, rounding=ROUND_HALF_EVEN)
