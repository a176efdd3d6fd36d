"""Forecast items and configuration survive a JSON round trip exactly (they live in RocksDB as JSON)."""

from __future__ import annotations

from datetime import UTC, date, datetime
from decimal import Decimal

from domain.forecast import (
    PROJECT_AGGREGATE,
    PROJECT_KINDS,
    RESOURCE_AGGREGATE,
    RESOURCE_KINDS,
    CapacityCalendar,
    ForecastContext,
    FxRate,
    FxRates,
    IntercompanyPolicy,
    Markup,
    MemoryProjectForecast,
    MemoryResourcePlan,
)
from tests.support.factories import contract, envelope, milestone_event, resource_assignment, time_entry
from tests.unit.domain.forecast.steps import (
    feed_project,
    feed_resource,
    project_batch,
    read_back,
    resource_batch,
)

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


def conflicted_plan() -> MemoryResourcePlan:
    """Return R-ANA over-allocated in April by two projects, with a stale revision and some time."""
    events = (
        resource_assignment(assignment_id="A1"),
        resource_assignment(assignment_id="A2", project_id="P-2", hours_per_week=Decimal("12.50")),
        resource_assignment(assignment_id="A1", revision=2, hours_per_week=Decimal("37.50")),
        resource_assignment(assignment_id="A1", revision=1),
        time_entry(hours=Decimal("7.25")),
    )
    return feed_resource(events, CTX, AS_OF).state


def project_with_open_fx_issue() -> MemoryProjectForecast:
    """Return P-1 with a GBP-costed assignment (no GBP->USD rate), March time and an accepted milestone."""
    events = (
        contract(),
        resource_assignment(home_legal_entity="LE-UK", cost_currency="GBP"),
        time_entry(work_date=date(2026, 3, 3)),
        milestone_event(status="ACCEPTED", envelope=envelope(occurred_at=AS_OF)),
    )
    return feed_project(events, CTX, AS_OF).state


def test_a_resource_plan_with_a_conflict_round_trips_through_json() -> None:
    plan = conflicted_plan()
    assert plan.conflicts and plan.emitted and plan.ignored.assignment_revisions == 1
    assert read_back(plan) == plan
    assert read_back(plan).conflicts == plan.conflicts


def test_a_project_state_with_an_open_fx_issue_round_trips_through_json() -> None:
    state = project_with_open_fx_issue()
    assert state.fx_missing and state.emitted and state.milestones and state.contract is not None
    restored = read_back(state)
    assert restored == state
    assert restored.contract is not None and restored.contract.contract_value == Decimal("100000.00")


def test_every_stored_item_is_of_the_model_its_kind_names() -> None:
    for memory, kinds in ((project_with_open_fx_issue(), PROJECT_KINDS), (conflicted_plan(), RESOURCE_KINDS)):
        assert {kind for kind, _ in memory.state.items} <= set(kinds)
        for (kind, _), value in memory.state.items.items():
            assert type(value) is kinds[kind]
    assert (PROJECT_AGGREGATE, "") in project_with_open_fx_issue().state.items
    assert (RESOURCE_AGGREGATE, "") in conflicted_plan().state.items


def test_a_state_read_back_from_json_decides_the_next_events_identically() -> None:
    live = project_with_open_fx_issue()
    restored = read_back(live)
    batch = [time_entry(work_date=date(2026, 4, 2)), resource_assignment(assignment_id="A-9")]
    later = datetime(2026, 4, 2, tzinfo=UTC)
    decided, decided_again = (
        project_batch(live, batch, CTX, later),
        project_batch(restored, batch, CTX, later),
    )
    assert decided.deltas and decided == decided_again
    plan = conflicted_plan()
    plan_restored = read_back(plan)
    cancel = [resource_assignment(assignment_id="A2", revision=2, project_id="P-2", status="CANCELLED")]
    resolved, resolved_again = (
        resource_batch(plan, cancel, CTX, AS_OF),
        resource_batch(plan_restored, cancel, CTX, AS_OF),
    )
    assert resolved.exceptions and resolved == resolved_again


def test_the_configuration_round_trips_through_json() -> None:
    assert ForecastContext.model_validate_json(CTX.model_dump_json()) == CTX


def test_decimals_are_stored_as_exact_strings_not_floats() -> None:
    plan = feed_resource([time_entry(entry_id="TE-1", hours=Decimal("7.25"))], CTX, AS_OF).state
    assert '"hours":"7.25"' in plan.state.items[("actual", "TE-1")].model_dump_json()
    assert '"billable":[1,"7.25"]' in plan.state.items[("month", "2026-03")].model_dump_json()
