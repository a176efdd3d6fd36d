"""Determinism and storage: same input, same bytes out; the ledger round-trips through JSON."""

from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal

import pytest

from domain.ledger import Context, Decision, Inbound, MemoryLedger, decide, expire_parked, financials
from domain.ledger.legacy import LegacyLedger, split
from domain.records.common import Event
from tests.support.factories import (
    T0,
    billing_status,
    context,
    contract,
    envelope,
    inbound,
    milestone_event,
    play,
    through_json,
    time_entry,
)


def _busy_ledger() -> MemoryLedger:
    """Return a ledger with something in every part: held, milestones, feedback, stale counts."""
    parked = play(time_entry(entry_id="TE-P"), milestone_event(status="ACCEPTED"))
    live = play(
        contract(not_to_exceed=Decimal("1300.00")),
        time_entry(entry_id="TE-1", hours=Decimal("7.50")),
        time_entry(entry_id="TE-2", revision=2, approval_status="REJECTED"),
        time_entry(entry_id="TE-1", revision=2, hours=Decimal("7.25")),
        milestone_event(status="COMPLETED"),
        billing_status("cmd:TE-P:r1:POST_TIME_CHARGE", status="INVOICED"),
        billing_status("cmd:NOPE", status="PAID"),
        contract(contract_version=1),
        time_entry(entry_id="TE-1", revision=1),
        ledger=parked.ledger,
    )
    return play(time_entry(project_id="P-1", entry_id="TE-3"), ledger=live.ledger).ledger


def test_deciding_the_same_input_twice_gives_byte_identical_output() -> None:
    ledger = _busy_ledger()
    arrived = inbound(time_entry(entry_id="TE-1", revision=3, hours=Decimal("2.00")))

    first, second = decide(ledger, arrived, context()), decide(ledger, arrived, context())

    assert first == second
    assert [r.model_dump_json() for r in (*first.commands, *first.exceptions)] == [
        r.model_dump_json() for r in (*second.commands, *second.exceptions)
    ]
    # Reversal, capped charge; the held revision's hold resolved, the new one's raised.
    assert (len(first.commands), len(first.exceptions)) == (2, 2)


def test_emitted_records_do_not_depend_on_processing_time() -> None:
    ledger = play(contract(not_to_exceed=Decimal("1000.00"))).ledger
    arrived = inbound(time_entry(entry_id="TE-1"))

    early = decide(ledger, arrived, context())
    late = decide(ledger, arrived, context(now=T0 + timedelta(days=400)))

    assert (early.commands, early.exceptions) == (late.commands, late.exceptions)
    assert [r.envelope.occurred_at for r in (*early.commands, *early.exceptions)] == [T0, T0]


def test_a_busy_ledger_round_trips_through_json_exactly() -> None:
    ledger = _busy_ledger()

    restored = through_json(ledger)

    assert restored == ledger
    assert _as_json(restored) == _as_json(ledger)
    assert (restored.entries["TE-1"].held, restored.milestones["M1"].command_id) == (
        Decimal("987.50"),  # 7.25 h x 150.00 = 1087.50, of which 100.00 fits under the cap
        "cmd:P-1:M1:BILL_MILESTONE",
    )
    assert restored.raised and restored.ignored.time_revisions == 1


def test_a_ledger_saved_whole_with_the_legacy_closed_periods_field_splits_into_the_same_items() -> None:
    ledger = _busy_ledger()
    whole = LegacyLedger(
        project_id=ledger.project_id,
        contract=ledger.contract,
        entries=ledger.entries,
        milestones=ledger.milestones,
        commands=ledger.commands,
        parked=ledger.parked,
        raised=ledger.raised,
        ignored=ledger.ignored,
    )
    saved = whole.model_dump_json()[:-1] + ',"closed_periods":[]}'

    restored = MemoryLedger(ledger.project_id).apply(split(LegacyLedger.model_validate_json(saved)))

    assert restored.entries == ledger.entries and restored.commands == ledger.commands
    assert restored.totals.figures == ledger.totals.figures
    assert financials(restored) == financials(ledger)


def test_a_ledger_with_parked_items_round_trips_through_json_exactly() -> None:
    ledger = play(time_entry(entry_id="TE-P"), milestone_event(status="ACCEPTED")).ledger

    restored = through_json(ledger)

    assert restored == ledger
    assert [type(p.record).__name__ for p in restored.parked] == ["TimeEntry", "MilestoneEvent"]


def test_a_restored_ledger_decides_exactly_like_the_original() -> None:
    ledger = _busy_ledger()
    restored = through_json(ledger)
    arrived = inbound(contract(contract_version=2, not_to_exceed=None))

    assert decide(restored, arrived, context()) == decide(ledger, arrived, context())


def _as_json(ledger: MemoryLedger) -> dict[tuple[str, str], str]:
    return {key: value.model_dump_json() for key, value in ledger.state.items.items()}


def test_every_emitted_record_is_enveloped_by_psflow_and_caused_by_its_source_event() -> None:
    flow = envelope("time_entry.approved", correlation_id="flow-1", occurred_at=T0 - timedelta(days=2))
    decision = play(contract(not_to_exceed=Decimal("100.00")), time_entry(entry_id="TE-1", envelope=flow))

    records: list[Event] = [*decision.commands[1:], *decision.exceptions]
    assert [r.envelope.event_id for r in records] == [
        "cmd:TE-1:r1:POST_TIME_CHARGE",
        "exc:BILLING_HOLD:TE-1:r1",
    ]
    for record in records:
        assert record.envelope.source_system == "psflow"
        assert record.envelope.causation_id == flow.event_id
        assert record.envelope.correlation_id == "flow-1"
        assert record.envelope.occurred_at == flow.occurred_at


def test_every_command_amount_is_the_sum_of_its_lines() -> None:
    decision = play(
        contract(not_to_exceed=Decimal("1500.00")),
        time_entry(entry_id="TE-1"),
        time_entry(entry_id="TE-2", hours=Decimal("3.33")),
        time_entry(entry_id="TE-1", revision=2, work_date=date(2026, 3, 9)),
        contract(contract_version=2, not_to_exceed=None),
        milestone_event(status="ACCEPTED"),
        milestone_event(status="COMPLETED"),
    )

    assert len(decision.commands) == 8
    for cmd in decision.commands:
        assert cmd.amount == sum((line.amount for line in cmd.lines), Decimal("0.00"))


def test_an_event_for_another_project_than_the_ledger_is_a_programming_error() -> None:
    with pytest.raises(ValueError, match="P-2"):
        decide(play(contract()).ledger, inbound(time_entry(project_id="P-2")), context())


def test_the_context_insists_on_utc() -> None:
    from datetime import timezone

    with pytest.raises(ValueError, match="UTC"):
        Context(now=T0.astimezone(timezone(timedelta(hours=2))))


def test_expiring_parked_items_is_deterministic_too() -> None:
    parked = play(time_entry(project_id="P-9")).ledger
    later = context(now=T0 + timedelta(days=2))

    assert expire_parked(parked, later) == expire_parked(parked, later)
    assert isinstance(expire_parked(parked, later), Decision)


def test_an_inbound_whose_source_is_another_event_is_rejected() -> None:
    arrived = inbound(time_entry())

    with pytest.raises(ValueError, match="event id"):
        Inbound(record=time_entry(), source=arrived.source)
