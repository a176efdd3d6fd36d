"""Late master data: what arrives before what it needs is parked, never dropped, and settles when it comes."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

from domain.ledger import decide, expire_parked, financials
from domain.ledger.state import CommandStatus
from domain.records.ops import ExceptionReason, ExceptionState
from tests.support.factories import T0, after, billing_status, context, contract, inbound, play, time_entry

CHARGE = "cmd:TE-1:r1:POST_TIME_CHARGE"
LATER = context(now=T0 + timedelta(days=2))


def test_erp_feedback_for_a_command_not_issued_yet_is_kept_and_applied_when_it_is() -> None:
    # A project being rebuilt: the ERP's invoice arrives before the time entry that issues the command.
    early = play(billing_status(CHARGE, status="INVOICED", invoice_id="INV-7"))
    assert (early.commands, early.exceptions) == ((), ())

    decision = play(contract(), time_entry(entry_id="TE-1"), ledger=early.ledger)

    assert decision.ledger.commands[CHARGE].status is CommandStatus.INVOICED
    figures = financials(decision.ledger)
    assert (figures.invoiced, figures.pending, figures.parked) == (Decimal("1200.00"), Decimal("0.00"), 0)


def test_feedback_waiting_past_the_limit_raises_unknown_command_then_resolves_when_the_command_comes() -> (
    None
):
    early = play(contract(), billing_status(CHARGE, status="ACCEPTED"))
    reported = expire_parked(early.ledger, LATER)
    (unknown,) = reported.exceptions
    assert (unknown.reason, unknown.command_ids) == (ExceptionReason.UNKNOWN_COMMAND, (CHARGE,))

    decision = decide(after(early.ledger, reported), inbound(time_entry(entry_id="TE-1")), LATER)

    (cleared,) = decision.exceptions
    assert (cleared.exception_id, cleared.state) == (unknown.exception_id, ExceptionState.RESOLVED)
    assert cleared.resolution is not None and f"psflow issued {CHARGE}" in cleared.resolution


def test_time_and_its_feedback_before_the_contract_all_settle_when_the_contract_arrives() -> None:
    early = play(time_entry(entry_id="TE-1"), billing_status(CHARGE, status="ACCEPTED"))
    assert financials(early.ledger).parked == 2

    decision = play(contract(), ledger=early.ledger)

    assert [c.command_id for c in decision.commands][-1] == CHARGE
    assert decision.ledger.commands[CHARGE].status is CommandStatus.ACCEPTED
    assert financials(decision.ledger).parked == 0


def test_reports_kept_for_one_command_are_applied_in_the_order_the_erp_said_them() -> None:
    first = billing_status(CHARGE, status="INVOICED", sequence=2)
    second = billing_status(CHARGE, status="ACCEPTED", sequence=1)

    decision = play(first, second, contract(), time_entry(entry_id="TE-1"))

    assert decision.ledger.commands[CHARGE].status is CommandStatus.INVOICED
