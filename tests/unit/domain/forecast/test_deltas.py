"""Forecast deltas: one per changed key at or over the threshold, deterministic, never repeated."""

from __future__ import annotations

from datetime import UTC, date, datetime
from decimal import Decimal

from hypothesis import given
from hypothesis import strategies as st

from domain.forecast import ForecastContext, ForecastValue, diff, snapshot
from domain.forecast.projection import allocate
from domain.forecast.values import remember
from domain.records.forecast import SubjectType
from tests.support.factories import contract, time_entry
from tests.unit.domain.forecast.steps import feed_project, reforecast

AS_OF = datetime(2026, 4, 1, tzinfo=UTC)
CENT = Decimal("0.01")


def revenue(value: str, period: str = "2026-04", metric: str = "revenue") -> dict[str, ForecastValue]:
    """Return one project value of P-1 in USD, keyed."""
    fv = ForecastValue(
        subject_type=SubjectType.PROJECT,
        subject_id="P-1",
        period=period,
        metric=metric,
        value=Decimal(value),
        unit="USD",
    )
    return {fv.key: fv}


def test_a_new_key_is_emitted_with_no_previous_value() -> None:
    (delta,) = diff({}, revenue("6000.00"), CENT, AS_OF, ("evt-1",))
    assert (delta.previous, delta.current, delta.delta) == (None, Decimal("6000.00"), Decimal("6000.00"))
    assert (delta.subject_type, delta.subject_id, delta.period, delta.metric) == (
        SubjectType.PROJECT,
        "P-1",
        "2026-04",
        "revenue",
    )
    assert (delta.unit, delta.as_of, delta.cause_event_ids) == ("USD", AS_OF, ("evt-1",))
    assert delta.envelope.occurred_at == AS_OF


def test_a_value_that_did_not_change_emits_nothing() -> None:
    assert diff(revenue("6000.00"), revenue("6000.00"), CENT, AS_OF) == ()


def test_a_change_under_the_threshold_emits_nothing_and_one_at_it_emits() -> None:
    threshold = Decimal("1.00")
    assert diff(revenue("100.00"), revenue("100.99"), threshold, AS_OF) == ()
    (delta,) = diff(revenue("100.00"), revenue("99.00"), threshold, AS_OF)
    assert (delta.previous, delta.current, delta.delta) == (
        Decimal("100.00"),
        Decimal("99.00"),
        Decimal("-1.00"),
    )


def test_small_moves_add_up_because_the_last_emitted_value_is_kept() -> None:
    threshold = Decimal("1.00")
    emitted = revenue("100.00")
    small = diff(emitted, revenue("100.50"), threshold, AS_OF)
    emitted = remember(emitted, small)
    (delta,) = diff(emitted, revenue("101.00"), threshold, AS_OF)
    assert (delta.previous, delta.delta) == (Decimal("100.00"), Decimal("1.00"))


def test_delta_ids_depend_only_on_key_value_and_causes() -> None:
    (a,) = diff({}, revenue("10.00"), CENT, AS_OF, ("evt-1",))
    (b,) = diff(revenue("5.00"), revenue("10.00"), CENT, datetime(2026, 5, 1, tzinfo=UTC), ("evt-1",))
    (c,) = diff({}, revenue("10.00"), CENT, AS_OF, ("evt-2",))
    assert a.event_id == b.event_id
    assert a.event_id != c.event_id
    assert a.event_id.startswith("fd:PROJECT:P-1:2026-04:revenue:")


def test_deltas_caused_by_time_alone_are_told_apart_by_their_as_of() -> None:
    (first,) = diff({}, revenue("10.00"), CENT, AS_OF)
    (again,) = diff(revenue("12.00"), revenue("10.00"), CENT, datetime(2026, 5, 1, tzinfo=UTC))
    assert first.event_id != again.event_id


def test_the_snapshot_is_keyed_by_subject_type_subject_period_and_metric() -> None:
    values = {**revenue("12000.00"), **revenue("104.00", metric="hours")}
    assert snapshot(values) == {
        "PROJECT:P-1:2026-04:hours": Decimal("104.00"),
        "PROJECT:P-1:2026-04:revenue": Decimal("12000.00"),
    }


def test_the_same_inputs_fed_again_yield_no_new_delta() -> None:
    ctx = ForecastContext()
    entry = time_entry(work_date=date(2026, 3, 9))
    first = feed_project([contract()], ctx, AS_OF)
    worked = feed_project([entry], ctx, AS_OF, first.state)
    again = feed_project([entry], ctx, AS_OF, worked.state)
    same_time = reforecast(again.state, ctx, AS_OF)
    assert worked.deltas != ()
    assert again.deltas == ()
    assert same_time.deltas == ()


amounts = st.decimals(min_value=-(10**6), max_value=10**6, places=2, allow_nan=False, allow_infinity=False)
periods = st.sampled_from(["2026-01", "2026-02", "2026-03"])


@given(st.dictionaries(periods, amounts), st.dictionaries(periods, amounts))
def test_after_emitting_a_diff_the_same_values_diff_to_nothing(
    before: dict[str, Decimal], after: dict[str, Decimal]
) -> None:
    previous = {k: v for p, a in before.items() for k, v in revenue(str(a), period=p).items()}
    current = {k: v for p, a in after.items() for k, v in revenue(str(a), period=p).items()}
    emitted = remember(previous, diff(previous, current, CENT, AS_OF))
    assert diff(emitted, current, CENT, AS_OF) == ()
    assert snapshot(emitted) == {
        **snapshot(previous),
        **{k: v for k, v in snapshot(current).items() if v or k in previous},
    }


@given(
    st.decimals(min_value=0, max_value=10**7, places=2),
    st.dictionaries(periods, st.decimals(min_value=0, max_value=10**5, places=4), min_size=1),
)
def test_an_allocation_adds_up_to_its_total_to_the_cent(total: Decimal, weights: dict[str, Decimal]) -> None:
    parts = allocate(total, weights)
    if sum(weights.values()) == 0:
        assert parts == {}
    else:
        assert sum(parts.values()) == total
        assert all(part >= 0 for part in parts.values())
