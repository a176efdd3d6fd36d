"""Postings through real Kafka: an entry moved across projects and partitions, the cut-off, ERP feedback."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date, timedelta
from decimal import Decimal

import pytest

from app.contracts.topics import (
    ENTRY_MOVES,
    ERP_ACCOUNTING_PERIODS,
    ERP_BILLING_STATUS,
    OPS_EXCEPTIONS,
    PSA_PROJECTS,
    PSA_TIME_ENTRIES,
    partition_for,
)
from domain.records.common import Envelope
from domain.records.erp import AccountingPeriod, BillingCommand, BillingCommandType
from domain.records.ops import BusinessException
from tests.support.factories import T0, billing_status, contract, envelope, time_entry
from tests.support.kafka_io import KafkaIO
from tests.support.replay_drills import commands_of, replay_env, state_of, wait_consumed
from tests.support.workers import WorkerProcess

pytestmark = pytest.mark.integration

# Two projects on two partitions (so possibly two workers): the old project learns the move through Kafka.
OLD = "P-US-1"
NEW = next(p for p in (f"P-DE-{n}" for n in range(50)) if partition_for(p, 6) != partition_for(OLD, 6))
FEBRUARY = date(2026, 2, 26)


def _at(minutes: int) -> Envelope:
    return envelope(occurred_at=T0 + timedelta(minutes=minutes))


async def test_a_moved_entry_is_reversed_on_its_old_project_and_posted_once_on_the_new_one(
    kafka_io: KafkaIO, start_worker: Callable[..., WorkerProcess]
) -> None:
    old_charge, new_charge = "cmd:TE-M:r1:POST_TIME_CHARGE", "cmd:TE-M:r2:POST_TIME_CHARGE"
    # The German entity has closed February.
    closed = AccountingPeriod(
        envelope=envelope("period.closed"), period="2026-02", legal_entity="LE-DE", status="CLOSED"
    )
    await kafka_io.send(ERP_ACCOUNTING_PERIODS, "2026-02", closed)
    await kafka_io.send(PSA_PROJECTS, OLD, contract(OLD))
    await kafka_io.send(PSA_PROJECTS, NEW, contract(NEW, legal_entity="LE-DE", currency="EUR"))
    await kafka_io.send(PSA_TIME_ENTRIES, OLD, time_entry(OLD, entry_id="TE-M", work_date=FEBRUARY))
    # The ERP's word on the old charge arrives out of order: its acceptance (later) before its rejection.
    later = billing_status(old_charge, OLD, status="ACCEPTED", envelope=_at(30))
    earlier = billing_status(old_charge, OLD, status="REJECTED", reason="late", envelope=_at(20))
    await kafka_io.send(ERP_BILLING_STATUS, OLD, later)
    await kafka_io.send(ERP_BILLING_STATUS, OLD, earlier)
    # An ERP report on the new charge before the charge itself (the ERP answered a replayed command first).
    early = billing_status(new_charge, NEW, status="INVOICED", invoice_id="INV-9")
    await kafka_io.send(ERP_BILLING_STATUS, NEW, early)
    moving = time_entry(NEW, entry_id="TE-M", revision=2, work_date=FEBRUARY, previous_project_id=OLD)
    await kafka_io.send(PSA_TIME_ENTRIES, NEW, moving)
    worker = start_worker()
    env = replay_env(kafka_io)

    commands = await commands_of(kafka_io, count=5)  # two schedules, two charges, one reversal
    by_id = {c.command_id: c for c in commands if isinstance(c, BillingCommand)}
    reversal = by_id["cmd:TE-M:r1:REVERSE_TIME_CHARGE"]
    assert (reversal.project_id, reversal.amount, reversal.legal_entity) == (
        OLD,
        Decimal("-1200.00"),
        "LE-US",
    )
    assert reversal.lineage[-1].topic == kafka_io.name(ENTRY_MOVES)
    posted = by_id[new_charge]
    assert (posted.project_id, posted.currency, posted.amount) == (NEW, "EUR", Decimal("1200.00"))
    assert (posted.accounting_date, posted.natural_date) == (date(2026, 3, 1), FEBRUARY)  # LE-DE's cut-off
    assert by_id[old_charge].accounting_date == FEBRUARY  # LE-US had February open
    charges = [c for c in by_id.values() if c.command_type is not BillingCommandType.UPDATE_BILLING_SCHEDULE]
    assert sum(c.amount for c in charges) == Decimal("1200.00")  # billed once, firm-wide

    await wait_consumed(env)
    state_of(worker, OLD, {"posted": "0.00", "hours_total": "0.00", "rejected": "0.00"})
    state_of(worker, NEW, {"posted": "1200.00", "parked": 0, "invoiced": "1200.00", "pending": "0.00"})
    exceptions = [e for e in await kafka_io.read_to_end(OPS_EXCEPTIONS) if isinstance(e, BusinessException)]
    assert exceptions == []  # an older rejection after an acceptance, and an early report: nothing to raise
