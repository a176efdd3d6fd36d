"""Figures kept between events: running sums equal a recount from every fact, and items read back from JSON
decide exactly as the live ones."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal

from hypothesis import given, settings

from domain.forecast import (
    CapacityCalendar,
    ForecastContext,
    FxRate,
    FxRates,
    MemoryProjectForecast,
    MemoryResourcePlan,
    ProjectForecastView,
    ResourcePlanView,
    project_forecast,
)
from domain.forecast import actuals as sums
from domain.forecast import resource as resource_rules
from domain.forecast.state import MonthSums, ResourceMonth
from domain.records.psa import ResourceAssignment, TimeEntry
from tests.support.factories import contract, resource_assignment, time_entry
from tests.unit.domain.forecast.histories import EUR, PROJECT_BATCHES, RESOURCE_BATCHES
from tests.unit.domain.forecast.steps import (
    ProjectEvent,
    ResourceEvent,
    feed_project,
    feed_resource,
    project_batch,
    read_back,
    resource_batch,
)

EUR_USD = FxRate(
    from_currency="EUR", to_currency="USD", rate=Decimal("1.0837"), effective_from=date(2026, 1, 1)
)
CTX = ForecastContext(
    fx=FxRates(rates=(EUR_USD,)),
    calendar=CapacityCalendar(holidays={"NA": frozenset({date(2026, 4, 3)})}),
)
APRIL = datetime(2026, 4, 16, 10, tzinfo=UTC)


def recounted_project(state: MemoryProjectForecast, ctx: ForecastContext = CTX) -> dict[str, MonthSums]:
    """Return the project's month sums counted afresh from every entry."""
    view = ProjectForecastView(state.project_id, state)
    sums.recount(view, ctx)
    return view.months()


def kept_project(state: MemoryProjectForecast) -> dict[str, MonthSums]:
    """Return the month sums the state keeps."""
    return {
        item: value for item, value in state.state.of_kind("month").items() if isinstance(value, MonthSums)
    }


def recounted_resource(plan: MemoryResourcePlan, ctx: ForecastContext = CTX) -> dict[str, ResourceMonth]:
    """Return the resource's months figured afresh from every assignment and entry."""
    view = ResourcePlanView(plan.resource_id, plan)
    resource_rules.recount(view, ctx)
    return view.months()


def twin_project(steps: Sequence[tuple[Sequence[ProjectEvent], datetime]]) -> MemoryProjectForecast:
    """Settle batches on a live state and on the same items read back from JSON; assert they agree, and
    that the running sums equal a recount after every batch."""
    live = MemoryProjectForecast("P-1")
    for batch, as_of in steps:
        kept, afresh = (
            project_batch(live, batch, CTX, as_of),
            project_batch(read_back(live), batch, CTX, as_of),
        )
        assert kept.deltas == afresh.deltas, batch
        assert kept.exceptions == afresh.exceptions, batch
        assert kept.state == afresh.state, batch
        assert read_back(kept.state) == kept.state
        assert kept_project(kept.state) == recounted_project(kept.state), batch
        live = kept.state
    return live


def twin_resource(steps: Sequence[tuple[Sequence[ResourceEvent], datetime]]) -> MemoryResourcePlan:
    """Settle batches on a live plan and on the same items read back from JSON; assert they agree, and that
    the months' running figures equal a recount after every batch."""
    live = MemoryResourcePlan("R-ANA")
    for batch, as_of in steps:
        kept, afresh = (
            resource_batch(live, batch, CTX, as_of),
            resource_batch(read_back(live), batch, CTX, as_of),
        )
        assert kept.deltas == afresh.deltas, batch
        assert kept.exceptions == afresh.exceptions, batch
        assert kept.state == afresh.state, batch
        assert kept.state.months == recounted_resource(kept.state), batch
        live = kept.state
    return live


