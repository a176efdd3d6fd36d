"""Rate selection: resource beats role, the latest rate effective on the work date wins."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

from domain.ledger import financials
from domain.ledger.rates import bill_rate, cost_rate
from domain.records.psa import BillRate, CostRate
from tests.support.factories import contract, play, time_entry

BILL = (
    BillRate(role="consultant", rate=Decimal("150.00"), effective_from=date(2026, 1, 1)),
    BillRate(role="consultant", rate=Decimal("160.00"), effective_from=date(2026, 3, 1)),
    BillRate(role="consultant", resource_id="R-ANA", rate=Decimal("180.00"), effective_from=date(2026, 2, 1)),
    BillRate(role="architect", rate=Decimal("210.00"), effective_from=date(2026, 1, 1)),
)
COST = (
    CostRate(role="consultant", rate=Decimal("80.00"), effective_from=date(2026, 1, 1)),
    CostRate(role="consultant", resource_id="R-ANA", rate=Decimal("95.00"), effective_from=date(2026, 1, 1)),
    CostRate(role="consultant", resource_id="R-ANA", rate=Decimal("99.00"), effective_from=date(2026, 3, 15)),
    CostRate(role="architect", rate=Decimal("120.00"), effective_from=date(2026, 1, 1)),
)
TERMS = contract(bill_rates=BILL, cost_rates=COST)


def test_a_resource_rate_beats_the_role_rate_even_when_the_role_rate_is_more_recent() -> None:
    assert bill_rate(TERMS, "R-ANA", "consultant", date(2026, 3, 10)) == Decimal("180.00")


def test_the_role_rate_applies_before_the_resource_override_takes_effect() -> None:
    assert bill_rate(TERMS, "R-ANA", "consultant", date(2026, 1, 31)) == Decimal("150.00")


def test_the_latest_role_rate_effective_on_the_work_date_wins() -> None:
    assert bill_rate(TERMS, "R-BOB", "consultant", date(2026, 2, 28)) == Decimal("150.00")
    assert bill_rate(TERMS, "R-BOB", "consultant", date(2026, 3, 1)) == Decimal("160.00")


def test_a_resource_bill_override_applies_only_to_its_role() -> None:
    assert bill_rate(TERMS, "R-ANA", "architect", date(2026, 3, 10)) == Decimal("210.00")


def test_no_bill_rate_is_found_before_any_rate_for_the_role_is_effective() -> None:
    assert bill_rate(TERMS, "R-BOB", "consultant", date(2025, 12, 31)) is None
    assert bill_rate(TERMS, "R-BOB", "designer", date(2026, 3, 10)) is None


def test_a_resource_cost_rate_applies_in_any_role_and_the_latest_one_wins() -> None:
    assert cost_rate(TERMS, "R-ANA", "architect", date(2026, 3, 14)) == Decimal("95.00")
    assert cost_rate(TERMS, "R-ANA", "consultant", date(2026, 3, 15)) == Decimal("99.00")
    assert cost_rate(TERMS, "R-BOB", "architect", date(2026, 3, 15)) == Decimal("120.00")


def test_of_two_rates_effective_from_the_same_day_the_last_listed_wins() -> None:
    twice = (
        BillRate(role="consultant", rate=Decimal("150.00"), effective_from=date(2026, 1, 1)),
        BillRate(role="consultant", rate=Decimal("155.00"), effective_from=date(2026, 1, 1)),
    )
    assert bill_rate(contract(bill_rates=twice), "R-BOB", "consultant", date(2026, 3, 2)) == Decimal("155.00")


def test_a_charge_uses_the_rates_selected_for_its_resource_role_and_work_date() -> None:
    decision = play(
        TERMS, time_entry(resource_id="R-ANA", work_date=date(2026, 3, 20), hours=Decimal("2.00"))
    )

    assert decision.commands[-1].lines[0].rate == Decimal("180.00")
    assert decision.commands[-1].amount == Decimal("360.00")
    assert financials(decision.ledger).cost == Decimal("198.00")
