"""Resource plans: assignment revisions, actual and planned utilization, capacity conflicts."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import UTC, date, datetime
from decimal import Decimal

import pytest

from domain.forecast import CapacityCalendar, ForecastContext, MemoryResourcePlan, resource_forecast, snapshot
from domain.records.forecast import ForecastDelta
from domain.records.ops import ExceptionReason, ExceptionState
from domain.records.psa import ResourceAssignment, TimeEntry
from tests.support.factories import resource_assignment, time_entry
from tests.unit.domain.forecast.steps import PlanStep, feed_resource

AS_OF = datetime(2026, 4, 1, tzinfo=UTC)
CTX = ForecastContext()
CONFLICT_APRIL = "exc:CAPACITY_CONFLICT:R-ANA:2026-04"


def feed(
    events: Iterable[ResourceAssignment | TimeEntry], plan: MemoryResourcePlan | None = None
) -> PlanStep:
    """Apply events in order, one batch each, to a plan of R-ANA; return the last plan and the output."""
    return feed_resource(events, CTX, AS_OF, plan)


def values(plan: MemoryResourcePlan, ctx: ForecastContext = CTX) -> dict[str, Decimal]:
    """Return the resource's current values by "period:metric"."""
    return {
        key.split(":", 2)[2]: v for key, v in snapshot(resource_forecast(plan, plan.resource_id, ctx)).items()
    }


def by_metric(deltas: Iterable[ForecastDelta]) -> dict[str, ForecastDelta]:
    """Return deltas by "period:metric"."""
    return {f"{d.period}:{d.metric}": d for d in deltas}


def assignment(assignment_id: str, revision: int = 1, **overrides: object) -> ResourceAssignment:
    """Build a revision of one of R-ANA's assignments."""
    return resource_assignment("R-ANA", assignment_id=assignment_id, revision=revision, **overrides)


def test_150_approved_billable_hours_in_february_are_93_75_percent_of_its_gross_capacity() -> None:
    billable = [time_entry(work_date=date(2026, 2, day), hours=Decimal("10")) for day in range(2, 17)]
    not_counted = [
        time_entry(work_date=date(2026, 2, 17), billable=False),
        time_entry(work_date=date(2026, 2, 18), approval_status="SUBMITTED"),
    ]
    now = values(feed([*billable, *not_counted]).state)
    assert now["2026-02:billable_hours"] == Decimal("150.00")
    assert now["2026-02:gross_capacity"] == Decimal("160.00")
    assert now["2026-02:actual_utilization"] == Decimal("93.7500")


def test_planned_utilization_is_assigned_hours_over_gross_capacity() -> None:
    now = values(feed([assignment("A1", hours_per_week=Decimal("32"))]).state)
    assert now["2026-04:assigned_hours"] == Decimal("140.80")
    assert now["2026-04:planned_utilization"] == Decimal("80.0000")


def test_a_newer_revision_replaces_the_plan_of_the_older() -> None:
    first = feed([assignment("A1")])
    second = feed([assignment("A1", 2, hours_per_week=Decimal("20"))], first.state)
    moved = by_metric(second.deltas)
    assert (moved["2026-04:assigned_hours"].previous, moved["2026-04:assigned_hours"].current) == (
        Decimal("176.00"),
        Decimal("88.00"),
    )
    assert moved["2026-04:planned_utilization"].current == Decimal("50.0000")


def test_an_older_revision_arriving_late_is_ignored_and_counted() -> None:
    newer = feed([assignment("A1", 2, hours_per_week=Decimal("20"))])
    late = feed([assignment("A1", 1)], newer.state)
    assert late.deltas == ()
    assert late.state.assignments["A1"].revision == 2
    assert late.state.ignored.assignment_revisions == 1


def test_a_cancellation_removes_the_plan_and_keeps_later_stale_revisions_out() -> None:
    planned = feed([assignment("A1")])
    cancelled = feed([assignment("A1", 2, status="CANCELLED")], planned.state)
    stale = feed([assignment("A1", 1)], cancelled.state)
    moved = by_metric(cancelled.deltas)
    assert moved["2026-04:assigned_hours"].current == 0
    assert moved["2026-04:planned_utilization"].current == 0
    assert values(stale.state)["2026-04:assigned_hours"] == 0
    assert stale.state.ignored.assignment_revisions == 1


