"""Rate cards, cost lines, intercompany charges and explicit FX conversion into the project currency."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal
from typing import NamedTuple, TypeVar

from domain.forecast.calendar import month_bounds, period_of
from domain.forecast.config import ForecastContext
from domain.forecast.state import ActualTime, ContractTerms
from domain.ledger.rates import select_bill_rate, select_cost_rate
from domain.records.psa import BillRate, CostRate, ResourceAssignment

_Rate = TypeVar("_Rate", BillRate, CostRate)
# (period, legal entity, currency)
EntityKey = tuple[str, str, str]


class CostLine(NamedTuple):
    """An exact cost in the currency of the legal entity that employs the resource."""

    period: str
    amount: Decimal
    currency: str
    entity: str


def bill_rate(terms: ContractTerms, resource_id: str, role: str, on: date) -> Decimal | None:
    """Return the bill rate of a resource in a role on a day, by the ledger's one rate-card rule."""
    return select_bill_rate(terms.bill_rates, resource_id, role, on)


def actual_cost(
    terms: ContractTerms, assignments: Iterable[ResourceAssignment], actual: ActualTime
) -> CostLine | None:
    """Return the cost of approved hours at the rate of the resource's assignment covering the day.

    A cancelled assignment still prices the work done under it. Without any, the contract's cost rate card
    applies (project entity and currency); without either the cost is unknown and None is returned.
    """
    covering = [
        a
        for a in assignments
        if a.resource_id == actual.resource_id and a.start_date <= actual.work_date <= a.end_date
    ]
    period = period_of(actual.work_date)
    if covering:
        chosen = max(covering, key=lambda a: (a.start_date, a.assignment_id))
        return CostLine(
            period, actual.hours * chosen.cost_rate, chosen.cost_currency, chosen.home_legal_entity
        )
    rate = select_cost_rate(terms.cost_rates, actual.resource_id, actual.role, actual.work_date)
    if rate is None:
        return None
    return CostLine(period, actual.hours * rate, terms.currency, terms.legal_entity)


@dataclass
class Costs:
    """A project's costs per month in its currency, the intercompany part, and the sellers' own figures."""

    project: dict[str, Decimal] = field(default_factory=lambda: defaultdict(Decimal))
    intercompany: dict[str, Decimal] = field(default_factory=lambda: defaultdict(Decimal))
    entity_cost: dict[EntityKey, Decimal] = field(default_factory=lambda: defaultdict(Decimal))
    entity_sale: dict[EntityKey, Decimal] = field(default_factory=lambda: defaultdict(Decimal))
    # (period, currency) -> amount that could not be converted for want of a rate.
    unconverted: dict[tuple[str, str], Decimal] = field(default_factory=lambda: defaultdict(Decimal))

    def add(self, line: CostLine, terms: ContractTerms, ctx: ForecastContext) -> None:
        """Charge a cost line to the project, at the intercompany price when another entity employs them."""
        amount = line.amount
        intercompany = line.entity != terms.legal_entity
        if intercompany:
            key = (line.period, line.entity, line.currency)
            self.entity_cost[key] += amount
            amount *= 1 + ctx.intercompany.markup(line.entity, terms.legal_entity)
            self.entity_sale[key] += amount
        # Monthly rate: the latest rate in force on the first day of the month.
        rate = ctx.fx.rate(line.currency, terms.currency, month_bounds(line.period)[0])
        if rate is None:
            self.unconverted[(line.period, line.currency)] += amount
            return
        self.project[line.period] += amount * rate
        if intercompany:
            self.intercompany[line.period] += amount * rate

    def periods(self) -> set[str]:
        """Return every month with a cost, converted or not."""
        return set(self.project) | {period for period, _ in self.unconverted}

    def incomplete(self) -> set[str]:
        """Return the months with an amount left unconverted."""
        return {period for period, _ in self.unconverted}
