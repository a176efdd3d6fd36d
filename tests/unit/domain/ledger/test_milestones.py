"""Milestones: completion validates, acceptance bills, in either order, once."""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from typing import Any

from domain.ledger import Decision, financials
from domain.records.erp import BillingCommandType, BillingLine
from domain.records.ops import ExceptionReason
from domain.records.psa import BillingMilestone
from tests.support.factories import contract, inbound, milestone_event, play

M9 = BillingMilestone(
    milestone_id="M9", name="Extra", amount=Decimal("5000.00"), planned_date=date(2026, 5, 1)
)


def _started(**terms: Any) -> Decision:
    return play(contract(**terms))


def test_a_validated_completion_awaits_acceptance_without_billing() -> None:
    decision = play(milestone_event(status="COMPLETED"), ledger=_started().ledger)

    assert (decision.commands, decision.exceptions) == ((), ())
    state = decision.ledger.milestones["M1"]
    assert (state.amount, state.acceptance, state.command_id) == (Decimal("20000.00"), None, None)


def test_acceptance_of_a_validated_milestone_bills_the_scheduled_amount() -> None:
    completed = inbound(milestone_event(status="COMPLETED"))
    accepted = inbound(milestone_event(status="ACCEPTED", actor="client"))

    decision = play(completed, accepted, ledger=_started().ledger)

    (bill,) = decision.commands
    assert bill.command_id == "cmd:P-1:M1:BILL_MILESTONE"
    assert bill.command_type is BillingCommandType.BILL_MILESTONE
    assert bill.amount == Decimal("20000.00")
    assert bill.lines == (BillingLine(amount=Decimal("20000.00"), milestone_id="M1", source_id="M1"),)
    assert bill.lineage == (completed.source, accepted.source)
    assert bill.envelope.causation_id == accepted.record.event_id
    assert financials(decision.ledger).posted == Decimal("20000.00")


def test_acceptance_before_completion_is_remembered_and_bills_when_completion_validates() -> None:
    accepted = play(milestone_event(status="ACCEPTED"), ledger=_started().ledger)

    decision = play(milestone_event(status="COMPLETED"), ledger=accepted.ledger)

    assert accepted.commands == ()
    assert [c.command_id for c in decision.commands] == ["cmd:P-1:M1:BILL_MILESTONE"]


def test_a_completion_failing_validation_names_each_failed_check() -> None:
    decision = play(milestone_event(milestone_id="M9"), ledger=_started(project_status="ON_HOLD").ledger)

    (failure,) = decision.exceptions
    assert failure.reason is ExceptionReason.VALIDATION_FAILED
    assert failure.exception_id == "exc:VALIDATION_FAILED:P-1:M9:in_schedule+amount_known+project_active"
    assert failure.details["failed_checks"] == "in_schedule,amount_known,project_active"
    assert failure.details["project_active"] == "project is ON_HOLD"
    assert "in_schedule" in failure.message
    assert "project_active" in failure.message
    assert decision.commands == ()


def test_a_milestone_scheduled_at_zero_fails_amount_known() -> None:
    free = BillingMilestone(
        milestone_id="M0", name="Kick-off", amount=Decimal("0.00"), planned_date=date(2026, 3, 1)
    )

    decision = play(milestone_event(milestone_id="M0"), ledger=_started(milestones=(free,)).ledger)

    assert [e.details["failed_checks"] for e in decision.exceptions] == ["amount_known"]


def test_a_re_sent_completion_or_acceptance_changes_nothing() -> None:
    completed, accepted = milestone_event(status="COMPLETED"), milestone_event(status="ACCEPTED")
    billed = play(completed, accepted, ledger=_started().ledger)

    decision = play(inbound(completed, offset=900), inbound(accepted, offset=901), ledger=billed.ledger)

    assert (decision.commands, decision.exceptions) == ((), ())
    assert decision.ledger == billed.ledger


def test_a_failing_completion_sent_again_raises_one_exception() -> None:
    unknown = milestone_event(milestone_id="M9")

    decision = play(unknown, inbound(unknown, offset=321), ledger=_started().ledger)

    assert len(decision.exceptions) == 1


def test_a_new_completion_of_an_already_billed_milestone_fails_not_billed() -> None:
    billed = play(
        milestone_event(status="COMPLETED"), milestone_event(status="ACCEPTED"), ledger=_started().ledger
    )

    decision = play(milestone_event(status="COMPLETED"), ledger=billed.ledger)

    assert [e.details["failed_checks"] for e in decision.exceptions] == ["not_billed"]
    assert decision.commands == ()


def test_a_second_acceptance_does_not_bill_again() -> None:
    billed = play(
        milestone_event(status="COMPLETED"), milestone_event(status="ACCEPTED"), ledger=_started().ledger
    )

    decision = play(milestone_event(status="ACCEPTED"), ledger=billed.ledger)

    assert (decision.commands, decision.exceptions) == ((), ())


def test_an_acceptance_kept_through_a_failed_completion_bills_once_an_amendment_schedules_the_milestone() -> (
    None
):
    before = play(
        milestone_event(milestone_id="M9", status="ACCEPTED"),
        milestone_event(milestone_id="M9"),
        ledger=_started().ledger,
    )
    amended = contract(contract_version=2, milestones=(*contract().milestones, M9))

    decision = play(amended, milestone_event(milestone_id="M9"), ledger=before.ledger)

    assert len(before.exceptions) == 1
    assert [(c.command_id, c.amount) for c in decision.commands[1:]] == [
        ("cmd:P-1:M9:BILL_MILESTONE", Decimal("5000.00"))
    ]


def test_a_client_rejection_sends_an_unbilled_milestone_back_to_in_progress() -> None:
    completed = play(
        milestone_event(status="COMPLETED"), milestone_event(status="REJECTED"), ledger=_started().ledger
    )

    decision = play(milestone_event(status="ACCEPTED"), ledger=completed.ledger)

    assert decision.commands == ()
    assert decision.ledger.milestones["M1"].completion is None


def test_billed_milestones_are_the_recognized_revenue_of_a_milestone_project() -> None:
    decision = play(
        milestone_event(status="COMPLETED"),
        milestone_event(status="ACCEPTED"),
        ledger=_started(billing_model="MILESTONE").ledger,
    )

    assert financials(decision.ledger).recognized_revenue == Decimal("20000.00")


def test_a_milestone_status_psflow_does_not_know_raises_validation_failed_at_its_coordinates() -> None:
    odd = inbound(milestone_event(status="UNKNOWN"), offset=55)

    decision = play(odd, ledger=_started().ledger)

    assert [(e.exception_id, e.details["failed_checks"]) for e in decision.exceptions] == [
        ("exc:VALIDATION_FAILED:psa.milestones:0:55", "status")
    ]
