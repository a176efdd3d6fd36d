"""The ledger learns the corrections a replay sent, so later revisions and ERP feedback stay right."""

from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal

from domain.ledger import MemoryLedger
from domain.records.erp import BillingCommand, BillingCommandType
from domain.records.ops import ExceptionReason
from domain.records.psa import BillRate, TimeEntry
from replay.diff import diff_project
from replay.sandbox import SourceEvent, recompute
from tests.support.factories import Played, billing_status, contract, envelope, inbound, play, time_entry

JAN1, MAR1 = date(2026, 1, 1), date(2026, 3, 1)
RIGHT = (
    BillRate(role="consultant", rate=Decimal("150.00"), effective_from=JAN1),
    BillRate(role="consultant", rate=Decimal("165.00"), effective_from=MAR1),
)
WRONG = (RIGHT[0], BillRate(role="consultant", rate=Decimal("1500.00"), effective_from=MAR1))
_POST = BillingCommandType.POST_TIME_CHARGE
_REVERSE = BillingCommandType.REVERSE_TIME_CHARGE


def _entry(revision: int = 1, hours: str = "8.00") -> TimeEntry:
    return time_entry(
        "P-1",
        entry_id="TE-MAR",
        revision=revision,
        hours=Decimal(hours),
        work_date=date(2026, 3, 2),
        envelope=envelope(f"time_entry.r{revision}"),
    )


def _incident() -> tuple[Played, list[BillingCommand]]:
    """Play the wrong rate card, then the correcting v2; return the live decision and the replay's fix."""
    records = [
        contract("P-1", bill_rates=WRONG),
        _entry(),
        contract("P-1", contract_version=2, bill_rates=RIGHT, envelope=envelope("contract")),
    ]
    arrived = [inbound(r) for r in records]
    live = play(*arrived)
    history = [SourceEvent(a.record, a.source, 1_000 * i) for i, a in enumerate(arrived)]
    diff = diff_project(recompute("P-1", history, timedelta(days=1)), live.commands, frozenset(), "rpl-1")
    return live, [cmd for c in diff.corrections for cmd in c.commands]


def _net(*commands: BillingCommand) -> Decimal:
    """Return the net time charges the ERP books: it drops a command id it already has."""
    booked = {c.command_id: c.amount for c in commands if c.command_type in (_POST, _REVERSE)}
    return sum(booked.values(), Decimal("0.00"))


def _corrected(live: Played, fix: list[BillingCommand]) -> MemoryLedger:
    learned = play(*fix, ledger=live.ledger)
    assert learned.commands == () and learned.exceptions == ()
    return learned.ledger


def test_a_learned_correction_makes_the_replays_charge_the_live_charge_of_the_entry() -> None:
    live, fix = _incident()

    ledger = _corrected(live, fix)

    (charge,) = ledger.entries["TE-MAR"].charges
    assert charge.command_id == fix[1].command_id
    assert charge.line.amount == Decimal("1320.00")
    assert ledger.entries["TE-MAR"].rate == Decimal("165.00")
    assert {fix[0].command_id, fix[1].command_id} <= set(ledger.commands)


def test_a_later_revision_reverses_the_corrected_charge_and_nets_to_a_clean_run() -> None:
    live, fix = _incident()
    ledger = _corrected(live, fix)

    later = play(_entry(revision=2, hours="4.00"), ledger=ledger)

    assert [(c.command_type, c.reverses_command_id, c.amount) for c in later.commands] == [
        (_REVERSE, fix[1].command_id, Decimal("-1320.00")),
        (_POST, None, Decimal("660.00")),
    ]
    clean = play(contract("P-1", bill_rates=RIGHT), _entry(), _entry(revision=2, hours="4.00"))
    assert _net(*live.commands, *fix, *later.commands) == _net(*clean.commands) == Decimal("660.00")


def test_a_correction_read_twice_changes_nothing() -> None:
    live, fix = _incident()
    ledger = _corrected(live, fix)

    again = play(*fix, ledger=ledger)

    assert again.ledger == ledger
    assert again.commands == () and again.exceptions == ()


def test_erp_feedback_on_a_corrected_charge_advances_it_instead_of_raising_unknown_command() -> None:
    live, fix = _incident()
    ledger = _corrected(live, fix)

    accepted = play(billing_status(fix[1].command_id, status="ACCEPTED"), ledger=ledger)

    assert accepted.exceptions == ()
    assert accepted.ledger.commands[fix[1].command_id].status.value == "ACCEPTED"


def test_a_correction_of_a_revision_replaced_since_the_preview_is_reversed_at_once() -> None:
    live, fix = _incident()
    moved_on = play(_entry(revision=2, hours="4.00"), ledger=live.ledger)

    learned = play(*fix, ledger=moved_on.ledger)

    (reversal,) = learned.commands
    assert (reversal.command_type, reversal.reverses_command_id) == (_REVERSE, fix[1].command_id)
    assert reversal.amount == -fix[1].amount
    assert [c.command_id for c in learned.ledger.entries["TE-MAR"].charges] == [
        "cmd:TE-MAR:r2:POST_TIME_CHARGE"
    ]
    # What the ERP got nets to the new revision at today's rate: 4 h at 165.00.
    assert _net(*live.commands, *moved_on.commands, *fix, reversal) == Decimal("660.00")


def test_a_correction_for_an_entry_the_ledger_never_saw_is_reported_not_guessed() -> None:
    live, fix = _incident()
    stranger = fix[1].model_copy(
        update={"lines": (fix[1].lines[0].model_copy(update={"source_id": "TE-NOPE"}),)}
    )

    outcome = play(stranger, ledger=live.ledger)

    (raised,) = outcome.exceptions
    assert raised.reason is ExceptionReason.VALIDATION_FAILED
    assert raised.command_id == fix[1].command_id
    assert outcome.ledger.entries == live.ledger.entries