def test_over_allocation_across_two_projects_raises_one_capacity_conflict_for_the_month() -> None:
    run = feed(
        [
            assignment("A1", project_id="P-1", hours_per_week=Decimal("30"), end_date=date(2026, 5, 29)),
            assignment("A2", project_id="P-2", hours_per_week=Decimal("20")),
        ]
    )
    (conflict,) = run.exceptions
    assert conflict.exception_id == CONFLICT_APRIL
    assert conflict.reason == ExceptionReason.CAPACITY_CONFLICT
    assert conflict.state == ExceptionState.OPEN
    assert conflict.resource_id == "R-ANA"
    assert conflict.details["assignments"] == "A1,A2"
    assert conflict.details["projects"] == "P-1,P-2"
    assert conflict.details["assigned_hours"] == "220.00"
    assert conflict.details["gross_capacity"] == "176.00"
    assert conflict.details["planned_utilization"] == "125.0000"
    assert "A1, A2" in conflict.message
    assert values(run.state)["2026-04:planned_utilization"] == Decimal("125.0000")
    assert list(run.state.conflicts) == [CONFLICT_APRIL]


def test_a_conflict_is_not_raised_again_while_it_lasts() -> None:
    conflicted = feed([assignment("A1", hours_per_week=Decimal("30")), assignment("A2", project_id="P-2")])
    later = feed(
        [
            assignment("A2", 2, project_id="P-2", hours_per_week=Decimal("25")),
            time_entry(work_date=date(2026, 4, 1)),
        ],
        conflicted.state,
    )
    assert later.exceptions == ()
    assert list(later.state.conflicts) == [CONFLICT_APRIL]


def test_cancelling_an_assignment_resolves_the_conflict_under_the_same_id() -> None:
    conflicted = feed([assignment("A1", hours_per_week=Decimal("30")), assignment("A2", project_id="P-2")])
    cancelled = feed([assignment("A2", 2, project_id="P-2", status="CANCELLED")], conflicted.state)
    (resolved,) = cancelled.exceptions
    assert resolved.exception_id == CONFLICT_APRIL
    assert resolved.state == ExceptionState.RESOLVED
    assert resolved.envelope.event_id != conflicted.exceptions[0].envelope.event_id
    assert cancelled.state.conflicts == {}


def test_each_over_allocated_month_is_its_own_conflict() -> None:
    run = feed(
        [
            assignment("A1", end_date=date(2026, 5, 29)),
            assignment("A2", project_id="P-2", hours_per_week=Decimal("10"), end_date=date(2026, 5, 29)),
        ]
    )
    assert [e.exception_id for e in run.exceptions] == [CONFLICT_APRIL, "exc:CAPACITY_CONFLICT:R-ANA:2026-05"]


def test_a_resource_planned_at_exactly_its_capacity_has_no_conflict() -> None:
    run = feed(
        [assignment("A1", hours_per_week=Decimal("20")), assignment("A2", hours_per_week=Decimal("20"))]
    )
    assert run.exceptions == ()
    assert values(run.state)["2026-04:planned_utilization"] == Decimal("100.0000")


def test_a_rejected_revision_takes_its_hours_out_of_the_actuals() -> None:
    approved = time_entry(entry_id="TE-9", work_date=date(2026, 2, 2))
    rejected = time_entry(entry_id="TE-9", revision=2, work_date=date(2026, 2, 2), approval_status="REJECTED")
    run = feed([approved, rejected])
    assert values(run.state)["2026-02:billable_hours"] == 0
    assert by_metric(run.deltas)["2026-02:billable_hours"].current == 0


def test_the_same_time_entry_revision_twice_emits_nothing_the_second_time() -> None:
    entry = time_entry(work_date=date(2026, 2, 2))
    first = feed([entry])
    again = feed([entry], first.state)
    assert first.deltas != ()
    assert again.deltas == ()
    assert again.state.ignored.time_revisions == 1


def test_gross_capacity_follows_the_region_of_the_latest_live_assignment() -> None:
    ctx_uk = ForecastContext(calendar=CapacityCalendar(hours_per_day={"UK": Decimal("7.5")}))
    events = (assignment("A1", region="UK"), assignment("A2", region="NA", status="CANCELLED"))
    plan = feed_resource(events, ctx_uk, AS_OF).state
    assert plan.region == "UK"
    assert snapshot(resource_forecast(plan, "R-ANA", ctx_uk))[
        "RESOURCE:R-ANA:2026-04:gross_capacity"
    ] == Decimal("165.00")


def test_an_event_of_another_resource_is_a_routing_error() -> None:
    with pytest.raises(ValueError, match="routed"):
        feed([resource_assignment("R-BEN")])
