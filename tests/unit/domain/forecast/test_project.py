"""Project forecasts: closed months are actuals, the current one actuals plus plan, later ones plan."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import UTC, date, datetime
from decimal import Decimal

import pytest

from domain.forecast import ForecastContext, MemoryProjectForecast, project_forecast, snapshot
from domain.records.psa import MilestoneEvent, ProjectContract, ResourceAssignment, TimeEntry
from tests.support.factories import contract, envelope, milestone_event, resource_assignment, time_entry
from tests.unit.domain.forecast.steps import Step, feed_project
from tests.unit.domain.forecast.steps import reforecast as settle_alone

CTX = ForecastContext()
MID_APRIL = datetime(2026, 4, 16, 10, 0, tzinfo=UTC)
Event = ProjectContract | TimeEntry | ResourceAssignment | MilestoneEvent


def feed(events: Iterable[Event], as_of: datetime, state: MemoryProjectForecast | None = None) -> Step:
    """Apply events in order, one batch each, to the state of P-1; return the last state and the output."""
    return feed_project(events, CTX, as_of, state)


def reforecast(state: MemoryProjectForecast, ctx: ForecastContext, *, as_of: datetime) -> Step:
    """Settle the project with no event, as time passes."""
    return settle_alone(state, ctx, as_of)


def values(state: MemoryProjectForecast, as_of: datetime) -> dict[str, Decimal]:
    """Return the project's values by "period:metric"."""
    now = project_forecast(state, state.project_id, as_of, CTX)
    return {key.split(":", 2)[2]: v for key, v in snapshot(now).items()}


def entries(*days: date, hours: str = "8") -> list[TimeEntry]:
    """Build approved billable entries of R-ANA on P-1, one per day."""
    return [time_entry(work_date=day, hours=Decimal(hours)) for day in days]


def time_and_materials_project() -> list[Event]:
    """A T&M contract (150/h), R-ANA planned 40 h a week from March to May at 80/h, 32 h already worked."""
    return [
        contract(),
        resource_assignment(assignment_id="A1", start_date=date(2026, 3, 2), end_date=date(2026, 5, 29)),
        *entries(date(2026, 3, 9), date(2026, 3, 10), date(2026, 4, 14), date(2026, 4, 15)),
    ]


def test_a_closed_month_is_its_actuals_only() -> None:
    now = values(feed(time_and_materials_project(), MID_APRIL).state, MID_APRIL)
    assert now["2026-03:hours"] == Decimal("16.00")
    assert now["2026-03:revenue"] == Decimal("2400.00")
    assert now["2026-03:cost"] == Decimal("1280.00")
    assert now["2026-03:margin"] == Decimal("1120.00")


def test_the_current_month_is_actuals_to_date_plus_the_plan_from_as_ofs_date() -> None:
    now = values(feed(time_and_materials_project(), MID_APRIL).state, MID_APRIL)
    # 16 h worked + 11 working days from 16 to 30 April at 8 h = 104 h.
    assert now["2026-04:hours"] == Decimal("104.00")
    assert now["2026-04:revenue"] == Decimal("15600.00")
    assert now["2026-04:cost"] == Decimal("8320.00")
    assert now["2026-04:margin"] == Decimal("7280.00")


def test_a_future_month_is_assigned_hours_at_the_bill_rate() -> None:
    now = values(feed(time_and_materials_project(), MID_APRIL).state, MID_APRIL)
    assert now["2026-05:hours"] == Decimal("168.00")
    assert now["2026-05:revenue"] == Decimal("25200.00")
    assert now["2026-05:cost"] == Decimal("13440.00")
    assert now["2026-05:margin"] == Decimal("11760.00")


def test_backlog_after_partial_delivery_is_the_contract_value_less_recognized_revenue() -> None:
    now = values(feed(time_and_materials_project(), MID_APRIL).state, MID_APRIL)
    assert now["2026-04:recognized_revenue"] == Decimal("4800.00")
    assert now["2026-04:backlog"] == Decimal("95200.00")


