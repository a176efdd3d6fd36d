"""Settling once per batch: one delta per key with the net change, and the values each event alone reaches."""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterator
from datetime import UTC, date, datetime
from decimal import Decimal

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from pydantic import BaseModel

from domain.forecast import (
    ForecastContext,
    ForecastValue,
    ProjectForecastView,
    ResourcePlanView,
    project_forecast,
    resource_forecast,
)
from domain.forecast import project as project_rules
from domain.forecast import resource as resource_rules
from domain.records.ops import ExceptionState
from domain.state import StateReader
from tests.support.factories import contract, resource_assignment, time_entry
from tests.unit.domain.forecast.histories import PROJECT_EVENTS, RESOURCE_EVENTS
from tests.unit.domain.forecast.steps import (
    ProjectEvent,
    ResourceEvent,
    feed_project,
    feed_resource,
    project_batch,
    resource_batch,
)

CTX = ForecastContext()
MID_APRIL = datetime(2026, 4, 16, 10, tzinfo=UTC)
THRESHOLDS = st.sampled_from([Decimal("0"), Decimal("0.01"), Decimal("5.00")])
ZERO = Decimal(0)


def hours(values: dict[str, ForecastValue], period: str) -> Decimal | None:
    """Return the project's hours value of a month, if any."""
    found = values.get(f"PROJECT:P-1:{period}:hours")
    return None if found is None else found.value


def test_a_batch_emits_one_delta_per_key_carrying_the_net_change_since_the_last_emitted_value() -> None:
    start = feed_project(
        [contract(), time_entry(entry_id="TE-0", work_date=date(2026, 3, 2))], CTX, MID_APRIL
    ).state
    batch: list[ProjectEvent] = [
        time_entry(entry_id="TE-1", work_date=date(2026, 3, 3)),
        time_entry(entry_id="TE-1", revision=2, work_date=date(2026, 3, 3), hours=Decimal("6.00")),
        time_entry(entry_id="TE-2", work_date=date(2026, 3, 4), hours=Decimal("2.50")),
    ]
    one_by_one = feed_project(batch, CTX, MID_APRIL, start)
    batched = project_batch(start, batch, CTX, MID_APRIL)

    assert set(Counter((d.period, d.metric) for d in batched.deltas).values()) == {1}
    moved = {f"{d.period}:{d.metric}": d for d in batched.deltas}
    assert (moved["2026-03:hours"].previous, moved["2026-03:hours"].current) == (
        Decimal("8.00"),
        Decimal("16.50"),
    )
    assert moved["2026-03:hours"].delta == Decimal("8.50")
    assert [d.current for d in one_by_one.deltas if d.period == "2026-03" and d.metric == "hours"] == [
        Decimal("16.00"),
        Decimal("14.00"),
        Decimal("16.50"),
    ]
    before, now = start.emitted, project_forecast(batched.state, "P-1", MID_APRIL, CTX)
    for d in batched.deltas:
        key = f"PROJECT:P-1:{d.period}:{d.metric}"
        assert d.previous == (before[key].value if key in before else None)
        assert d.current == now[key].value and d.delta == d.current - (d.previous or ZERO)
        assert d.cause_event_ids == tuple(e.event_id for e in batch)
        assert d.envelope.causation_id == batch[-1].event_id
    assert batched.state.emitted == one_by_one.state.emitted


def test_batched_and_per_event_emitted_values_may_differ_by_a_residue_under_the_threshold() -> None:
    # Threshold 1 h: per event, TE-1 at 1.20 h moves March from 8.00 to 9.20 (emitted), its revision to
    # 0.50 h back to 8.50 (a move of 0.70: kept). In one batch the net move is 0.50: nothing is emitted.
    # Both sides keep a last emitted value less than the threshold away from the same current value.
    ctx = ForecastContext(threshold=Decimal("1.00"))
    start = feed_project([time_entry(entry_id="TE-0", work_date=date(2026, 3, 2))], ctx, MID_APRIL).state
    batch: list[ProjectEvent] = [
        time_entry(entry_id="TE-1", work_date=date(2026, 3, 3), hours=Decimal("1.20")),
        time_entry(entry_id="TE-1", revision=2, work_date=date(2026, 3, 3), hours=Decimal("0.50")),
    ]
    one_by_one = feed_project(batch, ctx, MID_APRIL, start)
    batched = project_batch(start, batch, ctx, MID_APRIL)

    now = project_forecast(batched.state, "P-1", MID_APRIL, ctx)
    assert now == project_forecast(one_by_one.state, "P-1", MID_APRIL, ctx)
    assert hours(now, "2026-03") == Decimal("8.50")
    assert hours(one_by_one.state.emitted, "2026-03") == Decimal("9.20")
    assert hours(batched.state.emitted, "2026-03") == Decimal("8.00")
    assert batched.deltas == ()


