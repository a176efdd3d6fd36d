"""Events for a project with no approved contract: parked, released, reported when overdue."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

from domain.ledger import decide, expire_parked, financials
from domain.records.erp import BillingCommandType
from domain.records.ops import ExceptionReason, ExceptionState
from tests.support.factories import T0, after, context, contract, inbound, milestone_event, play, time_entry

LATER = context(now=T0 + timedelta(hours=25))


def test_time_for_a_project_not_yet_known_is_parked_not_failed() -> None:
    decision = play(time_entry(project_id="P-9"))

    assert (decision.commands, decision.exceptions) == ((), ())
    assert decision.ledger.project_id == "P-9"
    assert decision.ledger.contract is None
    assert financials(decision.ledger).parked == 1


def test_the_first_approved_contract_processes_parked_time_in_arrival_order() -> None:
    parked = play(time_entry(entry_id="TE-2"), time_entry(entry_id="TE-1", hours=Decimal("1.00")))

    decision = play(contract(), ledger=parked.ledger)

    assert [c.command_id for c in decision.commands] == [
        "cmd:P-1:v1:UPDATE_BILLING_SCHEDULE",
        "cmd:TE-2:r1:POST_TIME_CHARGE",
        "cmd:TE-1:r1:POST_TIME_CHARGE",
    ]
    assert decision.ledger.parked == ()
    assert financials(decision.ledger).posted == Decimal("1350.00")


def test_a_pending_contract_does_not_release_parked_time() -> None:
    parked = play(time_entry())

    decision = play(contract(approval_status="PENDING"), time_entry(), ledger=parked.ledger)

    assert decision.commands == ()
    assert financials(decision.ledger).parked == 2


def test_a_parked_event_sent_twice_is_parked_once() -> None:
    entry = time_entry()

    decision = play(entry, inbound(entry, offset=12345))

    assert financials(decision.ledger).parked == 1


def test_milestone_events_for_an_unknown_project_are_parked_and_billed_once_the_contract_arrives() -> None:
    parked = play(milestone_event(status="ACCEPTED"), milestone_event(status="COMPLETED"))

    decision = play(contract(), ledger=parked.ledger)

    assert [c.command_type for c in decision.commands] == [
        BillingCommandType.UPDATE_BILLING_SCHEDULE,
        BillingCommandType.BILL_MILESTONE,
    ]


def test_an_item_parked_longer_than_the_limit_is_reported_as_unknown_project_once() -> None:
    entry = time_entry(project_id="P-9", entry_id="TE-1")
    parked = play(inbound(entry, offset=77, partition=2))

    first = expire_parked(parked.ledger, LATER)
    again = expire_parked(after(parked.ledger, first), context(now=T0 + timedelta(days=3)))

    (unknown,) = first.exceptions
    assert unknown.reason is ExceptionReason.UNKNOWN_PROJECT
    assert unknown.exception_id == "exc:UNKNOWN_PROJECT:psa.time-entries:2:77"
    assert unknown.project_id == "P-9"
    assert unknown.envelope.occurred_at == entry.occurred_at
    assert unknown.source_event_ids == (entry.event_id,)
    assert "TE-1 r1" in unknown.message
    assert again.exceptions == ()
    assert financials(after(after(parked.ledger, first), again)).parked == 1


def test_an_item_parked_within_the_limit_is_not_reported() -> None:
    parked = play(time_entry(project_id="P-9"))

    assert expire_parked(parked.ledger, context(now=T0 + timedelta(hours=24))).exceptions == ()


def test_decide_also_reports_overdue_parked_items_on_its_way() -> None:
    parked = play(time_entry(project_id="P-9", entry_id="TE-1"))

    decision = decide(parked.ledger, inbound(time_entry(project_id="P-9", entry_id="TE-2")), LATER)

    assert [e.reason for e in decision.exceptions] == [ExceptionReason.UNKNOWN_PROJECT]
    assert financials(after(parked.ledger, decision)).parked == 2


def test_a_reported_parked_item_is_released_when_the_contract_arrives_and_its_exception_resolved() -> None:
    parked = play(time_entry())
    reported = expire_parked(parked.ledger, LATER)
    (unknown,) = reported.exceptions

    approved = contract()
    decision = decide(after(parked.ledger, reported), inbound(approved), LATER)

    assert decision.commands[-1].command_type is BillingCommandType.POST_TIME_CHARGE
    (cleared,) = decision.exceptions
    assert (cleared.exception_id, cleared.state) == (unknown.exception_id, ExceptionState.RESOLVED)
    assert cleared.resolution is not None and "contract v1 of project P-1 approved" in cleared.resolution
    assert cleared.details["resolved_by"] == approved.event_id
    assert cleared.first_seen_at == unknown.first_seen_at
