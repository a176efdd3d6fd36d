"""Sums kept between events: every step equals the one computed afresh from the state's JSON."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from typing import TypeVar

from domain.forecast import (
    CapacityCalendar,
    ForecastContext,
    FxRate,
    FxRates,
    ProjectForecastState,
    ResourcePlan,
    Step,
    project_forecast,
)
from domain.forecast import actuals as sums
from domain.forecast import project as project_rules
from domain.forecast import resource as resource_rules
from domain.forecast.projection import evaluate
from domain.records.psa import ProjectContract, ResourceAssignment, TimeEntry
from tests.support.factories import contract, resource_assignment, time_entry

EUR_USD = FxRate(
    from_currency="EUR", to_currency="USD", rate=Decimal("1.0837"), effective_from=date(2026, 1, 1)
)
CTX = ForecastContext(
    fx=FxRates(rates=(EUR_USD,)),
    calendar=CapacityCalendar(holidays={"NA": frozenset({date(2026, 4, 3)})}),
)
APRIL = datetime(2026, 4, 16, 10, tzinfo=UTC)
S = TypeVar("S", ResourcePlan, ProjectForecastState)
Event = ProjectContract | TimeEntry | ResourceAssignment


def twin(
    state: S, steps: Sequence[tuple[Event, datetime]], rule: Callable[[S, Event, datetime], Step[S]]
) -> S:
    """Apply events to a live state and to one read back from JSON before each event; assert equal steps."""
    live = state
    for event, as_of in steps:
        fresh = type(state).model_validate_json(live.model_dump_json())
        kept, afresh = rule(live, event, as_of), rule(fresh, event, as_of)
        assert kept.deltas == afresh.deltas, event
        assert kept.exceptions == afresh.exceptions, event
        assert kept.state.model_dump_json() == afresh.state.model_dump_json(), event
        assert kept.state == afresh.state
        live = kept.state
    return live


def on_project(state: ProjectForecastState, event: Event, as_of: datetime) -> Step[ProjectForecastState]:
    """Dispatch one event to the project rules."""
    if isinstance(event, ProjectContract):
        return project_rules.on_contract(state, event, CTX, as_of=as_of)
    if isinstance(event, TimeEntry):
        return project_rules.on_time_actual(state, event, CTX, as_of=as_of)
    return project_rules.on_assignment(state, event, CTX, as_of=as_of)


def on_resource(state: ResourcePlan, event: Event, as_of: datetime) -> Step[ResourcePlan]:
    """Dispatch one event to the resource rules."""
    if isinstance(event, TimeEntry):
        return resource_rules.on_actual_time(state, event, CTX, as_of=as_of)
    assert isinstance(event, ResourceAssignment)
    return resource_rules.on_assignment(state, event, CTX, as_of=as_of)


def entry(entry_id: str, revision: int, day: date, hours: str = "8", **overrides: object) -> TimeEntry:
    """Build a revision of one of R-ANA's entries on P-1."""
    return time_entry(entry_id=entry_id, revision=revision, work_date=day, hours=Decimal(hours), **overrides)


def history() -> list[tuple[Event, datetime]]:
    """Entries revised across months, unapproved, made unbillable; assignments moved and cancelled."""
    later = APRIL + timedelta(days=30)
    earlier = APRIL - timedelta(days=40)  # as_of going back: April is a future month again
    eur = {"home_legal_entity": "LE-DE", "cost_currency": "EUR", "cost_rate": Decimal("70.1234")}
    a1 = {"assignment_id": "A1", "start_date": date(2026, 3, 2), "end_date": date(2026, 5, 29)}
    a2 = {"assignment_id": "A2", "start_date": date(2026, 4, 1), "end_date": date(2026, 4, 30)}
    return [
        (contract(), APRIL),
        (resource_assignment(**a1), APRIL),
        (resource_assignment(**a2, **eur), APRIL),
        (entry("T1", 1, date(2026, 3, 9)), APRIL),
        (entry("T2", 1, date(2026, 4, 14), "7.25"), APRIL),
        (entry("T3", 1, date(2026, 4, 15), "6.5"), APRIL),
        (entry("T1", 2, date(2026, 4, 20), "5"), APRIL),  # moves from March to April
        (entry("T2", 2, date(2026, 4, 14), "7.25", approval_status="SUBMITTED"), APRIL),  # unapproved
        (entry("T3", 2, date(2026, 4, 15), "6.5", billable=False), later),
        (entry("T2", 1, date(2026, 3, 1), "9"), later),  # stale revision: ignored
        (resource_assignment(assignment_id="A2", revision=2, status="CANCELLED", **eur), later),
        (resource_assignment(**{**a1, "start_date": date(2026, 4, 6)}, revision=2), earlier),  # moved
        (entry("T4", 1, date(2026, 3, 31), "3.33"), earlier),
        (entry("T1", 3, date(2026, 3, 2), "8"), earlier),  # back to March
        (contract(contract_version=2, contract_value=Decimal("90000.00")), later),  # same rates: sums kept
        (contract(contract_version=3, legal_entity="LE-DE", currency="EUR"), later),  # new pricing: recounted
        (entry("T5", 1, date(2026, 5, 4), "4"), later),
    ]  # fmt: skip


