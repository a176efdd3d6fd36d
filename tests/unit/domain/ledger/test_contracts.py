"""Contract versions: approved ones set the terms, amendments update the ERP's schedule."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

from domain.ledger import Decision, financials
from domain.records.erp import BillingCommandType, BillingSchedule, ScheduledMilestone
from domain.records.ops import ExceptionReason
from domain.records.psa import BillingMilestone, BillRate
from tests.support.factories import contract, inbound, play, time_entry

M2 = BillingMilestone(
    milestone_id="M2", name="Build", amount=Decimal("30000.00"), planned_date=date(2026, 6, 1)
)


def _first() -> Decision:
    return play(contract())


def test_the_first_approved_version_emits_the_schedule_so_the_erp_learns_it() -> None:
    first = inbound(contract(not_to_exceed=Decimal("90000.00")))

    decision = play(first)

    (update,) = decision.commands
    assert update.command_id == "cmd:P-1:v1:UPDATE_BILLING_SCHEDULE"
    assert update.command_type is BillingCommandType.UPDATE_BILLING_SCHEDULE
    assert (update.amount, update.lines, update.lineage) == (Decimal("0.00"), (), (first.source,))
    assert update.schedule == BillingSchedule(
        contract_version=1,
        contract_value=Decimal("100000.00"),
        not_to_exceed=Decimal("90000.00"),
        milestones=(
            ScheduledMilestone(
                milestone_id="M1", name="Design", amount=Decimal("20000.00"), planned_date=date(2026, 4, 1)
            ),
        ),
    )
    assert financials(decision.ledger).contract_version == 1


def test_a_pending_version_changes_nothing() -> None:
    before = _first()
    pending = contract(contract_version=2, approval_status="PENDING", contract_value=Decimal("1.00"))

    decision = play(pending, ledger=before.ledger)

    assert (decision.commands, decision.exceptions) == ((), ())
    assert decision.ledger == before.ledger


def test_a_pending_version_of_a_new_project_gives_it_no_contract() -> None:
    decision = play(contract(approval_status="PENDING"))

    assert (decision.commands, decision.ledger.contract) == ((), None)


def test_the_approval_of_a_pending_version_applies_it() -> None:
    pending = play(
        contract(contract_version=2, approval_status="PENDING", milestones=(M2,)), ledger=_first().ledger
    )

    decision = play(contract(contract_version=2, milestones=(M2,)), ledger=pending.ledger)

    (update,) = decision.commands
    assert update.command_id == "cmd:P-1:v2:UPDATE_BILLING_SCHEDULE"
    assert update.schedule is not None
    assert [m.milestone_id for m in update.schedule.milestones] == ["M2"]


def test_an_approved_amendment_of_the_contract_value_emits_the_revised_schedule() -> None:
    decision = play(contract(contract_version=2, contract_value=Decimal("120000.00")), ledger=_first().ledger)

    (update,) = decision.commands
    assert update.schedule is not None
    assert (update.schedule.contract_version, update.schedule.contract_value) == (2, Decimal("120000.00"))
    assert financials(decision.ledger).contract_value == Decimal("120000.00")


def test_an_approved_amendment_of_the_cap_emits_the_revised_schedule() -> None:
    decision = play(contract(contract_version=2, not_to_exceed=Decimal("50000.00")), ledger=_first().ledger)

    assert [c.schedule.not_to_exceed for c in decision.commands if c.schedule] == [Decimal("50000.00")]


def test_an_amendment_of_rates_or_status_only_emits_no_schedule_but_applies_to_later_time() -> None:
    rates = (BillRate(role="consultant", rate=Decimal("175.00"), effective_from=date(2026, 1, 1)),)

    decision = play(contract(contract_version=2, bill_rates=rates), time_entry(), ledger=_first().ledger)

    assert [c.command_type for c in decision.commands] == [BillingCommandType.POST_TIME_CHARGE]
    assert decision.commands[0].amount == Decimal("1400.00")


def test_reordering_the_milestones_is_not_a_schedule_change() -> None:
    two = play(contract(milestones=(M2, *contract().milestones)))

    decision = play(contract(contract_version=2, milestones=(*contract().milestones, M2)), ledger=two.ledger)

    assert decision.commands == ()


def test_a_version_older_than_or_equal_to_the_current_one_is_ignored_and_counted() -> None:
    current = play(contract(contract_version=3))

    decision = play(
        contract(contract_version=2, contract_value=Decimal("1.00")),
        contract(contract_version=3, contract_value=Decimal("2.00")),
        contract(contract_version=1, approval_status="PENDING"),
        ledger=current.ledger,
    )

    assert decision.commands == ()
    assert financials(decision.ledger).ignored_contract_versions == 3
    assert financials(decision.ledger).contract_value == Decimal("100000.00")


def test_an_amendment_changing_the_currency_is_refused() -> None:
    decision = play(contract(contract_version=2, currency="EUR"), ledger=_first().ledger)

    (refusal,) = decision.exceptions
    assert refusal.reason is ExceptionReason.VALIDATION_FAILED
    assert refusal.exception_id == "exc:VALIDATION_FAILED:P-1:v2"
    assert refusal.details["failed_checks"] == "currency_unchanged"
    assert decision.commands == ()
    assert financials(decision.ledger).currency == "USD"
