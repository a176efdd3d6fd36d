"""The sandbox and the diff, without Kafka: today's rate card, corrections, idempotence."""

from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal

from domain.ledger import Inbound
from domain.moves import MovedAway
from domain.records.common import SourceRef
from domain.records.erp import BillingCommand, BillingCommandType
from domain.records.psa import BillRate, ProjectContract, TimeEntry
from replay.corrections import corrected_charge_id
from replay.diff import diff_project, live_charges
from replay.sandbox import SourceEvent, recompute
from tests.support.factories import contract, envelope, inbound, play, time_entry

JAN1, MAR1 = date(2026, 1, 1), date(2026, 3, 1)
RIGHT = (
    BillRate(role="consultant", rate=Decimal("150.00"), effective_from=JAN1),
    BillRate(role="consultant", rate=Decimal("165.00"), effective_from=MAR1),
)
WRONG = (RIGHT[0], BillRate(role="consultant", rate=Decimal("1500.00"), effective_from=MAR1))
DAY = timedelta(days=1)


def _history(*records: ProjectContract | TimeEntry) -> list[SourceEvent]:
    events = []
    for ms, record in enumerate(records):
        wrapped = inbound(record)
        events.append(SourceEvent(wrapped.record, wrapped.source, 1_000 * ms))
    return events


def _incident() -> tuple[list[SourceEvent], list[BillingCommand]]:
    """Return P-1's history (wrong card, then the correcting v2) and what the live worker emitted."""
    v1 = contract("P-1", bill_rates=WRONG)
    feb = time_entry("P-1", entry_id="TE-FEB", work_date=date(2026, 2, 27))
    mar = time_entry("P-1", entry_id="TE-MAR", work_date=date(2026, 3, 2))
    v2 = contract("P-1", contract_version=2, bill_rates=RIGHT, envelope=envelope("contract"))
    history = _history(v1, feb, mar, v2)
    live = play(*(inbound(e.record, offset=e.source.offset) for e in history)).commands
    return history, list(live)


def test_the_sandbox_prices_history_with_the_latest_approved_rate_card_from_its_effective_dates() -> None:
    history, _ = _incident()
    result = recompute("P-1", history, DAY)
    charges = {c.lines[0].source_id: c.amount for c in result.commands if c.lines}
    assert charges == {"TE-FEB": Decimal("1200.00"), "TE-MAR": Decimal("1320.00")}


def test_the_diff_reverses_the_wrong_charge_and_reissues_it_with_deterministic_ids() -> None:
    history, live = _incident()
    diff = diff_project(recompute("P-1", history, DAY), live, frozenset(), "rpl-1")
    commands = [cmd for c in diff.corrections for cmd in c.commands]
    assert [(c.command_type, c.amount, c.reverses_command_id) for c in commands] == [
        (BillingCommandType.REVERSE_TIME_CHARGE, Decimal("-12000.00"), "cmd:TE-MAR:r1:POST_TIME_CHARGE"),
        (BillingCommandType.POST_TIME_CHARGE, Decimal("1320.00"), None),
    ]
    assert commands[0].command_id == "cmd:TE-MAR:r1:REVERSE_TIME_CHARGE"
    assert commands[1].command_id == corrected_charge_id(
        "cmd:TE-MAR:r1:POST_TIME_CHARGE", commands[1].lines[0], ["cmd:TE-MAR:r1:POST_TIME_CHARGE"]
    )
    assert {c.replay_id for c in commands} == {"rpl-1"}
    assert (diff.reversed_total, diff.reissued_total, diff.new_total, diff.net) == (
        Decimal("-12000.00"),
        Decimal("1320.00"),
        Decimal("0.00"),
        Decimal("-10680.00"),
    )
    # Another replay of the same fix finds the same ids: the ERP and apply drop it as a duplicate.
    other = diff_project(recompute("P-1", history, DAY), live, frozenset(), "rpl-2")
    assert [c.command_id for c in other.corrections[0].commands] == [c.command_id for c in commands]


def test_once_the_corrections_are_live_the_diff_is_empty() -> None:
    history, live = _incident()
    result = recompute("P-1", history, DAY)
    first = diff_project(result, live, frozenset(), "rpl-1")
    corrected = live + [cmd for c in first.corrections for cmd in c.commands]
    assert diff_project(result, corrected, frozenset(), "rpl-1").corrections == ()
    assert {e: [c.amount for c in cs] for e, cs in live_charges(corrected).items()} == {
        "TE-FEB": [Decimal("1200.00")],
        "TE-MAR": [Decimal("1320.00")],
    }


def test_a_correction_of_a_closed_period_posts_in_the_first_open_period_like_the_worker() -> None:
    history, live = _incident()
    diff = diff_project(recompute("P-1", history, DAY), live, frozenset({"2026-03"}), "rpl-1")
    (fix,) = diff.corrections
    assert fix.entry_id == "TE-MAR" and diff.blocked == ()
    assert {(c.accounting_date, c.natural_date) for c in fix.commands} == {
        (date(2026, 4, 1), date(2026, 3, 2))
    }


def test_a_project_closed_today_still_keeps_the_charges_of_its_active_past() -> None:
    history, live = _incident()
    closed = contract(
        "P-1", contract_version=3, bill_rates=RIGHT, project_status="CLOSED", envelope=envelope("contract")
    )
    wrapped = inbound(closed)
    later = [*history, SourceEvent(wrapped.record, wrapped.source, 99_000)]
    diff = diff_project(recompute("P-1", later, DAY), live, frozenset(), "rpl-1")
    assert [c.entry_id for c in diff.corrections] == ["TE-MAR"]


def test_an_entry_moved_to_another_project_replays_with_nothing_to_correct_on_either() -> None:
    moving = time_entry("P-2", entry_id="TE-M", revision=2, previous_project_id="P-1")
    moved = MovedAway.of(moving)
    assert moved is not None
    old = _history(contract("P-1"), time_entry("P-1", entry_id="TE-M"))
    at = SourceRef(event_id=moved.event_id, topic="psflow.entry-moves", partition=0, offset=0)
    old.append(SourceEvent(moved, at, 9_000))  # read from psflow.entry-moves, as the worker's ledger does
    new = _history(contract("P-2"), moving)
    for project, history in (("P-1", old), ("P-2", new)):
        live = play(*(Inbound(record=e.record, source=e.source) for e in history)).commands
        diff = diff_project(recompute(project, history, DAY), live, frozenset(), "rpl-1")
        assert (diff.corrections, diff.unresolved) == ((), ()), project
