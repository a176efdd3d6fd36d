"""States stored by the previous version split into items that carry on where that version left off."""

from __future__ import annotations

from datetime import UTC, date, datetime
from decimal import Decimal

from domain.forecast import (
    PROJECT_AGGREGATE,
    RESOURCE_AGGREGATE,
    ForecastContext,
    FxRate,
    FxRates,
    MemoryProjectForecast,
    MemoryResourcePlan,
    project_forecast,
    resource_forecast,
)
from domain.forecast.legacy import LegacyProjectForecast, LegacyResourcePlan, split_project, split_resource
from domain.records.forecast import ForecastDelta
from domain.records.ops import BusinessException
from domain.records.psa import ResourceAssignment, TimeEntry
from domain.state import Put
from tests.unit.domain.forecast import legacy_states as old
from tests.unit.domain.forecast.steps import feed_project, feed_resource, reforecast, resource_batch

AS_OF = datetime(2026, 4, 1, tzinfo=UTC)
CTX = ForecastContext()
Delta = tuple[str, str | None, str, str]


def summary(deltas: tuple[ForecastDelta, ...]) -> list[Delta]:
    """Return deltas as (period:metric, previous, current, event id), as the fixtures record them."""
    return [
        (
            f"{d.period}:{d.metric}",
            None if d.previous is None else str(d.previous),
            str(d.current),
            d.event_id,
        )
        for d in deltas
    ]


def states(exceptions: tuple[BusinessException, ...]) -> list[tuple[str, str]]:
    """Return exceptions as (exception id, state)."""
    return [(e.exception_id, e.state.value) for e in exceptions]


def split_p1() -> tuple[LegacyProjectForecast, MemoryProjectForecast]:
    """Return P-1's stored previous state and its split."""
    legacy = LegacyProjectForecast.model_validate_json(old.PROJECT_JSON)
    return legacy, MemoryProjectForecast("P-1").apply(split_project(legacy))


def split_ana() -> tuple[LegacyResourcePlan, MemoryResourcePlan]:
    """Return R-ANA's stored previous plan and its split."""
    legacy = LegacyResourcePlan.model_validate_json(old.RESOURCE_JSON)
    return legacy, MemoryResourcePlan("R-ANA").apply(split_resource(legacy))


def test_a_stored_project_state_splits_into_items_with_the_same_facts_emitted_values_and_issues() -> None:
    legacy, state = split_p1()
    assert state.contract == legacy.contract and state.ignored == legacy.ignored == state.aggregate.ignored
    assert state.ignored.time_revisions == 1
    assert state.milestones == legacy.milestones
    assert state.actuals == legacy.actuals
    assert state.assignments == legacy.assignments
    assert state.emitted == legacy.emitted
    assert state.fx_missing == legacy.fx_missing and len(state.fx_missing) == 1
    assert legacy.model_dump_json() == old.PROJECT_JSON


def test_the_first_settle_after_a_project_split_emits_nothing_the_old_state_had_emitted() -> None:
    _, state = split_p1()
    first = reforecast(state, CTX, AS_OF)
    assert (first.deltas, first.exceptions) == ((), ())
    assert first.state.emitted == state.emitted
    assert project_forecast(first.state, "P-1", AS_OF, CTX) == project_forecast(state, "P-1", AS_OF, CTX)


def test_a_split_project_decides_its_next_event_as_the_previous_version_did() -> None:
    _, state = split_p1()
    step = feed_project([TimeEntry.model_validate_json(old.PROJECT_NEXT)], CTX, AS_OF, state)
    assert summary(step.deltas) == old.PROJECT_NEXT_DELTAS
    assert states(step.exceptions) == old.PROJECT_NEXT_EXCEPTIONS


def test_a_split_project_reforecast_with_a_new_rate_resolves_its_issue_as_the_previous_version_did() -> None:
    _, state = split_p1()
    rate = FxRate(
        from_currency="GBP", to_currency="USD", rate=Decimal("1.25"), effective_from=date(2026, 1, 1)
    )
    step = reforecast(state, ForecastContext(fx=FxRates(rates=(rate,))), AS_OF)
    # The same deltas as the previous version, plus percent complete, a metric it did not report.
    added = [d for d in step.deltas if d.metric == "percent_complete"]
    assert [(d.period, d.current) for d in added] == [("2026-04", Decimal("3.8978"))]
    assert summary(tuple(d for d in step.deltas if d not in added)) == old.PROJECT_RATED_DELTAS
    assert states(step.exceptions) == old.PROJECT_RATED_EXCEPTIONS
    assert step.state.fx_missing == {}


def test_a_stored_resource_plan_splits_into_items_with_the_same_facts_emitted_values_and_conflicts() -> None:
    legacy, plan = split_ana()
    assert plan.region == legacy.region and plan.ignored == legacy.ignored
    assert plan.ignored.assignment_revisions == 1
    assert plan.assignments == legacy.assignments
    assert plan.actuals == legacy.actuals
    assert plan.emitted == legacy.emitted
    assert plan.conflicts == legacy.conflicts and len(plan.conflicts) == 1
    assert legacy.model_dump_json() == old.RESOURCE_JSON


def test_the_first_settle_after_a_resource_split_emits_nothing_the_old_plan_had_emitted() -> None:
    legacy, plan = split_ana()
    # The first batch figures every month again (assigned hours are not carried over) and settles them all.
    first = resource_batch(plan, [], CTX, AS_OF)
    assert (first.deltas, first.exceptions) == ((), ())
    assert first.state.emitted == legacy.emitted and first.state.conflicts == legacy.conflicts
    values = resource_forecast(first.state, "R-ANA", CTX)
    assert values == resource_forecast(plan, "R-ANA", CTX)
    assert all(values[key].value == value.value for key, value in legacy.emitted.items())


def test_a_split_resource_decides_its_next_event_as_the_previous_version_did() -> None:
    _, plan = split_ana()
    step = feed_resource([ResourceAssignment.model_validate_json(old.RESOURCE_NEXT)], CTX, AS_OF, plan)
    assert summary(step.deltas) == old.RESOURCE_NEXT_DELTAS
    assert states(step.exceptions) == old.RESOURCE_NEXT_EXCEPTIONS
    assert step.state.conflicts == {}


def test_an_empty_stored_state_splits_into_its_aggregate_alone() -> None:
    (project,) = split_project(LegacyProjectForecast(project_id="P-9"))
    (resource,) = split_resource(LegacyResourcePlan(resource_id="R-9"))
    assert isinstance(project, Put) and (project.kind, project.item) == (PROJECT_AGGREGATE, "")
    assert isinstance(resource, Put) and (resource.kind, resource.item) == (RESOURCE_AGGREGATE, "")
