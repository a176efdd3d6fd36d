"""Closed accounting periods: nothing posts on a work date inside one."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

from domain.ledger import financials
from domain.periods import AccountingCalendar
from domain.records.ops import ExceptionReason
from tests.support.factories import context, contract, inbound, period_closed, play, time_entry

FEBRUARY = date(2026, 2, 27)


def test_time_dated_in_a_configured_closed_period_raises_period_closed_and_posts_nothing() -> None:
    entry = time_entry(entry_id="TE-1", work_date=FEBRUARY)
    arrived = inbound(entry, offset=5)

    decision = play(contract(), arrived, ctx=context(closed_periods=frozenset({"2026-02"})))

    (closed,) = decision.exceptions
    assert len(decision.commands) == 1  # only the schedule update
    assert closed.reason is ExceptionReason.PERIOD_CLOSED
    assert closed.exception_id == "exc:PERIOD_CLOSED:TE-1:r1"
    assert closed.details == {"periods": "2026-02", "work_date": "2026-02-27"}
    assert closed.source is not None
    assert (closed.source.topic, closed.source.offset) == ("psa.time-entries", 5)
    assert closed.source_event_ids == (entry.event_id,)
    assert financials(decision.ledger).hours_total == 0


def test_time_in_an_open_period_still_posts_when_another_period_is_closed() -> None:
    decision = play(contract(), time_entry(), ctx=context(closed_periods=frozenset({"2026-02"})))

    assert decision.commands[-1].amount == Decimal("1200.00")
    assert decision.exceptions == ()


def test_a_period_close_event_closes_the_period_for_later_time() -> None:
    calendar = AccountingCalendar()
    before = play(contract())
    calendar.apply(period_closed("2026-02"))

    decision = play(
        time_entry(work_date=FEBRUARY),
        ledger=before.ledger,
        ctx=context(closed_periods=calendar.closed_for("LE-US")),
    )

    assert calendar.closed_for("LE-US") == {"2026-02"}
    assert [e.reason for e in decision.exceptions] == [ExceptionReason.PERIOD_CLOSED]
    assert decision.commands == ()


def test_a_revision_that_would_reverse_a_charge_in_a_closed_period_is_refused_and_the_charge_stays() -> None:
    calendar = AccountingCalendar()
    before = play(contract(), time_entry(entry_id="TE-1", work_date=FEBRUARY))
    calendar.apply(period_closed("2026-02"))

    decision = play(
        time_entry(entry_id="TE-1", revision=2, work_date=date(2026, 3, 2)),
        ledger=before.ledger,
        ctx=context(closed_periods=calendar.closed_for("LE-US")),
    )

    assert [e.exception_id for e in decision.exceptions] == ["exc:PERIOD_CLOSED:TE-1:r2"]
    assert decision.commands == ()
    assert financials(decision.ledger).posted == Decimal("1200.00")


def test_a_period_closed_twice_is_recorded_once() -> None:
    calendar = AccountingCalendar()
    for close in (period_closed("2026-02"), period_closed("2026-01"), period_closed("2026-02")):
        calendar.apply(close)

    assert sorted(calendar.closed_for("LE-US")) == ["2026-01", "2026-02"]