def test_etc_is_the_planned_remaining_cost_and_eac_adds_the_actual_cost() -> None:
    now = values(feed(time_and_materials_project(), MID_APRIL).state, MID_APRIL)
    assert now["2026-04:etc_cost"] == Decimal("20480.00")
    assert now["2026-04:eac_cost"] == Decimal("23040.00")


def test_a_fixed_fee_projects_remaining_value_is_spread_over_planned_months_by_planned_cost() -> None:
    as_of = datetime(2026, 4, 1, tzinfo=UTC)
    run = feed(
        [
            contract(billing_model="FIXED_FEE", contract_value=Decimal("111000.00")),
            resource_assignment(
                assignment_id="A1",
                start_date=date(2026, 3, 2),
                end_date=date(2026, 5, 29),
                cost_rate=Decimal("100"),
            ),
            *entries(
                *(date(2026, 3, day) for day in range(2, 14) if date(2026, 3, day).weekday() < 5), hours="10"
            ),
        ],
        as_of,
    )
    now = values(run.state, as_of)
    # Actual cost 10,000; planned cost April 17,600 (176 h) and May 16,800 (168 h): EAC 44,400.
    assert (now["2026-03:cost"], now["2026-04:cost"], now["2026-05:cost"]) == (
        Decimal("10000.00"),
        Decimal("17600.00"),
        Decimal("16800.00"),
    )
    # Recognized 111,000 x 10,000 / 44,400 = 25,000; the remaining 86,000 splits 17,600 : 16,800.
    assert now["2026-04:recognized_revenue"] == Decimal("25000.00")
    assert now["2026-03:revenue"] == Decimal("25000.00")
    assert now["2026-04:revenue"] == Decimal("44000.00")
    assert now["2026-05:revenue"] == Decimal("42000.00")
    assert now["2026-04:backlog"] == Decimal("86000.00")
    assert now["2026-05:margin"] == Decimal("25200.00")


def test_a_fixed_fee_spread_in_cents_adds_up_to_the_remaining_value_exactly() -> None:
    as_of = datetime(2026, 4, 1, tzinfo=UTC)
    run = feed(
        [
            contract(billing_model="FIXED_FEE", contract_value=Decimal("100000.00")),
            resource_assignment(assignment_id="A1", end_date=date(2026, 6, 30), cost_rate=Decimal("77.7777")),
        ],
        as_of,
    )
    now = values(run.state, as_of)
    assert sum(now[f"2026-0{m}:revenue"] for m in (4, 5, 6)) == Decimal("100000.00")


def test_milestone_revenue_sits_in_the_planned_month_and_a_late_one_slips_to_the_current_month() -> None:
    as_of = datetime(2026, 5, 10, tzinfo=UTC)
    milestones = contract(
        billing_model="MILESTONE",
        contract_value=Decimal("50000.00"),
        milestones=(
            {
                "milestone_id": "M1",
                "name": "Design",
                "amount": Decimal("20000.00"),
                "planned_date": date(2026, 4, 1),
            },
            {
                "milestone_id": "M2",
                "name": "Build",
                "amount": Decimal("30000.00"),
                "planned_date": date(2026, 6, 15),
            },
        ),
    )
    planned = values(feed([milestones], as_of).state, as_of)
    assert planned["2026-05:revenue"] == Decimal("20000.00")
    assert planned["2026-06:revenue"] == Decimal("30000.00")
    assert planned["2026-05:backlog"] == Decimal("50000.00")
    accepted = milestone_event(
        status="ACCEPTED",
        envelope=envelope("milestone.accepted", occurred_at=datetime(2026, 5, 5, tzinfo=UTC)),
    )
    now = values(feed([milestones, accepted], as_of).state, as_of)
    assert now["2026-05:revenue"] == Decimal("20000.00")
    assert now["2026-05:recognized_revenue"] == Decimal("20000.00")
    assert now["2026-05:backlog"] == Decimal("30000.00")


