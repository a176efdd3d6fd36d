"""A period the ERP closes on erp.accounting-periods moves postings dated in it forward, on every worker."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date

import pytest

from app.contracts.topics import ERP_ACCOUNTING_PERIODS, ERP_BILLING_COMMANDS, PSA_PROJECTS, PSA_TIME_ENTRIES
from domain.records.erp import AccountingPeriod, BillingCommandType
from tests.support.factories import contract, envelope, time_entry
from tests.support.kafka_io import KafkaIO
from tests.support.workers import WorkerProcess

pytestmark = pytest.mark.integration


async def test_time_dated_in_a_period_the_erp_closed_posts_in_the_first_open_period(
    kafka_io: KafkaIO, start_worker: Callable[..., WorkerProcess]
) -> None:
    closed = AccountingPeriod(envelope=envelope("period.closed"), period="2026-02", status="CLOSED")
    await kafka_io.send(ERP_ACCOUNTING_PERIODS, "2026-02", closed)
    await kafka_io.send(PSA_PROJECTS, "P-1", contract("P-1"))
    late = time_entry("P-1", work_date=date(2026, 2, 27))
    current = time_entry("P-1", work_date=date(2026, 3, 2))
    await kafka_io.send(PSA_TIME_ENTRIES, "P-1", late)
    await kafka_io.send(PSA_TIME_ENTRIES, "P-1", current)
    start_worker()

    commands = await kafka_io.read_records(ERP_BILLING_COMMANDS, count=3)
    charged = {
        c.lines[0].source_id: (c.accounting_date, c.natural_date)
        for c in commands
        if c.command_type is BillingCommandType.POST_TIME_CHARGE
    }
    assert charged == {
        late.entry_id: (date(2026, 3, 1), date(2026, 2, 27)),
        current.entry_id: (date(2026, 3, 2), date(2026, 3, 2)),
    }
