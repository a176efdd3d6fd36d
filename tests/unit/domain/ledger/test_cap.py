"""The not-to-exceed cap: post up to it, hold the rest, release on a raised cap."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

from domain.ledger import Decision, financials
from domain.records.erp import BillingCommandType, BillingLine
from domain.records.ops import ExceptionReason, ExceptionState
from tests.support.factories import context, contract, inbound, play, time_entry


def _capped(cap: str, *entries_hours: str) -> Decision:
    """Play a contract capped at `cap` and one 150.00/h entry TE-1, TE-2, ... per hours given."""
    entries = [time_entry(entry_id=f"TE-{i}", hours=Decimal(h)) for i, h in enumerate(entries_hours, 1)]
    return play(contract(not_to_exceed=Decimal(cap)), *entries)


def test_a_charge_crossing_the_cap_posts_up_to_the_cap_and_holds_the_rest() -> None:
    decision = _capped("2000.00", "8.00", "8.00")  # 1200.00 + 1200.00 against 2000.00

    second = decision.commands[-1]
    (hold,) = decision.exceptions
    assert second.command_id == "cmd:TE-2:r1:POST_TIME_CHARGE"
    assert second.amount == Decimal("800.00")
    assert (second.lines[0].hours, second.lines[0].rate) == (Decimal("8.00"), Decimal("150.00"))
    assert hold.reason is ExceptionReason.BILLING_HOLD
    assert hold.exception_id == "exc:BILLING_HOLD:TE-2:r1"
    assert (hold.amount, hold.currency, hold.command_id) == (Decimal("400.00"), "USD", second.command_id)
    assert "400.00 held" in hold.message
    assert hold.details == {
        "not_to_exceed": "2000.00",
        "charge": "1200.00",
        "posted": "800.00",
        "held": "400.00",
    }
    figures = financials(decision.ledger)
    assert (figures.posted, figures.held) == (Decimal("2000.00"), Decimal("400.00"))


def test_a_charge_once_the_cap_is_reached_posts_nothing_and_holds_everything() -> None:
    decision = _capped("1200.00", "8.00", "2.00")

    assert decision.commands[-1].command_id == "cmd:TE-1:r1:POST_TIME_CHARGE"
    assert [(e.exception_id, e.amount) for e in decision.exceptions] == [
        ("exc:BILLING_HOLD:TE-2:r1", Decimal("300.00"))
    ]
    assert decision.exceptions[0].command_id is None


def test_an_amendment_raising_the_cap_releases_the_held_amount_as_a_new_charge() -> None:
    before = _capped("2000.00", "8.00", "8.00")
    raised = inbound(contract(contract_version=2, not_to_exceed=Decimal("5000.00")))

    decision = play(raised, ledger=before.ledger)

    schedule, release = decision.commands
    assert schedule.command_type is BillingCommandType.UPDATE_BILLING_SCHEDULE
    assert release.command_id == "cmd:TE-2:r1:POST_TIME_CHARGE:v2"
    assert release.command_type is BillingCommandType.POST_TIME_CHARGE
    assert release.lines == (
        BillingLine(
            resource_id="R-ANA",
            role="consultant",
            work_date=date(2026, 3, 2),
            hours=Decimal("0.00"),
            rate=Decimal("150.00"),
            amount=Decimal("400.00"),
            source_id="TE-2",
        ),
    )
    assert release.lineage == (before.ledger.entries["TE-2"].source, raised.source)
    assert release.envelope.causation_id == raised.record.event_id
    figures = financials(decision.ledger)
    assert (figures.posted, figures.held) == (Decimal("2400.00"), Decimal("0.00"))


def test_a_cap_raised_by_less_than_the_held_amounts_releases_oldest_work_first_and_keeps_the_rest() -> None:
    before = play(
        contract(not_to_exceed=Decimal("1200.00")),
        time_entry(entry_id="TE-B", hours=Decimal("2.00"), work_date=date(2026, 3, 5)),  # 300.00
        time_entry(
            entry_id="TE-A", hours=Decimal("8.00"), work_date=date(2026, 3, 4)
        ),  # 900 posted, 300 held
        time_entry(entry_id="TE-C", hours=Decimal("2.00"), work_date=date(2026, 3, 3)),  # 300 held
    )

    decision = play(contract(contract_version=2, not_to_exceed=Decimal("1500.00")), ledger=before.ledger)

    assert [(c.command_id, c.amount) for c in decision.commands[1:]] == [
        ("cmd:TE-C:r1:POST_TIME_CHARGE:v2", Decimal("300.00"))
    ]
    assert decision.ledger.entries["TE-A"].held == Decimal("300.00")
    assert financials(decision.ledger).held == Decimal("300.00")


def test_removing_the_cap_releases_everything_held() -> None:
    before = _capped("1000.00", "8.00", "8.00")

    decision = play(contract(contract_version=2, not_to_exceed=None), ledger=before.ledger)

    assert [(c.command_id, c.amount) for c in decision.commands[1:]] == [
        ("cmd:TE-1:r1:POST_TIME_CHARGE:v2", Decimal("200.00")),
        ("cmd:TE-2:r1:POST_TIME_CHARGE:v2", Decimal("1200.00")),
    ]
    assert financials(decision.ledger).posted == Decimal("2400.00")


def test_an_amendment_that_does_not_raise_the_cap_releases_nothing() -> None:
    before = _capped("2000.00", "8.00", "8.00")

    decision = play(
        contract(contract_version=2, not_to_exceed=Decimal("2000.00"), contract_value=Decimal("1.00")),
        ledger=before.ledger,
    )

    assert [c.command_type for c in decision.commands] == [BillingCommandType.UPDATE_BILLING_SCHEDULE]
    assert financials(decision.ledger).held == Decimal("400.00")


def test_held_work_in_a_closed_period_is_released_in_the_first_open_period_when_the_cap_is_raised() -> None:
    before = _capped("2000.00", "8.00", "8.00")

    decision = play(
        contract(contract_version=2, not_to_exceed=None),
        ledger=before.ledger,
        ctx=context(closed_periods=frozenset({"2026-03"})),
    )

    (release,) = decision.commands[1:]
    assert (release.amount, release.accounting_date) == (Decimal("400.00"), date(2026, 4, 1))
    assert financials(decision.ledger).held == Decimal("0.00")


def test_a_new_revision_of_a_partly_released_entry_reverses_each_of_its_charges() -> None:
    before = play(
        contract(contract_version=2, not_to_exceed=Decimal("2200.00")),
        ledger=_capped("2000.00", "8.00", "8.00").ledger,
    )

    decision = play(time_entry(entry_id="TE-2", revision=2, hours=Decimal("4.00")), ledger=before.ledger)

    assert [(c.command_id, c.reverses_command_id, c.amount) for c in decision.commands] == [
        ("cmd:TE-2:r1:REVERSE_TIME_CHARGE", "cmd:TE-2:r1:POST_TIME_CHARGE", Decimal("-800.00")),
        ("cmd:TE-2:r1:REVERSE_TIME_CHARGE:v2", "cmd:TE-2:r1:POST_TIME_CHARGE:v2", Decimal("-200.00")),
        ("cmd:TE-2:r2:POST_TIME_CHARGE", None, Decimal("600.00")),
    ]
    # What r1 still held (200.00 of 400.00) is moot: r2 replaced it.
    assert [(e.exception_id, e.state) for e in decision.exceptions] == [
        ("exc:BILLING_HOLD:TE-2:r1", ExceptionState.RESOLVED)
    ]
    figures = financials(decision.ledger)
    assert (figures.posted, figures.held) == (Decimal("1800.00"), Decimal("0.00"))


def test_a_new_revision_can_use_the_room_its_own_reversal_frees_under_the_cap() -> None:
    before = _capped("1200.00", "8.00")

    decision = play(time_entry(entry_id="TE-1", revision=2, hours=Decimal("7.00")), ledger=before.ledger)

    assert [c.amount for c in decision.commands] == [Decimal("-1200.00"), Decimal("1050.00")]
    assert decision.exceptions == ()


def test_a_hold_is_released_under_its_applied_revision_when_a_later_revision_was_refused() -> None:
    before = _capped("2000.00", "8.00", "8.00")
    refused = play(time_entry(entry_id="TE-2", revision=2, role="architect"), ledger=before.ledger)

    decision = play(contract(contract_version=2, not_to_exceed=None), ledger=refused.ledger)

    assert len(refused.exceptions) == 1
    assert [(c.command_id, c.amount) for c in decision.commands[1:]] == [
        ("cmd:TE-2:r1:POST_TIME_CHARGE:v2", Decimal("400.00"))
    ]
