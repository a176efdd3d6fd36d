"""Time entries: charges, rounding, revisions, and the reasons a revision is refused."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest

from domain.ledger import Decision, financials
from domain.records.erp import BillingCommandType, BillingLine
from domain.records.ops import ExceptionReason
from domain.records.psa import BillRate, CostRate
from tests.support.factories import contract, envelope, inbound, play, time_entry

ZERO = Decimal("0.00")

ONE_ROLE = (BillRate(role="consultant", rate=Decimal("150.00"), effective_from=date(2026, 1, 1)),)


def _started() -> Decision:
    return play(contract())


def test_approved_billable_time_posts_a_charge_of_hours_times_the_bill_rate() -> None:
    entry = time_entry(entry_id="TE-1", envelope=envelope("time_entry.approved", correlation_id="flow-7"))
    arrived = inbound(entry, offset=42, partition=3)

    decision = play(arrived, ledger=_started().ledger)

    (charge,) = decision.commands
    assert charge.command_id == "cmd:TE-1:r1:POST_TIME_CHARGE"
    assert charge.command_type is BillingCommandType.POST_TIME_CHARGE
    assert (charge.project_id, charge.legal_entity, charge.customer_id, charge.currency) == (
        "P-1",
        "LE-US",
        "C-ACME",
        "USD",
    )
    assert charge.lines == (
        BillingLine(
            resource_id="R-ANA",
            role="consultant",
            work_date=date(2026, 3, 2),
            hours=Decimal("8.00"),
            rate=Decimal("150.00"),
            amount=Decimal("1200.00"),
            source_id="TE-1",
        ),
    )
    assert charge.amount == Decimal("1200.00")
    assert charge.lineage == (arrived.source,)
    assert charge.reverses_command_id is None
    assert charge.envelope.event_id == charge.command_id
    assert charge.envelope.occurred_at == entry.occurred_at
    assert charge.envelope.source_system == "psflow"
    assert charge.envelope.causation_id == entry.event_id
    assert charge.envelope.correlation_id == "flow-7"
    assert decision.exceptions == ()


@pytest.mark.parametrize(
    ("hours", "rate", "amount"),
    [
        ("7.50", "133.3333", "1000.00"),  # 999.99975: an ordinary round up
        ("2.50", "40.0020", "100.00"),  # exactly 100.005: half-even keeps the even cent (half-up: 100.01)
        ("2.50", "40.0060", "100.02"),  # exactly 100.015: half-even goes up to the even cent
        ("0.50", "20.0100", "10.00"),  # exactly 10.005: half-even keeps the even cent (half-up: 10.01)
    ],
)
def test_each_line_is_rounded_half_even_to_cents(hours: str, rate: str, amount: str) -> None:
    rates = (BillRate(role="consultant", rate=Decimal(rate), effective_from=date(2026, 1, 1)),)

    decision = play(contract(bill_rates=rates), time_entry(hours=Decimal(hours)))

    assert decision.commands[-1].lines[0].amount == Decimal(amount)
    assert decision.commands[-1].amount == Decimal(amount)


def test_a_charge_that_rounds_to_zero_issues_no_command() -> None:
    rates = (BillRate(role="consultant", rate=Decimal("0.0050"), effective_from=date(2026, 1, 1)),)

    decision = play(contract(bill_rates=rates), time_entry(hours=Decimal("1.00")))  # 0.005 -> 0.00

    assert [c.command_type for c in decision.commands] == [BillingCommandType.UPDATE_BILLING_SCHEDULE]
    assert financials(decision.ledger).hours_billable == Decimal("1.00")


def test_non_billable_approved_time_adds_hours_and_cost_but_no_charge() -> None:
    decision = play(time_entry(billable=False, hours=Decimal("5.00")), ledger=_started().ledger)

    figures = financials(decision.ledger)
    assert decision.commands == ()
    assert (figures.hours_total, figures.hours_billable) == (Decimal("5.00"), Decimal("0"))
    assert figures.cost == Decimal("400.00")


def test_time_that_is_not_approved_posts_nothing_and_counts_no_hours() -> None:
    decision = play(time_entry(approval_status="SUBMITTED"), ledger=_started().ledger)

    assert decision.commands == ()
    assert financials(decision.ledger).hours_total == 0


def test_billable_time_on_a_fixed_fee_project_adds_cost_and_hours_but_is_billed_by_milestones_only() -> None:
    decision = play(contract(billing_model="FIXED_FEE"), time_entry())

    figures = financials(decision.ledger)
    assert [c.command_type for c in decision.commands] == [BillingCommandType.UPDATE_BILLING_SCHEDULE]
    assert (figures.hours_billable, figures.cost, figures.posted) == (
        Decimal("8.00"),
        Decimal("640.00"),
        ZERO,
    )


def test_a_newer_revision_reverses_the_earlier_charge_exactly_and_posts_the_new_one() -> None:
    first = inbound(time_entry(entry_id="TE-1"))
    second = inbound(
        time_entry(entry_id="TE-1", revision=2, hours=Decimal("6.00"), work_date=date(2026, 3, 3))
    )
    before = play(first, ledger=_started().ledger)

    decision = play(second, ledger=before.ledger)

    reversal, charge = decision.commands
    original = before.commands[0]
    assert reversal.command_id == "cmd:TE-1:r1:REVERSE_TIME_CHARGE"
    assert reversal.command_type is BillingCommandType.REVERSE_TIME_CHARGE
    assert reversal.reverses_command_id == original.command_id
    assert reversal.lines == (
        original.lines[0].model_copy(update={"hours": Decimal("-8.00"), "amount": Decimal("-1200.00")}),
    )
    assert reversal.amount == Decimal("-1200.00")
    assert reversal.lineage == (first.source, second.source)
    assert charge.command_id == "cmd:TE-1:r2:POST_TIME_CHARGE"
    assert (charge.amount, charge.lines[0].work_date) == (Decimal("900.00"), date(2026, 3, 3))
    assert financials(decision.ledger).posted == Decimal("900.00")


def test_a_revision_back_to_rejected_only_reverses_the_earlier_charge() -> None:
    before = play(time_entry(entry_id="TE-1"), ledger=_started().ledger)

    decision = play(time_entry(entry_id="TE-1", revision=2, approval_status="REJECTED"), ledger=before.ledger)

    (reversal,) = decision.commands
    assert reversal.command_type is BillingCommandType.REVERSE_TIME_CHARGE
    assert (financials(decision.ledger).posted, financials(decision.ledger).hours_total) == (ZERO, ZERO)


def test_the_same_revision_twice_produces_nothing() -> None:
    entry = time_entry(entry_id="TE-1")
    before = play(entry, ledger=_started().ledger)

    decision = play(inbound(entry, offset=999), ledger=before.ledger)

    assert (decision.commands, decision.exceptions) == ((), ())
    assert decision.ledger == before.ledger


def test_an_older_revision_after_a_newer_one_is_ignored_and_counted() -> None:
    before = play(time_entry(entry_id="TE-1", revision=2), ledger=_started().ledger)

    decision = play(time_entry(entry_id="TE-1", revision=1, hours=Decimal("3.00")), ledger=before.ledger)

    assert (decision.commands, decision.exceptions) == ((), ())
    assert financials(decision.ledger).ignored_time_revisions == 1
    assert financials(decision.ledger).posted == Decimal("1200.00")


def test_a_revision_changing_only_the_description_neither_reverses_nor_reposts() -> None:
    before = play(time_entry(entry_id="TE-1"), ledger=_started().ledger)

    decision = play(time_entry(entry_id="TE-1", revision=2, description="typo fixed"), ledger=before.ledger)

    assert decision.commands == ()
    assert decision.ledger.entries["TE-1"].revision == 2


@pytest.mark.parametrize("status", ["ON_HOLD", "CLOSED"])
def test_time_on_a_project_that_is_not_active_is_refused_as_validation_failed_project_active(
    status: str,
) -> None:
    decision = play(contract(project_status=status), time_entry(entry_id="TE-1"))

    (refusal,) = decision.exceptions
    assert [c.command_type for c in decision.commands] == [BillingCommandType.UPDATE_BILLING_SCHEDULE]
    assert refusal.reason is ExceptionReason.VALIDATION_FAILED
    assert refusal.exception_id == "exc:VALIDATION_FAILED:TE-1:r1"
    assert refusal.details["failed_checks"] == "project_active"
    assert status in refusal.message
    assert financials(decision.ledger).hours_total == 0


def test_a_role_without_a_rate_on_the_work_date_raises_validation_failed_instead_of_crashing() -> None:
    later = (BillRate(role="architect", rate=Decimal("200.00"), effective_from=date(2026, 6, 1)),)
    terms = contract(bill_rates=ONE_ROLE + later)

    decision = play(terms, time_entry(entry_id="TE-1", role="architect", resource_id="R-BOB"))

    (refusal,) = decision.exceptions
    assert refusal.reason is ExceptionReason.VALIDATION_FAILED
    assert refusal.details["failed_checks"] == "bill_rate,cost_rate"
    assert "no bill rate for role architect (resource R-BOB) on 2026-03-02" in refusal.message
    assert (refusal.project_id, refusal.resource_id) == ("P-1", "R-BOB")
    assert len(decision.commands) == 1


def test_a_refused_revision_leaves_the_earlier_charge_live_and_is_raised_once() -> None:
    before = play(time_entry(entry_id="TE-1"), ledger=_started().ledger)
    refused = time_entry(entry_id="TE-1", revision=2, role="architect")

    first = play(refused, ledger=before.ledger)
    again = play(inbound(refused, offset=777), ledger=first.ledger)

    assert [e.exception_id for e in first.exceptions] == ["exc:VALIDATION_FAILED:TE-1:r2"]
    assert (first.commands, again.commands, again.exceptions) == ((), (), ())
    assert financials(again.ledger).posted == Decimal("1200.00")


def test_a_refused_revision_is_applied_when_re_driven_after_the_rate_is_added() -> None:
    refused = time_entry(entry_id="TE-1", revision=2, role="architect")
    before = play(contract(), time_entry(entry_id="TE-1"), refused)
    architect = (
        *ONE_ROLE,
        BillRate(role="architect", rate=Decimal("200.00"), effective_from=date(2026, 1, 1)),
    )
    costs = (CostRate(role="architect", rate=Decimal("120.00"), effective_from=date(2026, 1, 1)),)
    amended = contract(contract_version=2, bill_rates=architect, cost_rates=costs)

    decision = play(amended, refused, ledger=before.ledger)

    assert [c.command_id for c in decision.commands] == [
        "cmd:TE-1:r1:REVERSE_TIME_CHARGE",
        "cmd:TE-1:r2:POST_TIME_CHARGE",
    ]
    assert decision.commands[-1].amount == Decimal("1600.00")
    assert financials(decision.ledger).cost == Decimal("960.00")