@settings(max_examples=60, deadline=None)
@given(PROJECT_EVENTS, THRESHOLDS)
def test_one_settle_per_batch_reaches_what_settling_each_event_reaches_up_to_the_threshold(
    events: list[ProjectEvent], threshold: Decimal
) -> None:
    # The same current values (a key only one side still computes reads zero: a removed key), and on each
    # side every current value has a last emitted value (none reads zero) strictly less than the threshold
    # away: the two differ by less than twice the threshold, and not at all with a threshold of zero.
    ctx = ForecastContext(threshold=threshold)
    start = feed_project([contract()], ctx, MID_APRIL).state
    one_by_one = feed_project(events, ctx, MID_APRIL, start).state
    batched = project_batch(start, events, ctx, MID_APRIL)

    assert len({(d.period, d.metric) for d in batched.deltas}) == len(batched.deltas)
    per_event_now = project_forecast(one_by_one, "P-1", MID_APRIL, ctx)
    batch_now = project_forecast(batched.state, "P-1", MID_APRIL, ctx)
    for key in per_event_now.keys() | batch_now.keys():
        current = _value(per_event_now, key)
        assert _value(batch_now, key) == current
        for emitted in (one_by_one.emitted, batched.state.emitted):
            assert abs(_value(emitted, key) - current) < threshold or _value(emitted, key) == current
    if threshold == 0:
        assert {k: _value(one_by_one.emitted, k) for k in batch_now} == {
            k: _value(batched.state.emitted, k) for k in batch_now
        }


@settings(max_examples=60, deadline=None)
@given(RESOURCE_EVENTS, THRESHOLDS)
def test_one_resource_settle_per_batch_reaches_what_settling_each_event_reaches_up_to_the_threshold(
    events: list[ResourceEvent], threshold: Decimal
) -> None:
    ctx = ForecastContext(threshold=threshold)
    one_by_one = feed_resource(events, ctx, MID_APRIL)
    batched = resource_batch(feed_resource([], ctx, MID_APRIL).state, events, ctx, MID_APRIL)

    assert len({(d.period, d.metric) for d in batched.deltas}) == len(batched.deltas)
    per_event_now = resource_forecast(one_by_one.state, "R-ANA", ctx)
    batch_now = resource_forecast(batched.state, "R-ANA", ctx)
    for key in per_event_now.keys() | batch_now.keys():
        current = _value(per_event_now, key)
        assert _value(batch_now, key) == current
        for emitted in (one_by_one.state.emitted, batched.state.emitted):
            assert abs(_value(emitted, key) - current) < threshold or _value(emitted, key) == current
    assert one_by_one.state.conflicts.keys() == batched.state.conflicts.keys()
    opened = [e.exception_id for e in batched.exceptions if e.state == ExceptionState.OPEN]
    assert opened == sorted(batched.state.conflicts)


def test_an_fx_issue_opened_and_resolved_within_one_batch_is_never_raised() -> None:
    start = feed_project([contract()], CTX, MID_APRIL).state
    uk = resource_assignment("R-BEN", assignment_id="A-UK", home_legal_entity="LE-UK", cost_currency="GBP")
    gone = uk.model_copy(update={"revision": 2, "status": "CANCELLED"})
    one_by_one = feed_project([uk, gone], CTX, MID_APRIL, start)
    batched = project_batch(start, [uk, gone], CTX, MID_APRIL)
    assert [e.state for e in one_by_one.exceptions] == [ExceptionState.OPEN, ExceptionState.RESOLVED]
    assert batched.exceptions == ()
    assert batched.state.fx_missing == {} == one_by_one.state.fx_missing


