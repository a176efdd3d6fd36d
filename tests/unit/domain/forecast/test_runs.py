"""Settling by month runs: what each month reports does not depend on where the worker's batches end."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, date, datetime
from decimal import Decimal

from hypothesis import given, settings
from hypothesis import strategies as st

from domain.forecast import ForecastContext, MemoryProjectForecast, ProjectForecastView
from domain.forecast import project as rules
from domain.forecast.runs import MAX_CAUSES, SettleRun
from domain.records.psa import ProjectContract, TimeEntry
from tests.support.factories import contract, envelope, time_entry

CTX = ForecastContext()


def at(month: int, day: int) -> datetime:
    return datetime(2026, month, day, 9, tzinfo=UTC)


def dated(record: ProjectContract | TimeEntry, when: datetime) -> ProjectContract | TimeEntry:
    return record.model_copy(update={"envelope": envelope("psa", occurred_at=when)})


def rate(amount: str) -> ProjectContract:
    card = contract().bill_rates[0].model_copy(update={"rate": Decimal(amount)})
    return contract(bill_rates=(card,))


HISTORY: tuple[ProjectContract | TimeEntry, ...] = (
    dated(rate("1500.00"), at(2, 20)),
    dated(time_entry(entry_id="TE-1", work_date=date(2026, 2, 27)), at(2, 27)),
    dated(time_entry(entry_id="TE-2", work_date=date(2026, 3, 2)), at(3, 2)),
    dated(time_entry(entry_id="TE-3", work_date=date(2026, 3, 20)), at(3, 20)),
    dated(rate("150.00").model_copy(update={"contract_version": 2}), at(4, 1)),
    dated(time_entry(entry_id="TE-4", work_date=date(2026, 4, 2)), at(4, 2)),
)


def last_emitted(history: Sequence[ProjectContract | TimeEntry], batch_ends: set[int]) -> dict[str, Decimal]:
    """Run the worker's loop: settle when a change moves to another month and at each batch end."""
    state = MemoryProjectForecast("P-1")
    latest: dict[str, Decimal] = {}
    view, run = ProjectForecastView("P-1", state), None

    def settle() -> None:
        if run is not None and run.causes:
            done = rules.settle(view, CTX, as_of=run.as_of, cause=run.cause, causes=run.causes)
            latest.update({f"{d.period}:{d.metric}": d.current for d in done.deltas})
        state.apply(view.changes())

    for index, record in enumerate(history):
        if run is not None and run.ends_before(record):
            settle()
            view, run = ProjectForecastView("P-1", state), None
        run = run or SettleRun.starting(record)
        if rules.apply(view, record, CTX):
            run.caused(record)
        if index in batch_ends:
            settle()
            view, run = ProjectForecastView("P-1", state), None
    settle()
    return latest


@settings(max_examples=40, deadline=None)
@given(st.sets(st.integers(min_value=0, max_value=len(HISTORY) - 1)))
def test_every_month_reports_the_same_values_wherever_the_batches_end(batch_ends: set[int]) -> None:
    assert last_emitted(HISTORY, batch_ends) == last_emitted(HISTORY, set())


def test_a_month_keeps_the_point_in_time_values_its_own_events_settled() -> None:
    values = last_emitted(HISTORY, set())
    # Recognized to date: March counted three entries at the wrong 1500/h while it was the current month;
    # the April correction reprices everything from April on (4 entries x 8 h x 150), March keeps its value.
    assert values["2026-02:recognized_revenue"] == Decimal("12000.00")
    assert values["2026-03:recognized_revenue"] == Decimal("36000.00")
    assert values["2026-04:recognized_revenue"] == Decimal("4800.00")
    assert values["2026-04:backlog"] == Decimal("95200.00")


def test_a_run_ends_only_at_a_change_in_another_month() -> None:
    run = SettleRun.starting(HISTORY[1])
    assert not run.ends_before(HISTORY[2])  # nothing changed yet: no settle is due
    run.caused(HISTORY[1])
    assert not run.ends_before(dated(time_entry(), at(2, 28)))
    assert run.ends_before(HISTORY[2])


def test_a_run_names_at_most_its_latest_causes_and_settles_as_of_the_latest_time() -> None:
    run = SettleRun.starting(HISTORY[2])
    events = [dated(time_entry(entry_id=f"TE-{i}"), at(3, 1 + i % 28)) for i in range(MAX_CAUSES + 5)]
    for event in events:
        run.caused(event)
    assert run.causes == tuple(e.event_id for e in events[-MAX_CAUSES:])
    assert run.as_of == at(3, 28) and run.cause == events[-1].envelope
