"""ERP feedback: statuses move money between pending, invoiced and paid; rejections reach ops."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

from domain.ledger import Decision, MemoryLedger, decide, expire_parked, financials
from domain.ledger.state import CommandStatus
from domain.records.ops import ExceptionReason
from tests.support.factories import T0, billing_status, context, contract, inbound, play, time_entry

ZERO = Decimal("0.00")

CHARGE = "cmd:TE-1:r1:POST_TIME_CHARGE"


def _charged() -> Decision:
    return play(contract(), time_entry(entry_id="TE-1"))


def test_an_accepted_charge_is_still_pending() -> None:
    decision = play(billing_status(CHARGE), ledger=_charged().ledger)

    figures = financials(decision.ledger)
    assert decision.ledger.commands[CHARGE].status is CommandStatus.ACCEPTED
    assert (figures.pending, figures.invoiced) == (Decimal("1200.00"), ZERO)
    assert decision.exceptions == ()


def test_invoiced_moves_the_amount_from_pending_to_invoiced_and_paid_on_to_paid() -> None:
    invoiced = play(
        billing_status(CHARGE),
        billing_status(CHARGE, status="INVOICED", invoice_id="INV-1", amount=Decimal("1200.00")),
        ledger=_charged().ledger,
    )
    paid = play(billing_status(CHARGE, status="PAID"), ledger=invoiced.ledger)

    at_invoice, at_payment = financials(invoiced.ledger), financials(paid.ledger)
    assert (at_invoice.pending, at_invoice.invoiced, at_invoice.paid) == (ZERO, Decimal("1200.00"), ZERO)
    assert (at_payment.pending, at_payment.invoiced, at_payment.paid) == (
        ZERO,
        Decimal("1200.00"),
        Decimal("1200.00"),
    )
    assert at_payment.unbilled_wip == 0
    assert invoiced.exceptions == ()


def test_a_rejection_opens_erp_rejected_linked_to_the_project_command_and_source_events() -> None:
    entry = time_entry(entry_id="TE-1")
    charged = play(contract(), entry)
    rejection = billing_status(CHARGE, status="REJECTED", reason="customer blocked")

    decision = play(rejection, ledger=charged.ledger)

    (rejected,) = decision.exceptions
    assert rejected.reason is ExceptionReason.ERP_REJECTED
    assert rejected.exception_id == f"exc:ERP_REJECTED:{CHARGE}"
    assert (rejected.project_id, rejected.command_id) == ("P-1", CHARGE)
    assert rejected.source_event_ids == (entry.event_id,)
    assert (rejected.amount, rejected.currency) == (Decimal("1200.00"), "USD")
    assert "customer blocked" in rejected.message
    assert rejected.details["erp_reason"] == "customer blocked"
    assert rejected.envelope.causation_id == rejection.event_id
    figures = financials(decision.ledger)
    assert (figures.pending, figures.rejected, figures.posted) == (
        ZERO,
        Decimal("1200.00"),
        Decimal("1200.00"),
    )


def test_duplicate_statuses_are_harmless() -> None:
    rejection = billing_status(CHARGE, status="REJECTED", reason="no PO")
    once = play(rejection, ledger=_charged().ledger)

    decision = play(
        inbound(rejection, offset=555),
        billing_status(CHARGE, status="REJECTED", reason="no PO"),
        ledger=once.ledger,
    )

    assert decision.exceptions == ()
    assert decision.ledger == once.ledger


def test_a_status_arriving_after_a_later_one_changes_nothing() -> None:
    invoiced = play(billing_status(CHARGE, status="INVOICED"), ledger=_charged().ledger)

    decision = play(
        billing_status(CHARGE, status="ACCEPTED"),
        billing_status(CHARGE, status="REJECTED"),
        ledger=invoiced.ledger,
    )

    assert decision.exceptions == ()
    assert decision.ledger.commands[CHARGE].status is CommandStatus.INVOICED


def test_a_rejected_command_may_still_be_invoiced_after_it_is_re_driven() -> None:
    rejected = play(billing_status(CHARGE, status="REJECTED"), ledger=_charged().ledger)

    decision = play(billing_status(CHARGE, status="INVOICED"), ledger=rejected.ledger)

    assert (financials(decision.ledger).rejected, financials(decision.ledger).invoiced) == (
        ZERO,
        Decimal("1200.00"),
    )


def test_a_status_for_an_unknown_command_is_kept_and_raises_unknown_command_once_overdue() -> None:
    stray = billing_status("cmd:NOPE:r1:POST_TIME_CHARGE", status="INVOICED")

    decision = play(stray, inbound(stray, offset=4242), ledger=_charged().ledger)
    assert decision.exceptions == ()
    assert financials(decision.ledger).parked == 1

    (unknown,) = expire_parked(decision.ledger, context(now=T0 + timedelta(days=2))).exceptions
    assert unknown.reason is ExceptionReason.UNKNOWN_COMMAND
    assert unknown.exception_id == "exc:UNKNOWN_COMMAND:cmd:NOPE:r1:POST_TIME_CHARGE:INVOICED"
    assert (unknown.project_id, unknown.command_id) == ("P-1", "cmd:NOPE:r1:POST_TIME_CHARGE")


def test_a_status_for_a_project_never_seen_is_parked_instead_of_crashing() -> None:
    decision = decide(None, inbound(billing_status("cmd:X", project_id="P-404")), context())

    assert decision.exceptions == ()
    late = decide(
        MemoryLedger("P-404").apply(decision),
        inbound(billing_status("cmd:Y", project_id="P-404")),
        context(now=T0 + timedelta(days=2)),
    )
    assert [(e.reason, e.project_id) for e in late.exceptions] == [(ExceptionReason.UNKNOWN_COMMAND, "P-404")]


def test_an_invoice_for_another_amount_than_the_command_raises_validation_failed() -> None:
    decision = play(
        billing_status(CHARGE, status="INVOICED", invoice_id="INV-9", amount=Decimal("1100.00")),
        ledger=_charged().ledger,
    )

    (mismatch,) = decision.exceptions
    assert mismatch.reason is ExceptionReason.VALIDATION_FAILED
    assert mismatch.details["failed_checks"] == "invoiced_amount"
    assert (mismatch.amount, mismatch.details["command_amount"]) == (Decimal("1100.00"), "1200.00")
    assert financials(decision.ledger).invoiced == Decimal("1200.00")


def test_feedback_on_a_reversal_moves_its_negative_amount() -> None:
    reversed_ = play(
        time_entry(entry_id="TE-1", revision=2, approval_status="REJECTED"), ledger=_charged().ledger
    )

    decision = play(
        billing_status(CHARGE, status="INVOICED"),
        billing_status("cmd:TE-1:r1:REVERSE_TIME_CHARGE", status="INVOICED"),
        ledger=reversed_.ledger,
    )

    assert (financials(decision.ledger).invoiced, financials(decision.ledger).pending) == (ZERO, ZERO)
