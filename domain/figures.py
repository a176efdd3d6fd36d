"""A project's progress figures, one definition each: what the forecast reports and /projects/{id} shows.

- actual cost: the cost of approved time to date, in the project currency (the forecast's costing: the
  resource's assignment rate with intercompany markup and FX, else the contract's cost rate card);
- ETC (estimate to complete): the cost still planned from today on (the live assignments' remaining hours
  at their cost rates); a project with no live assignment has no plan yet, and then its unconsumed budget
  stands as the estimate, max(budget cost - actual cost, 0), as a time-phased budget does before work is
  planned;
- EAC (estimate at completion) = actual cost + ETC;
- percent complete = actual cost / EAC (cost-to-cost, the ASC 606 input method), a percent;
- earned revenue to date, by billing model: TIME_AND_MATERIALS, the billable value of approved time
  (hours x bill rate) up to the not-to-exceed cap (what the firm has a right to invoice: ASC 606's
  as-invoiced practical expedient); FIXED_FEE, contract value x percent complete, capped at the contract
  value, computed exactly and rounded once half-even to the cent; MILESTONE, the value of the milestones
  the client accepted;
- backlog = contract value - earned revenue.

The forecast computes them once per settle and reports them under the month it is as of; the ledger's view
shows the values last reported, so the two cannot disagree.
"""

from __future__ import annotations

from decimal import ROUND_HALF_EVEN, Decimal, localcontext

from pydantic import BaseModel, ConfigDict

from domain.records.psa import BillingModel

CENT = Decimal("0.01")
BASIS_POINT = Decimal("0.0001")
ZERO = Decimal(0)


class ProjectFigures(BaseModel):
    """A project's progress figures as of a month, in the project currency (percent complete: a percent)."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    period: str
    etc_cost: Decimal | None = None
    eac_cost: Decimal | None = None
    percent_complete: Decimal | None = None
    earned_revenue: Decimal | None = None
    backlog: Decimal | None = None


def to_cents(value: Decimal) -> Decimal:
    """Round half-even to the cent."""
    return value.quantize(CENT, rounding=ROUND_HALF_EVEN)


def etc_cost(remaining_plan: Decimal | None, budget_cost: Decimal | None, actual_cost: Decimal) -> Decimal:
    """Return the estimate to complete: the remaining plan, or without a plan the unconsumed budget."""
    if remaining_plan is not None:
        return remaining_plan
    return max((budget_cost or ZERO) - actual_cost, ZERO)


def percent_complete(actual_cost: Decimal, eac: Decimal) -> Decimal | None:
    """Return actual cost / EAC as a percent, half-even to 4 decimals; None before anything is estimated."""
    if eac <= 0:
        return None
    with localcontext() as exact:
        exact.prec = 60
        return (actual_cost * 100 / eac).quantize(BASIS_POINT, rounding=ROUND_HALF_EVEN)


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


def earned_revenue(
    model: BillingModel,
    contract_value: Decimal,
    actual_cost: Decimal,
    eac: Decimal,
    delivered: Decimal,
    accepted: Decimal,
    not_to_exceed: Decimal | None = None,
) -> Decimal:
    """Return revenue earned to date under the billing model (see the module docstring)."""
    match model:
        case BillingModel.TIME_AND_MATERIALS:
            return to_cents(delivered if not_to_exceed is None else min(delivered, not_to_exceed))
        case BillingModel.FIXED_FEE:
            return percent_complete_revenue(contract_value, actual_cost, eac)
        case BillingModel.MILESTONE:
            return to_cents(accepted)
        case _:
            return ZERO