def test_a_capacity_conflict_opened_and_resolved_within_one_batch_is_never_raised() -> None:
    a1 = resource_assignment(assignment_id="A1", hours_per_week=Decimal("30"))
    a2 = resource_assignment(assignment_id="A2", project_id="P-2", hours_per_week=Decimal("20"))
    fewer = a2.model_copy(update={"revision": 2, "hours_per_week": Decimal("10")})
    one_by_one = feed_resource([a1, a2, fewer], CTX, MID_APRIL)
    batched = resource_batch(feed_resource([], CTX, MID_APRIL).state, [a1, a2, fewer], CTX, MID_APRIL)
    assert [e.state for e in one_by_one.exceptions] == [ExceptionState.OPEN, ExceptionState.RESOLVED]
    assert batched.exceptions == ()
    assert batched.state.emitted == one_by_one.state.emitted


def test_a_resource_batch_settles_every_month_its_events_touched() -> None:
    plan = feed_resource(
        [resource_assignment(assignment_id="A1", end_date=date(2026, 6, 30))], CTX, MID_APRIL
    )
    batch: list[ResourceEvent] = [
        time_entry(work_date=date(2026, 3, 2)),
        time_entry(work_date=date(2026, 5, 4)),
    ]
    batched = resource_batch(plan.state, batch, CTX, MID_APRIL)
    assert {d.period for d in batched.deltas} == {"2026-03", "2026-05"}
    assert batched.state.emitted == feed_resource(batch, CTX, MID_APRIL, plan.state).state.emitted


def test_a_batch_of_stale_events_emits_nothing_even_once_time_has_passed() -> None:
    entry = time_entry(work_date=date(2026, 3, 9))
    state = feed_project([contract(), resource_assignment(end_date=date(2026, 5, 29)), entry], CTX, MID_APRIL)
    later = datetime(2026, 4, 20, tzinfo=UTC)
    assert project_batch(state.state, [entry, entry], CTX, later).deltas == ()
    assert project_batch(state.state, [], CTX, later).deltas != ()


class Unreadable:
    """A reader over a state with one stored item that cannot be read (written by another version)."""

    def __init__(self, reader: StateReader, kind: str, item: str):
        self.reader, self.kind, self.item = reader, kind, item

    def get(self, kind: str, item: str) -> BaseModel | None:
        """Return the item, or fail for the unreadable one."""
        if (kind, item) == (self.kind, self.item):
            raise ValueError(f"cannot read {kind} {item}")
        return self.reader.get(kind, item)

    def scan(self, kind: str, prefix: str = "") -> Iterator[tuple[str, BaseModel]]:
        """Yield the items of a kind."""
        return self.reader.scan(kind, prefix)


def test_an_event_whose_rule_fails_midway_leaves_the_batch_as_it_was() -> None:
    start = feed_project(
        [contract(), time_entry(entry_id="TE-1", work_date=date(2026, 3, 9))], CTX, MID_APRIL
    )
    # TE-1 moves from March to April: March's sums are staged before April's month item fails to read.
    view = ProjectForecastView("P-1", Unreadable(start.state, "month", "2026-04"))
    moved = time_entry(entry_id="TE-1", revision=2, work_date=date(2026, 4, 1))
    with pytest.raises(ValueError, match="cannot read"):
        project_rules.apply(view, moved, CTX)
    assert view.changes() == ()
    project_rules.apply(view, time_entry(entry_id="TE-2", work_date=date(2026, 3, 10)), CTX)
    settled = project_rules.settle(view, CTX, as_of=MID_APRIL, cause=None, causes=())
    assert {(d.period, d.metric, d.current) for d in settled.deltas} >= {
        ("2026-03", "hours", Decimal("16.00"))
    }

    plan = feed_resource([], CTX, MID_APRIL).state
    plan_view = ResourcePlanView("R-ANA", Unreadable(plan, "month", "2026-05"))
    over_two_months = resource_assignment(assignment_id="A1", end_date=date(2026, 5, 29))
    with pytest.raises(ValueError, match="cannot read"):
        resource_rules.apply(plan_view, over_two_months, CTX)
    assert plan_view.changes() == () and plan_view.to_settle() == []


def _value(values: dict[str, ForecastValue], key: str) -> Decimal:
    """Return a key's value, zero for a key with none."""
    found = values.get(key)
    return ZERO if found is None else found.value