def test_project_steps_with_kept_sums_equal_those_computed_from_every_actual() -> None:
    state = twin(ProjectForecastState(project_id="P-1"), history(), on_project)
    now = APRIL + timedelta(days=30)
    assert project_forecast(state, now, CTX) == evaluate(state, now, CTX).values


def test_resource_steps_with_kept_sums_equal_those_computed_from_every_actual() -> None:
    conflict = resource_assignment(
        assignment_id="A3", start_date=date(2026, 4, 1), end_date=date(2026, 4, 30)
    )
    steps = [*history()[1:3], (conflict, APRIL), *history()[3:]]
    twin(
        ResourcePlan(resource_id="R-ANA"),
        [(e, t) for e, t in steps if not isinstance(e, ProjectContract)],
        on_resource,
    )


def test_a_state_read_back_from_json_has_no_kept_sums_and_equals_the_live_one() -> None:
    state = twin(ProjectForecastState(project_id="P-1"), history()[:6], on_project)
    fresh = ProjectForecastState.model_validate_json(state.model_dump_json())
    assert fresh == state
    assert not sums.has_kept_sums(fresh)
    assert sums.has_kept_sums(state)


def test_rounded_running_sums_are_not_used_and_the_actuals_are_looped_over_again() -> None:
    # 28 significant digits: each converted cost is rounded, so a running total may drift from a fresh sum.
    long_rate = FxRate(
        from_currency="EUR",
        to_currency="USD",
        rate=Decimal("1.083745983745983745983745983"),
        effective_from=date(2026, 1, 1),
    )
    ctx = ForecastContext(fx=FxRates(rates=(long_rate,)))
    state = ProjectForecastState(project_id="P-1")
    eur = {"home_legal_entity": "LE-DE", "cost_currency": "EUR", "cost_rate": Decimal("70.1234")}
    events: list[Event] = [
        contract(),
        resource_assignment(
            assignment_id="A1", start_date=date(2026, 3, 2), end_date=date(2026, 5, 29), **eur
        ),
        # About 2000 and 2.4 USD, each rounded to 28 digits: their sum needs more, so it is rounded.
        entry("T1", 1, date(2026, 3, 9), "24"),
        entry("T2", 1, date(2026, 3, 10), "0.03"),
    ]
    for event in events:
        state = on_project_with(state, event, ctx)
    months = sums.months_of(state, ctx)
    assert not months.exact
    assert months.until("2026-04") is None
    assert evaluate(state, APRIL, ctx, months) == evaluate(state, APRIL, ctx)


def on_project_with(state: ProjectForecastState, event: Event, ctx: ForecastContext) -> ProjectForecastState:
    """Apply one event to a project under another context."""
    if isinstance(event, ProjectContract):
        return project_rules.on_contract(state, event, ctx, as_of=APRIL).state
    if isinstance(event, TimeEntry):
        return project_rules.on_time_actual(state, event, ctx, as_of=APRIL).state
    return project_rules.on_assignment(state, event, ctx, as_of=APRIL).state


def test_a_new_threshold_settles_every_month_not_only_the_one_an_entry_touched() -> None:
    wide = ForecastContext(threshold=Decimal("1000"))
    plan = ResourcePlan(resource_id="R-ANA")
    plan = resource_rules.on_actual_time(plan, entry("T1", 1, date(2026, 3, 9)), wide, as_of=APRIL).state
    assert plan.emitted == {}
    step = resource_rules.on_actual_time(plan, entry("T2", 1, date(2026, 4, 9)), CTX, as_of=APRIL)
    assert {d.period for d in step.deltas} == {"2026-03", "2026-04"}
