"""Forecast state and configuration survive a JSON round trip exactly (they live in RocksDB as JSON)."""

from __future__ import annotations

from datetime import UTC, date, datetime
from decimal import Decimal

from domain.forecast import (
    CapacityCalendar,
    ForecastContext,
    FxRate,
    FxRates,
    IntercompanyPolicy,
    Markup,
    ProjectForecastState,
    ResourcePlan,
)
from domain.forecast import project as project_rules
from domain.forecast import resource as resource_rules
from tests.support.factories import contract, envelope, milestone_event, resource_assignment, time_entry

AS_OF = datetime(2026, 4, 1, tzinfo=UTC)
CTX = ForecastContext(
    calendar=CapacityCalendar(
        hours_per_day={"UK": Decimal("7.5")}, holidays={"UK": frozenset({date(2026, 4, 6)})}
    ),
    fx=FxRates(
        rates=(
            FxRate(
                from_currency="GBP",
                to_currency="EUR",
                rate=Decimal("1.1700"),
                effective_from=date(2026, 1, 1),
            ),
        )
    ),
    intercompany=IntercompanyPolicy(markups=(Markup(seller="LE-UK", buyer="LE-US", markup=Decimal("0.05")),)),
    threshold=Decimal("0.50"),
)


def test_a_resource_plan_with_a_conflict_round_trips_through_json() -> None:
    plan = ResourcePlan(resource_id="R-ANA")
    for event in (
        resource_assignment(assignment_id="A1"),
        resource_assignment(assignment_id="A2", project_id="P-2", hours_per_week=Decimal("12.50")),
        resource_assignment(assignment_id="A1", revision=2, hours_per_week=Decimal("37.50")),
        resource_assignment(assignment_id="A1", revision=1),
    ):
        plan = resource_rules.on_assignment(plan, event, CTX, as_of=AS_OF).state
    plan = resource_rules.on_actual_time(plan, time_entry(hours=Decimal("7.25")), CTX, as_of=AS_OF).state
    assert plan.conflicts and plan.emitted and plan.ignored.assignment_revisions == 1
    assert ResourcePlan.model_validate_json(plan.model_dump_json()) == plan


def test_a_project_state_with_an_open_fx_issue_round_trips_through_json() -> None:
    state = ProjectForecastState(project_id="P-1")
    steps = (
        lambda s: project_rules.on_contract(s, contract(), CTX, as_of=AS_OF),
        lambda s: project_rules.on_assignment(
            s, resource_assignment(home_legal_entity="LE-UK", cost_currency="GBP"), CTX, as_of=AS_OF
        ),
        lambda s: project_rules.on_time_actual(s, time_entry(work_date=date(2026, 3, 3)), CTX, as_of=AS_OF),
        lambda s: project_rules.on_milestone(
            s, milestone_event(status="ACCEPTED", envelope=envelope(occurred_at=AS_OF)), CTX, as_of=AS_OF
        ),
    )
    for step in steps:
        state = step(state).state
    assert state.fx_missing and state.emitted and state.milestones and state.contract is not None
    restored = ProjectForecastState.model_validate_json(state.model_dump_json())
    assert restored == state
    assert restored.contract is not None and restored.contract.contract_value == Decimal("100000.00")


def test_the_configuration_round_trips_through_json() -> None:
    assert ForecastContext.model_validate_json(CTX.model_dump_json()) == CTX


def test_decimals_are_stored_as_exact_strings_not_floats() -> None:
    plan = resource_rules.on_actual_time(
        ResourcePlan(resource_id="R-ANA"), time_entry(hours=Decimal("7.25")), CTX, as_of=AS_OF
    ).state
    assert '"hours":"7.25"' in plan.model_dump_json()
