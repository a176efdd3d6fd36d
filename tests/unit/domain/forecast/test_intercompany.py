"""Intercompany charging and explicit FX: a UK-employed consultant (GBP cost) on a US project (USD)."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import UTC, date, datetime
from decimal import Decimal

from domain.forecast import (
    ForecastContext,
    FxRate,
    FxRates,
    IntercompanyPolicy,
    Markup,
    MemoryProjectForecast,
    project_forecast,
    snapshot,
)
from domain.records.ops import ExceptionReason, ExceptionState
from domain.records.psa import ProjectContract, ResourceAssignment, TimeEntry
from tests.support.factories import contract, resource_assignment, time_entry
from tests.unit.domain.forecast.steps import Step, feed_project
from tests.unit.domain.forecast.steps import reforecast as settle_alone

AS_OF = datetime(2026, 4, 1, tzinfo=UTC)
GBP_USD = FxRates(
    rates=(
        FxRate(from_currency="GBP", to_currency="USD", rate=Decimal("1.25"), effective_from=date(2026, 1, 1)),
    )
)
CTX = ForecastContext(fx=GBP_USD)
FX_MISSING_APRIL = "exc:FX_RATE_MISSING:P-1:GBP:USD:2026-04"


def feed(
    events: Iterable[ProjectContract | TimeEntry | ResourceAssignment],
    ctx: ForecastContext = CTX,
    state: MemoryProjectForecast | None = None,
) -> Step:
    """Apply events in order, one batch each, to P-1 (LE-US, USD, 150/h); return the last state and output."""
    return feed_project(events, ctx, AS_OF, state)


def reforecast(state: MemoryProjectForecast, ctx: ForecastContext, *, as_of: datetime) -> Step:
    """Settle the project with no event (here: once a rate is configured)."""
    return settle_alone(state, ctx, as_of)


def values(state: MemoryProjectForecast, ctx: ForecastContext = CTX) -> dict[str, Decimal]:
    """Return the project's values by "period:metric"."""
    now = project_forecast(state, state.project_id, AS_OF, ctx)
    return {key.split(":", 2)[2]: v for key, v in snapshot(now).items()}


def uk_consultant(**overrides: object) -> ResourceAssignment:
    """Build R-BEN's assignment: employed by LE-UK at 60 GBP/h, 40 h in the week of 6 April."""
    fields: dict[str, object] = {
        "assignment_id": "A-UK",
        "home_legal_entity": "LE-UK",
        "region": "UK",
        "cost_rate": Decimal("60"),
        "cost_currency": "GBP",
        "start_date": date(2026, 4, 6),
        "end_date": date(2026, 4, 10),
    }
    fields.update(overrides)
    return resource_assignment("R-BEN", **fields)


def us_consultant() -> ResourceAssignment:
    """Build R-ANA's assignment: employed by the project's own entity at 80 USD/h, the same week."""
    return resource_assignment(
        "R-ANA", assignment_id="A-US", start_date=date(2026, 4, 6), end_date=date(2026, 4, 10)
    )


def test_the_project_pays_the_uk_entitys_cost_plus_ten_percent_converted_into_dollars() -> None:
    now = values(feed([contract(), uk_consultant(), us_consultant()]).state)
    # LE-UK: 40 h x 60 = 2,400 GBP cost; sold at +10 % = 2,640 GBP; x 1.25 = 3,300 USD to the project.
    assert now["2026-04:entity_cost.LE-UK.GBP"] == Decimal("2400.00")
    assert now["2026-04:intercompany_sale.LE-UK.GBP"] == Decimal("2640.00")
    assert now["2026-04:intercompany_cost"] == Decimal("3300.00")
    # Project: 3,300 USD charged + 40 h x 80 = 3,200 USD own cost; revenue 80 h x 150.
    assert now["2026-04:cost"] == Decimal("6500.00")
    assert now["2026-04:revenue"] == Decimal("12000.00")
    assert now["2026-04:margin"] == Decimal("5500.00")