def test_a_newer_approved_contract_version_reprices_the_plan_and_others_are_ignored_and_counted() -> None:
    start = feed(time_and_materials_project(), MID_APRIL)
    dearer = [{"role": "consultant", "rate": Decimal("160.00"), "effective_from": date(2026, 1, 1)}]
    run = feed(
        [
            contract(contract_version=3, approval_status="PENDING", bill_rates=dearer),
            contract(contract_version=2, bill_rates=dearer),
            contract(contract_version=1),
        ],
        MID_APRIL,
        start.state,
    )
    moved = {f"{d.period}:{d.metric}": d for d in run.deltas}
    assert moved["2026-05:revenue"].current == Decimal("26880.00")
    assert run.state.contract is not None and run.state.contract.version == 2
    assert run.state.ignored.contract_versions == 2


def test_time_passing_in_the_month_shrinks_the_remaining_plan() -> None:
    run = feed(time_and_materials_project(), MID_APRIL)
    later = reforecast(run.state, CTX, as_of=datetime(2026, 4, 20, tzinfo=UTC))
    moved = {f"{d.period}:{d.metric}": d for d in later.deltas}
    # 16 to 19 April held two working days: 16 h less planned.
    assert moved["2026-04:hours"].current == Decimal("88.00")
    assert moved["2026-04:hours"].cause_event_ids == ()


def test_when_a_month_closes_its_unworked_plan_drops_out() -> None:
    run = feed(time_and_materials_project(), MID_APRIL)
    closed = reforecast(run.state, CTX, as_of=datetime(2026, 5, 1, tzinfo=UTC))
    now = values(closed.state, datetime(2026, 5, 1, tzinfo=UTC))
    assert now["2026-04:hours"] == Decimal("16.00")
    assert now["2026-05:hours"] == Decimal("168.00")
    assert now["2026-05:backlog"] == Decimal("95200.00")
    # The snapshot keeps April's backlog at its last value: a point-in-time figure of a past month.
    published = snapshot(closed.state.emitted)
    assert published["PROJECT:P-1:2026-04:backlog"] == Decimal("95200.00")
    assert published["PROJECT:P-1:2026-05:backlog"] == Decimal("95200.00")
    assert published["PROJECT:P-1:2026-04:hours"] == Decimal("16.00")


def test_a_cancelled_assignment_zeroes_the_months_it_planned() -> None:
    run = feed(time_and_materials_project(), MID_APRIL)
    cancelled = resource_assignment(
        assignment_id="A1",
        revision=2,
        status="CANCELLED",
        start_date=date(2026, 3, 2),
        end_date=date(2026, 5, 29),
    )
    after = feed([cancelled], MID_APRIL, run.state)
    moved = {f"{d.period}:{d.metric}": d for d in after.deltas}
    assert moved["2026-05:hours"].current == 0
    assert moved["2026-05:revenue"].current == 0
    assert moved["2026-04:hours"].current == Decimal("16.00")


def test_a_corrected_time_entry_moves_the_actuals_and_a_stale_one_is_counted() -> None:
    first = time_entry(entry_id="TE-7", work_date=date(2026, 3, 9))
    run = feed([contract(), first], MID_APRIL)
    corrected = time_entry(entry_id="TE-7", revision=2, work_date=date(2026, 3, 9), hours=Decimal("6.00"))
    after = feed([corrected, first], MID_APRIL, run.state)
    moved = {f"{d.period}:{d.metric}": d for d in after.deltas}
    assert (moved["2026-03:hours"].previous, moved["2026-03:hours"].current) == (
        Decimal("8.00"),
        Decimal("6.00"),
    )
    assert after.state.ignored.time_revisions == 1


def test_without_a_contract_only_hours_are_forecast() -> None:
    now = values(feed(entries(date(2026, 3, 9)), MID_APRIL).state, MID_APRIL)
    assert now == {"2026-03:hours": Decimal("8.00")}


def test_an_event_of_another_project_is_a_routing_error() -> None:
    with pytest.raises(ValueError, match="routed"):
        feed([contract("P-2")], MID_APRIL)
