"""Rate selection from a contract's rate card, and rounding to cents."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date
from decimal import ROUND_HALF_EVEN, Decimal
from typing import TypeVar

from domain.records.psa import BillRate, CostRate, ProjectContract

CENT = Decimal("0.01")
_Rate = TypeVar("_Rate", BillRate, CostRate)


def to_cents(value: Decimal) -> Decimal:
    """Round an exact amount to cents, half to even (banker's rounding)."""
    return value.quantize(CENT, rounding=ROUND_HALF_EVEN)


def _latest(rates: Iterable[_Rate], on: date) -> _Rate | None:
    """Return the rate with the latest effective date on or before `on`; of equal dates the last listed."""
    best: _Rate | None = None
    for rate in rates:
        if rate.effective_from <= on and (best is None or rate.effective_from >= best.effective_from):
            best = rate
    return best


def bill_rate(contract: ProjectContract, resource_id: str, role: str, on: date) -> Decimal | None:
    """Return the bill rate for a resource working in a role on a day, or None when none is effective."""
    return select_bill_rate(contract.bill_rates, resource_id, role, on)


def select_bill_rate(rates: Iterable[BillRate], resource_id: str, role: str, on: date) -> Decimal | None:
    """Return the bill rate of a rate card for a resource in a role on a day (the one rule, shared).

    A resource's own rate for the role (an override) beats the role's rate, even when the role's rate is
    more recent; within each, the latest rate effective on the day wins.
    """
    card = tuple(rates)
    own = _latest((r for r in card if r.resource_id == resource_id and r.role == role), on)
    if own is not None:
        return own.rate
    general = _latest((r for r in card if r.resource_id is None and r.role == role), on)
    return None if general is None else general.rate


def cost_rate(contract: ProjectContract, resource_id: str, role: str, on: date) -> Decimal | None:
    """Return the cost rate of a resource on a day, or None when none is effective."""
    return select_cost_rate(contract.cost_rates, resource_id, role, on)


def select_cost_rate(rates: Iterable[CostRate], resource_id: str, role: str, on: date) -> Decimal | None:
    """Return a rate card's cost rate for a resource on a day: its own (any role), else the role's."""
    card = tuple(rates)
    own = _latest((r for r in card if r.resource_id == resource_id), on)
    if own is not None:
        return own.rate
    general = _latest((r for r in card if r.resource_id is None and r.role == role), on)
    return None if general is None else general.rate
