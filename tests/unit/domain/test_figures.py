"""One set of figures: ETC, EAC, percent complete and earned revenue, one definition, one value everywhere."""

from __future__ import annotations

from datetime import UTC, date, datetime
from decimal import Decimal

import pytest

from domain import figures
from domain.forecast import ForecastContext, MemoryProjectForecast, current_figures
from domain.ledger import MemoryLedger, financials
from domain.records.psa import BillingModel, CostRate
from tests.support.factories import contract, milestone_event, play, resource_assignment, time_entry
from tests.unit.domain.forecast.steps import feed_project

AS_OF = datetime(2026, 3, 2, 18, tzinfo=UTC)
DEAR = (CostRate(role="consultant", rate=Decimal("1500.00"), effective_from=date(2026, 1, 1)),)


def test_etc_is_the_remaining_plan_or_without_a_plan_the_unconsumed_budget() -> None:
    assert figures.etc_cost(Decimal("500"), Decimal("60000"), Decimal("15000")) == Decimal("500")
    assert figures.etc_cost(None, Decimal("60000"), Decimal("15000")) == Decimal("45000")
    assert figures.etc_cost(None, Decimal("60000"), Decimal("72000")) == 0


@pytest.mark.parametrize(
    ("model", "earned"),
    [
        (BillingModel.TIME_AND_MATERIALS, Decimal("1000.00")),  # 1,200.00 delivered, capped at 1,000.00
        (BillingModel.FIXED_FEE, Decimal("25000.00")),  # 100,000.00 x 15,000 / 60,000
        (BillingModel.MILESTONE, Decimal("20000.00")),
        (BillingModel.UNKNOWN, Decimal("0")),
    ],
)
def test_earned_revenue_has_one_definition_per_billing_model(model: BillingModel, earned: Decimal) -> None:
    value, cost, eac = Decimal("100000.00"), Decimal("15000.00"), Decimal("60000.00")
    got = figures.earned_revenue(
        model, value, cost, eac, Decimal("1200.00"), Decimal("20000.00"), Decimal("1000.00")
    )
    assert got == earned
    assert figures.percent_complete(cost, eac) == Decimal("25.0000")


def _fixed_fee_with_a_plan() -> tuple[MemoryLedger, MemoryProjectForecast]:
    terms = contract(billing_model="FIXED_FEE", cost_rates=DEAR)
    plan = resource_assignment("R-ANA", start_date=date(2026, 3, 2), end_date=date(2026, 3, 31))
    work = time_entry(entry_id="TE-1", hours=Decimal("4.00"))
    forecast = feed_project([terms, plan, work], ForecastContext(), AS_OF).state
    return play(terms, work).ledger, forecast


def test_the_project_view_shows_exactly_the_figures_of_the_latest_forecast_deltas() -> None:
    ledger, forecast = _fixed_fee_with_a_plan()

    shown = financials(ledger, current_figures(forecast, "P-1"))

    reported = {v.metric: v.value for v in forecast.emitted.values() if v.period == "2026-03"}
    assert shown.figures_as_of == "2026-03"
    assert (shown.eac_cost, shown.etc_cost, shown.percent_complete, shown.recognized_revenue) == (
        reported["eac_cost"],
        reported["etc_cost"],
        reported["percent_complete"],
        reported["recognized_revenue"],
    )
    # Cost-to-cost on the plan: 4 h x 80 USD spent (the assignment's rate), the rest of March still planned.
    assert reported["etc_cost"] > 0 and reported["recognized_revenue"] < Decimal("100000.00")


def test_a_fixed_fee_project_with_no_plan_yet_estimates_with_its_budget_not_its_actual_cost() -> None:
    records = [
        contract(billing_model="FIXED_FEE", cost_rates=DEAR),
        time_entry(entry_id="TE-1", hours=Decimal("10.00")),
    ]

    reported = {
        v.metric: v.value for v in feed_project(records, ForecastContext(), AS_OF).state.emitted.values()
    }

    # 10 h x 1,500.00 = 15,000.00 spent of a 60,000.00 budget: a quarter done, not all of it.
    assert (reported["eac_cost"], reported["etc_cost"]) == (Decimal("60000.00"), Decimal("45000.00"))
    assert (reported["percent_complete"], reported["recognized_revenue"]) == (
        Decimal("25.0000"),
        Decimal("25000.00"),
    )
    assert financials(play(*records).ledger).recognized_revenue == reported["recognized_revenue"]


def test_time_and_materials_revenue_earned_stops_at_the_not_to_exceed_cap_in_the_forecast_too() -> None:
    records = [contract(not_to_exceed=Decimal("1000.00")), time_entry(entry_id="TE-1")]  # 1,200.00 of time

    reported = {
        v.metric: v.value for v in feed_project(records, ForecastContext(), AS_OF).state.emitted.values()
    }

    assert (
        reported["recognized_revenue"]
        == financials(play(*records).ledger).recognized_revenue
        == Decimal("1000.00")
    )


def test_milestone_revenue_is_earned_on_acceptance() -> None:
    records = [contract(billing_model="MILESTONE"), milestone_event(status="ACCEPTED")]

    reported = feed_project(records, ForecastContext(), AS_OF).state.emitted

    assert reported["PROJECT:P-1:2026-03:recognized_revenue"].value == Decimal("20000.00")
