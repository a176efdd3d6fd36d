"""The cut-off policy: an amount dated in a closed period posts on the first day of the first open one."""

from __future__ import annotations

from datetime import UTC, date, datetime
from decimal import Decimal

import pytest

from domain.cutoff import posting
from domain.ledger import financials
from domain.periods import AccountingCalendar
from domain.records.erp import BillingCommandType
from domain.records.ops import ExceptionReason, ExceptionState
from tests.support.factories import (
    context,
    contract,
    envelope,
    inbound,
    milestone_event,
    period_closed,
    play,
    time_entry,
)

FEBRUARY = date(2026, 2, 27)
CLOSED = context(closed_periods=frozenset({"2026-02"}))


@pytest.mark.parametrize(
    ("natural", "closed", "posted"),
    [
        (date(2026, 3, 2), set(), date(2026, 3, 2)),  # open: its own date
        (date(2026, 2, 27), {"2026-02"}, date(2026, 3, 1)),
        (date(2026, 1, 15), {"2026-01", "2026-02", "2026-04"}, date(2026, 3, 1)),  # first open after it
        (date(2025, 12, 31), {"2025-12"}, date(2026, 1, 1)),  # across the year end
        (date(2026, 3, 2), {"2026-02"}, date(2026, 3, 2)),  # an earlier closed month does not matter
    ],
)
def test_an_amount_posts_on_its_date_or_the_first_day_of_the_first_open_period_after_it(
    natural: date, closed: set[str], posted: date
) -> None:
    result = posting(natural, frozenset(closed))
    assert (result.natural_date, result.accounting_date, result.rolled) == (
        natural,
        posted,
        posted != natural,
    )


def test_time_dated_in_a_closed_period_posts_in_the_first_open_period_keeping_its_work_date() -> None:
    decision = play(
        contract(), inbound(time_entry(entry_id="TE-1", work_date=FEBRUARY), offset=5), ctx=CLOSED
    )

    charge = decision.commands[-1]
    assert decision.exceptions == ()
    assert (charge.command_id, charge.amount) == ("cmd:TE-1:r1:POST_TIME_CHARGE", Decimal("1200.00"))
    assert (charge.accounting_date, charge.natural_date) == (date(2026, 3, 1), FEBRUARY)
    assert charge.lines[0].work_date == FEBRUARY
    assert financials(decision.ledger).hours_total == Decimal("8.00")


def test_time_in_an_open_period_posts_on_its_work_date() -> None:
    decision = play(contract(), time_entry(), ctx=CLOSED)

    charge = decision.commands[-1]
    assert (charge.amount, charge.accounting_date) == (Decimal("1200.00"), date(2026, 3, 2))
    assert decision.exceptions == ()


def test_a_period_close_event_rolls_later_time_of_that_period_forward() -> None:
    calendar = AccountingCalendar()
    before = play(contract())
    calendar.apply(period_closed("2026-02"))

    decision = play(
        time_entry(work_date=FEBRUARY),
        ledger=before.ledger,
        ctx=context(closed_periods=calendar.closed_for("LE-US")),
    )

    assert calendar.closed_for("LE-US") == {"2026-02"}
    assert [c.accounting_date for c in decision.commands] == [date(2026, 3, 1)]


def test_a_revision_of_a_charge_in_a_closed_period_reverses_it_in_the_first_open_period() -> None:
    before = play(contract(), time_entry(entry_id="TE-1", work_date=FEBRUARY))

    decision = play(
        time_entry(entry_id="TE-1", revision=2, work_date=date(2026, 3, 3)), ledger=before.ledger, ctx=CLOSED
    )

    assert [(c.command_type, c.accounting_date, c.natural_date) for c in decision.commands] == [
        (BillingCommandType.REVERSE_TIME_CHARGE, date(2026, 3, 1), FEBRUARY),
        (BillingCommandType.POST_TIME_CHARGE, date(2026, 3, 3), date(2026, 3, 3)),
    ]
    assert financials(decision.ledger).posted == Decimal("1200.00")


def test_held_work_of_a_closed_period_is_released_in_the_first_open_period() -> None:
    capped = play(contract(not_to_exceed=Decimal("1000.00")), time_entry(entry_id="TE-1", work_date=FEBRUARY))

    decision = play(contract(contract_version=2, not_to_exceed=None), ledger=capped.ledger, ctx=CLOSED)

    release = decision.commands[-1]
    assert (release.command_id, release.amount) == ("cmd:TE-1:r1:POST_TIME_CHARGE:v2", Decimal("200.00"))
    assert (release.accounting_date, release.lines[0].work_date) == (date(2026, 3, 1), FEBRUARY)
    assert financials(decision.ledger).held == 0


def test_a_milestone_accepted_on_a_closed_period_day_is_billed_in_the_first_open_period() -> None:
    on_feb_28 = datetime(2026, 2, 28, 17, 0, tzinfo=UTC)
    completed = play(contract(), milestone_event(status="COMPLETED"))

    decision = play(
        milestone_event(status="ACCEPTED", envelope=envelope("milestone.accepted", occurred_at=on_feb_28)),
        ledger=completed.ledger,
        ctx=CLOSED,
    )

    (bill,) = decision.commands
    assert bill.command_type is BillingCommandType.BILL_MILESTONE
    assert (bill.accounting_date, bill.natural_date) == (date(2026, 3, 1), date(2026, 2, 28))


def test_a_schedule_update_approved_on_a_closed_period_day_posts_in_the_first_open_period() -> None:
    on_feb_28 = envelope("project.contract_version", occurred_at=datetime(2026, 2, 28, tzinfo=UTC))

    decision = play(contract(envelope=on_feb_28), ctx=CLOSED)

    (update,) = decision.commands
    assert update.command_type is BillingCommandType.UPDATE_BILLING_SCHEDULE
    assert update.accounting_date == date(2026, 3, 1)


def test_nothing_is_refused_for_a_closed_period_any_more() -> None:
    decision = play(contract(), time_entry(work_date=FEBRUARY), ctx=CLOSED)

    assert ExceptionReason.PERIOD_CLOSED not in {e.reason for e in decision.exceptions}
    assert all(e.state is ExceptionState.OPEN for e in decision.exceptions)


def test_a_period_closed_twice_is_recorded_once() -> None:
    calendar = AccountingCalendar()
    for close in (period_closed("2026-02"), period_closed("2026-01"), period_closed("2026-02")):
        calendar.apply(close)

    assert sorted(calendar.closed_for("LE-US")) == ["2026-01", "2026-02"]