def entry(entry_id: str, revision: int, day: date, hours: str = "8", **overrides: object) -> TimeEntry:
    """Build a revision of one of R-ANA's entries on P-1."""
    return time_entry(entry_id=entry_id, revision=revision, work_date=day, hours=Decimal(hours), **overrides)


def history() -> list[tuple[ProjectEvent, datetime]]:
    """Entries revised across months, unapproved, made unbillable; assignments moved and cancelled."""
    later = APRIL + timedelta(days=30)
    earlier = APRIL - timedelta(days=40)  # as_of going back: April is a future month again
    a1 = {"assignment_id": "A1", "start_date": date(2026, 3, 2), "end_date": date(2026, 5, 29)}
    a2 = {"assignment_id": "A2", "start_date": date(2026, 4, 1), "end_date": date(2026, 4, 30)}
    return [
        (contract(), APRIL),
        (resource_assignment(**a1), APRIL),
        (resource_assignment(**a2, **EUR), APRIL),
        (entry("T1", 1, date(2026, 3, 9)), APRIL),
        (entry("T2", 1, date(2026, 4, 14), "7.25"), APRIL),
        (entry("T3", 1, date(2026, 4, 15), "6.5"), APRIL),
        (entry("T1", 2, date(2026, 4, 20), "5"), APRIL),  # moves from March to April
        (entry("T2", 2, date(2026, 4, 14), "7.25", approval_status="SUBMITTED"), APRIL),  # unapproved
        (entry("T3", 2, date(2026, 4, 15), "6.5", billable=False), later),
        (entry("T2", 1, date(2026, 3, 1), "9"), later),  # stale revision: ignored
        (resource_assignment(assignment_id="A2", revision=2, status="CANCELLED", **EUR), later),
        (resource_assignment(**{**a1, "start_date": date(2026, 4, 6)}, revision=2), earlier),  # moved
        (entry("T4", 1, date(2026, 3, 31), "3.33"), earlier),
        (entry("T1", 3, date(2026, 3, 2), "8"), earlier),  # back to March
        (contract(contract_version=2, contract_value=Decimal("90000.00")), later),  # same rates: sums kept
        (contract(contract_version=3, legal_entity="LE-DE", currency="EUR"), later),  # new pricing: recounted
        (entry("T5", 1, date(2026, 5, 4), "4"), later),
    ]  # fmt: skip


def test_project_batches_with_running_sums_equal_those_recounted_from_every_entry() -> None:
    state = twin_project([([event], as_of) for event, as_of in history()])
    now = APRIL + timedelta(days=30)
    assert project_forecast(state, "P-1", now, CTX) == project_forecast(read_back(state), "P-1", now, CTX)


def test_resource_batches_with_running_figures_equal_those_recounted_from_every_fact() -> None:
    conflict = resource_assignment(
        assignment_id="A3", start_date=date(2026, 4, 1), end_date=date(2026, 4, 30)
    )
    steps = [*history()[1:3], (conflict, APRIL), *history()[3:]]
    twin_resource([([e], t) for e, t in steps if isinstance(e, TimeEntry | ResourceAssignment)])


def test_a_state_read_back_from_json_equals_the_live_one_item_by_item() -> None:
    state = twin_project([([event], as_of) for event, as_of in history()[:6]])
    fresh = read_back(state)
    assert fresh == state
    assert fresh.state.items.keys() == state.state.items.keys()


