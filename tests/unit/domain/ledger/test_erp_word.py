"""ERP feedback in any order: a command's status is the ERP's latest word on it, the figures follow."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

from domain.ledger import Decision, financials
from domain.ledger.state import CommandStatus
from domain.records.ops import ExceptionReason, ExceptionState
from tests.support.factories import T0, billing_status, contract, envelope, play, time_entry

CHARGE = "cmd:TE-1:r1:POST_TIME_CHARGE"
ZERO = Decimal("0.00")


def _said(status: str, minutes: int, **fields: object) -> object:
    """An ERP report said `minutes` after T0 (the ERP's own event time)."""
    when = envelope(
        "billing_status.reported", source_system="erp", occurred_at=T0 + timedelta(minutes=minutes)
    )
    return billing_status(CHARGE, status=status, envelope=when, **fields)


def _charged() -> Decision:
    return play(contract(), time_entry(entry_id="TE-1"))


def test_rejected_then_accepted_after_a_fix_is_accepted_and_its_rejection_resolved() -> None:
    decision = play(
        _said("REJECTED", 1, reason="cost center"), _said("ACCEPTED", 5), ledger=_charged().ledger
    )

    assert decision.ledger.commands[CHARGE].status is CommandStatus.ACCEPTED
    figures = financials(decision.ledger)
    assert (figures.rejected, figures.pending) == (ZERO, Decimal("1200.00"))
    raised, cleared = decision.exceptions
    assert (raised.reason, raised.state, cleared.state) == (
        ExceptionReason.ERP_REJECTED,
        ExceptionState.OPEN,
        ExceptionState.RESOLVED,
    )
    assert cleared.exception_id == raised.exception_id == f"exc:ERP_REJECTED:{CHARGE}"
    assert cleared.resolution is not None and "ACCEPTED" in cleared.resolution
    assert cleared.first_seen_at == raised.first_seen_at == T0 + timedelta(minutes=1)


def test_paid_reported_before_invoiced_stays_paid_and_counts_as_invoiced() -> None:
    decision = play(_said("PAID", 10), _said("INVOICED", 8, invoice_id="INV-1"), ledger=_charged().ledger)

    assert decision.ledger.commands[CHARGE].status is CommandStatus.PAID
    figures = financials(decision.ledger)
    assert (figures.paid, figures.invoiced, figures.pending) == (Decimal("1200.00"), Decimal("1200.00"), ZERO)


def test_a_duplicate_invoiced_changes_nothing() -> None:
    invoiced = play(_said("INVOICED", 5), ledger=_charged().ledger)

    again = play(_said("INVOICED", 5), ledger=invoiced.ledger)

    assert (again.commands, again.exceptions) == ((), ())
    assert again.ledger == invoiced.ledger


def test_the_erp_may_change_its_mind_and_reject_what_it_accepted() -> None:
    decision = play(_said("ACCEPTED", 1), _said("REJECTED", 3, reason="duplicate"), ledger=_charged().ledger)

    assert decision.ledger.commands[CHARGE].status is CommandStatus.REJECTED
    assert financials(decision.ledger).rejected == Decimal("1200.00")
    assert [e.reason for e in decision.exceptions] == [ExceptionReason.ERP_REJECTED]


def test_the_erps_sequence_orders_its_reports_over_their_times() -> None:
    decision = play(
        _said("ACCEPTED", 9, sequence=2), _said("REJECTED", 1, sequence=1), ledger=_charged().ledger
    )

    assert decision.ledger.commands[CHARGE].status is CommandStatus.ACCEPTED
    assert decision.exceptions == ()


def test_a_rejection_reopens_under_the_same_id_with_a_new_event() -> None:
    decision = play(
        _said("REJECTED", 1), _said("ACCEPTED", 2), _said("REJECTED", 3), ledger=_charged().ledger
    )

    first, cleared, again = decision.exceptions
    assert {first.exception_id, cleared.exception_id, again.exception_id} == {f"exc:ERP_REJECTED:{CHARGE}"}
    assert [e.state for e in (first, cleared, again)] == [
        ExceptionState.OPEN,
        ExceptionState.RESOLVED,
        ExceptionState.OPEN,
    ]
    assert len({first.event_id, cleared.event_id, again.event_id}) == 3
    assert again.first_seen_at == first.first_seen_at


def test_acceptance_of_the_corrected_charge_resolves_the_rejection_it_replaces() -> None:
    rejected = play(_said("REJECTED", 1), ledger=_charged().ledger)
    fixed = play(time_entry(entry_id="TE-1", revision=2, hours=Decimal("7.00")), ledger=rejected.ledger)

    decision = play(billing_status("cmd:TE-1:r2:POST_TIME_CHARGE", status="ACCEPTED"), ledger=fixed.ledger)

    (cleared,) = decision.exceptions
    assert (cleared.exception_id, cleared.state) == (f"exc:ERP_REJECTED:{CHARGE}", ExceptionState.RESOLVED)
    assert cleared.command_ids == (CHARGE, "cmd:TE-1:r2:POST_TIME_CHARGE")


def test_the_rejection_carries_the_amount_at_risk_and_the_command() -> None:
    (raised,) = play(_said("REJECTED", 1), ledger=_charged().ledger).exceptions

    assert (raised.amount, raised.currency, raised.command_ids) == (Decimal("1200.00"), "USD", (CHARGE,))
