"""Derived figures: revenue recognition per billing model, EAC/ETC, budget, WIP and margin."""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from typing import Any

import pytest

from domain.figures import percent_complete_revenue
from domain.ledger import MemoryLedger, ProjectFinancials, financials
from domain.records.psa import CostRate
from tests.support.factories import billing_status, contract, play, time_entry

DEAR = (CostRate(role="consultant", rate=Decimal("1500.00"), effective_from=date(2026, 1, 1)),)


def _fixed_fee(*hours: str, **terms: Any) -> MemoryLedger:
    entries = [time_entry(entry_id=f"TE-{i}", hours=Decimal(h)) for i, h in enumerate(hours, 1)]
    return play(contract(billing_model="FIXED_FEE", cost_rates=DEAR, **terms), *entries).ledger


def test_fixed_fee_revenue_is_contract_value_times_cost_to_date_over_eac_cost() -> None:
    figures = financials(_fixed_fee("10.00"))  # cost 15,000.00 of a 60,000.00 budget

    assert (figures.cost, figures.eac_cost, figures.etc_cost) == (
        Decimal("15000.00"),
        Decimal("60000.00"),
        Decimal("45000.00"),
    )
    assert figures.percent_complete == Decimal("25.00")
    assert figures.recognized_revenue == Decimal("25000.00")
    assert figures.margin == Decimal("10000.00")
    assert figures.unbilled_wip == Decimal("25000.00")


def test_fixed_fee_revenue_is_capped_at_the_contract_value_once_cost_overruns_the_budget() -> None:
    figures = financials(_fixed_fee("24.00", "24.00", budget_cost=Decimal("60000.00")))  # cost 72,000.00

    assert (figures.etc_cost, figures.eac_cost) == (Decimal("0.00"), Decimal("72000.00"))
    assert figures.recognized_revenue == Decimal("100000.00")
    assert figures.budget_cost_consumed_pct == Decimal("120.00")


@pytest.mark.parametrize(
    ("value", "cost", "eac", "recognized"),
    [
        ("100000.00", "15000.00", "60000.00", "25000.00"),
        ("1000.01", "1.00", "2.00", "500.00"),  # exactly 500.005: half-even (half-up would give 500.01)
        ("1000.03", "1.00", "2.00", "500.02"),  # exactly 500.015: half-even rounds up to the even cent
        ("100.00", "1.00", "3.00", "33.33"),
        ("100.00", "2.00", "3.00", "66.67"),
        ("100.00", "5.00", "4.00", "100.00"),  # more cost than EAC: capped
        ("100.00", "0.00", "0.00", "0.00"),  # nothing estimated yet
    ],
)
def test_percent_complete_revenue_is_exact_and_rounded_half_even_once(
    value: str, cost: str, eac: str, recognized: str
) -> None:
    assert percent_complete_revenue(Decimal(value), Decimal(cost), Decimal(eac)) == Decimal(recognized)


def test_time_and_materials_revenue_is_the_approved_billable_value_charged_without_held_amounts() -> None:
    decision = play(
        contract(not_to_exceed=Decimal("2000.00")),
        time_entry(entry_id="TE-1"),
        time_entry(entry_id="TE-2"),
        time_entry(entry_id="TE-3", billable=False, hours=Decimal("2.00")),
        billing_status("cmd:TE-1:r1:POST_TIME_CHARGE", status="INVOICED"),
    )

    figures = financials(decision.ledger)
    assert (figures.hours_total, figures.hours_billable) == (Decimal("18.00"), Decimal("16.00"))
    assert (figures.posted, figures.held, figures.recognized_revenue) == (
        Decimal("2000.00"),
        Decimal("400.00"),
        Decimal("2000.00"),
    )
    assert (figures.pending, figures.invoiced, figures.unbilled_wip) == (
        Decimal("800.00"),
        Decimal("1200.00"),
        Decimal("800.00"),
    )
    assert (figures.cost, figures.margin) == (Decimal("1440.00"), Decimal("560.00"))


def test_budget_consumption_is_stated_in_percent_of_hours_and_cost() -> None:
    decision = play(
        contract(budget_hours=Decimal("30.00"), budget_cost=Decimal("2400.00")),
        time_entry(hours=Decimal("10.00")),
    )

    figures = financials(decision.ledger)
    assert (figures.budget_hours_consumed_pct, figures.budget_cost_consumed_pct) == (
        Decimal("33.33"),
        Decimal("33.33"),
    )


def test_a_zero_budget_gives_no_percentages_rather_than_a_division_by_zero() -> None:
    decision = play(contract(budget_hours=Decimal("0"), budget_cost=Decimal("0.00")), time_entry())

    figures = financials(decision.ledger)
    assert (figures.budget_hours_consumed_pct, figures.budget_cost_consumed_pct) == (None, None)
    assert figures.eac_cost == Decimal("640.00")


def test_a_project_with_only_parked_time_has_no_contract_figures() -> None:
    figures = financials(play(time_entry()).ledger)

    assert (figures.contract_version, figures.currency, figures.eac_cost, figures.recognized_revenue) == (
        None,
        None,
        None,
        Decimal("0.00"),
    )
    assert figures.parked == 1


def test_the_financials_survive_a_json_round_trip() -> None:
    figures = financials(_fixed_fee("10.00"))

    assert ProjectFinancials.model_validate_json(figures.model_dump_json()) == figures