def test_intercompany_amounts_carry_the_currency_they_are_in() -> None:
    run = feed([contract(), uk_consultant()])
    units = {d.metric: d.unit for d in run.deltas if d.period == "2026-04"}
    assert units["entity_cost.LE-UK.GBP"] == "GBP"
    assert units["intercompany_sale.LE-UK.GBP"] == "GBP"
    assert units["cost"] == "USD"
    assert units["hours"] == "HOURS"


def test_actual_hours_of_a_uk_consultant_are_charged_at_the_intercompany_rate() -> None:
    march = uk_consultant(start_date=date(2026, 3, 2), end_date=date(2026, 3, 31))
    worked = [time_entry(resource_id="R-BEN", work_date=date(2026, 3, day)) for day in (9, 10)]
    now = values(feed([contract(), march, *worked]).state)
    assert now["2026-03:entity_cost.LE-UK.GBP"] == Decimal("960.00")
    assert now["2026-03:intercompany_sale.LE-UK.GBP"] == Decimal("1056.00")
    assert now["2026-03:cost"] == Decimal("1320.00")


def test_a_markup_configured_for_the_entity_pair_beats_the_default() -> None:
    ctx = ForecastContext(
        fx=GBP_USD,
        intercompany=IntercompanyPolicy(
            markups=(Markup(seller="LE-UK", buyer="LE-US", markup=Decimal("0.05")),)
        ),
    )
    now = values(feed([contract(), uk_consultant()], ctx).state, ctx)
    assert now["2026-04:intercompany_sale.LE-UK.GBP"] == Decimal("2520.00")
    assert now["2026-04:cost"] == Decimal("3150.00")


def test_the_latest_rate_effective_on_the_date_wins() -> None:
    rates = FxRates(
        rates=tuple(
            FxRate(from_currency="GBP", to_currency="USD", rate=Decimal(rate), effective_from=day)
            for rate, day in (
                ("1.20", date(2026, 1, 1)),
                ("1.30", date(2026, 5, 1)),
                ("1.25", date(2026, 4, 1)),
            )
        )
    )
    assert rates.rate("GBP", "USD", date(2026, 3, 31)) == Decimal("1.20")
    assert rates.rate("GBP", "USD", date(2026, 4, 30)) == Decimal("1.25")
    assert rates.rate("GBP", "USD", date(2026, 5, 1)) == Decimal("1.30")
    assert rates.rate("GBP", "USD", date(2025, 12, 31)) is None
    assert rates.rate("USD", "GBP", date(2026, 4, 30)) is None


def test_a_missing_rate_raises_fx_rate_missing_and_withholds_the_cost_instead_of_zeroing_it() -> None:
    no_rates = ForecastContext()
    run = feed([contract(), uk_consultant()], no_rates)
    (missing,) = run.exceptions
    assert missing.exception_id == FX_MISSING_APRIL
    assert missing.reason == ExceptionReason.FX_RATE_MISSING
    assert (missing.amount, missing.currency) == (Decimal("2640.00"), "GBP")
    assert missing.details["on"] == "2026-04-01"
    now = values(run.state, no_rates)
    assert "2026-04:cost" not in now
    assert "2026-04:margin" not in now
    assert "2026-04:etc_cost" not in now
    assert now["2026-04:revenue"] == Decimal("6000.00")
    assert now["2026-04:intercompany_sale.LE-UK.GBP"] == Decimal("2640.00")
    assert not any(d.metric == "cost" for d in run.deltas)


def test_a_missing_rate_is_raised_once_and_resolved_when_a_rate_arrives() -> None:
    no_rates = ForecastContext()
    run = feed(
        [contract(), uk_consultant(), time_entry(resource_id="R-BEN", work_date=date(2026, 3, 2))], no_rates
    )
    assert [e.exception_id for e in run.exceptions] == [FX_MISSING_APRIL]
    fixed = reforecast(run.state, CTX, as_of=AS_OF)
    (resolved,) = fixed.exceptions
    assert (resolved.exception_id, resolved.state) == (FX_MISSING_APRIL, ExceptionState.RESOLVED)
    cost = next(d for d in fixed.deltas if d.metric == "cost" and d.period == "2026-04")
    assert (cost.previous, cost.current) == (None, Decimal("3300.00"))
    assert fixed.state.fx_missing == {}