def test_rounded_running_sums_are_not_used_and_the_entries_are_counted_again() -> None:
    # Costs converted at a rate of 1E-70 sit 70 places below the others: their month sum needs more digits
    # than a running sum keeps, so it is rounded and counted again from the entries.
    tiny = FxRate(
        from_currency="GBP", to_currency="USD", rate=Decimal("1E-70"), effective_from=date(2026, 1, 1)
    )
    ctx = ForecastContext(fx=FxRates(rates=(EUR_USD, tiny)))
    gbp = {"home_legal_entity": "LE-UK", "cost_currency": "GBP", "cost_rate": Decimal("60.1234")}
    events: list[ProjectEvent] = [
        contract(),
        resource_assignment(
            assignment_id="A1", start_date=date(2026, 3, 2), end_date=date(2026, 5, 29), **EUR
        ),
        resource_assignment("R-BEN", assignment_id="A2", start_date=date(2026, 3, 2), **gbp),
        entry("T1", 1, date(2026, 3, 9), "24"),
        time_entry(entry_id="T2", resource_id="R-BEN", work_date=date(2026, 3, 10), hours=Decimal("0.03")),
    ]
    state = feed_project(events, ctx, APRIL).state
    assert not state.aggregate.exact
    assert kept_project(state) == recounted_project(state, ctx)
    more = feed_project([entry("T3", 1, date(2026, 3, 11), "1")], ctx, APRIL, state).state
    assert kept_project(more) == recounted_project(more, ctx)
    assert project_forecast(more, "P-1", APRIL, ctx) == project_forecast(read_back(more), "P-1", APRIL, ctx)


def test_an_entry_applied_while_a_batch_priced_otherwise_is_counted_even_once_the_pricing_is_back() -> None:
    # v2 drops the cost rates, T1 comes, v3 brings them back: the sums are priced as before v2 again, but
    # T1 was never added to them.
    start = feed_project([contract()], CTX, APRIL).state
    batch: list[ProjectEvent] = [
        contract(contract_version=2, cost_rates=()),
        entry("T1", 1, date(2026, 3, 2)),
        contract(contract_version=3),
    ]
    batched = project_batch(start, batch, CTX, APRIL)
    assert kept_project(batched.state) == recounted_project(batched.state)
    cost = project_forecast(batched.state, "P-1", APRIL, CTX)["PROJECT:P-1:2026-03:cost"]
    assert cost.value == Decimal("640.00")


def test_a_new_threshold_settles_every_month_not_only_the_one_an_entry_touched() -> None:
    wide = ForecastContext(threshold=Decimal("1000"))
    plan = feed_resource([entry("T1", 1, date(2026, 3, 9))], wide, APRIL).state
    assert plan.emitted == {}
    step = feed_resource([entry("T2", 1, date(2026, 4, 9))], CTX, APRIL, plan)
    assert {d.period for d in step.deltas} == {"2026-03", "2026-04"}


def test_a_new_calendar_figures_every_months_assigned_hours_again() -> None:
    planned = feed_resource([resource_assignment(assignment_id="A1", end_date=date(2026, 5, 29))], CTX, APRIL)
    holiday = ForecastContext(calendar=CapacityCalendar(holidays={"NA": frozenset({date(2026, 5, 4)})}))
    step = feed_resource([entry("T1", 1, date(2026, 3, 9))], holiday, APRIL, planned.state)
    moved = {(d.period, d.metric): d.current for d in step.deltas}
    # April loses CTX's 3 April holiday (8 h back), May gains 4 May (8 h off).
    assert moved[("2026-04", "assigned_hours")] == Decimal("176.00")
    assert moved[("2026-05", "assigned_hours")] == Decimal("160.00")
    assert step.state.months == recounted_resource(step.state, holiday)


@settings(max_examples=60, deadline=None)
@given(PROJECT_BATCHES)
def test_any_project_history_keeps_sums_equal_to_a_recount_and_decides_alike_from_json(
    batches: list[tuple[list[ProjectEvent], datetime]],
) -> None:
    twin_project(batches)


@settings(max_examples=60, deadline=None)
@given(RESOURCE_BATCHES)
def test_any_resource_history_keeps_figures_equal_to_a_recount_and_decides_alike_from_json(
    batches: list[tuple[list[ResourceEvent], datetime]],
) -> None:
    mine = [([e.model_copy(update={"resource_id": "R-ANA"}) for e in batch], t) for batch, t in batches]
    twin_resource(mine)
