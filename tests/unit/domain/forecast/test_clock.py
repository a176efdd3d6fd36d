"""Forecasts never move backwards: which months are actuals follows the latest time seen, or the clock."""

from __future__ import annotations

from datetime import UTC, date, datetime
from decimal import Decimal

from domain.forecast import ForecastContext, MemoryProjectForecast, ProjectForecastView
from domain.forecast import project as rules
from domain.forecast.projection import POINT_IN_TIME
from tests.support.factories import contract, envelope, resource_assignment, time_entry
from tests.unit.domain.forecast.steps import project_batch

CTX = ForecastContext()
MARCH_10 = datetime(2026, 3, 10, 9, tzinfo=UTC)
FEB_20 = datetime(2026, 2, 20, 9, tzinfo=UTC)
APRIL_2 = datetime(2026, 4, 2, 6, tzinfo=UTC)


def _planned_through_april() -> MemoryProjectForecast:
    """P-1 as of 10 March: a contract, R-ANA planned 40 h a week from March to April, one March entry."""
    records = [
        contract(envelope=envelope(occurred_at=MARCH_10)),
        resource_assignment(
            start_date=date(2026, 3, 2), end_date=date(2026, 4, 30), envelope=envelope(occurred_at=MARCH_10)
        ),
        time_entry(work_date=date(2026, 3, 9), envelope=envelope(occurred_at=MARCH_10)),
    ]
    return project_batch(MemoryProjectForecast("P-1"), records, CTX, MARCH_10).state


def test_a_late_event_of_an_older_month_does_not_turn_later_months_back_into_plan() -> None:
    state = _planned_through_april()
    late = time_entry(entry_id="TE-LATE", work_date=date(2026, 2, 19), envelope=envelope(occurred_at=FEB_20))

    step = project_batch(state, [late], CTX, FEB_20)  # the batch's run is as of the late event's time

    assert step.deltas, "the late February hours move February"
    assert {d.as_of for d in step.deltas} == {MARCH_10}
    assert not [d for d in step.deltas if d.metric in POINT_IN_TIME and d.period == "2026-02"]
    feb = next(d for d in step.deltas if d.metric == "hours" and d.period == "2026-02")
    assert feb.current == Decimal("8.00")


def test_a_periodic_tick_rolls_a_quiet_project_into_the_new_month() -> None:
    state = _planned_through_april()
    march_hours = state.emitted["PROJECT:P-1:2026-03:hours"].value  # actuals plus the rest of March's plan

    view = ProjectForecastView("P-1", state)
    settled = rules.roll(view, CTX, APRIL_2)
    state.apply(view.changes())

    march = next(d for d in settled.deltas if d.metric == "hours" and d.period == "2026-03")
    assert (march.previous, march.current) == (march_hours, Decimal("8.00"))  # March is actuals only now
    assert {d.period for d in settled.deltas if d.metric in POINT_IN_TIME} == {"2026-04"}
    assert {d.as_of for d in settled.deltas} == {APRIL_2} and settled.deltas[0].cause_event_ids == ()


def test_a_tick_in_the_month_of_the_latest_event_or_before_it_changes_nothing() -> None:
    state = _planned_through_april()

    for now in (datetime(2026, 3, 31, 23, tzinfo=UTC), FEB_20):
        view = ProjectForecastView("P-1", state)
        assert rules.roll(view, CTX, now).deltas == ()
        assert view.changes() == ()
