"""Bad input never stops a worker and is never lost: it reaches ops.exceptions with its raw bytes."""

from __future__ import annotations

from collections.abc import Callable
from decimal import Decimal

import pytest

from app.contracts.codec import MAGIC
from app.contracts.topics import ERP_BILLING_COMMANDS, OPS_EXCEPTIONS, PSA_PROJECTS, PSA_TIME_ENTRIES
from domain.records.erp import BillingCommand, BillingCommandType
from domain.records.ops import BusinessException, ExceptionReason
from domain.records.psa import TimeEntry
from tests.support.factories import contract, time_entry
from tests.support.kafka_io import KafkaIO
from tests.support.workers import WorkerProcess

pytestmark = pytest.mark.integration


async def test_undecodable_and_invalid_records_are_quarantined_and_later_records_still_flow(
    kafka_io: KafkaIO, start_worker: Callable[..., WorkerProcess]
) -> None:
    garbage = b"\x00\xffthis is not avro"
    unknown_fingerprint = MAGIC + bytes.fromhex("0123456789abcdef") + b"\x02\x04"
    invalid = time_entry().model_dump()
    invalid["hours"] = Decimal("-4.00")  # schema-valid, but no one works negative hours
    invalid_bytes = kafka_io.codec.encode_with(kafka_io.codec.writer_for(TimeEntry), invalid)

    sent = {
        ExceptionReason.DECODE_BAD_MAGIC: (
            garbage,
            await kafka_io.send_raw(PSA_TIME_ENTRIES, b"P-1", garbage),
        ),
        ExceptionReason.DECODE_UNKNOWN_FINGERPRINT: (
            unknown_fingerprint,
            await kafka_io.send_raw(PSA_TIME_ENTRIES, b"P-1", unknown_fingerprint),
        ),
        ExceptionReason.INVALID_RECORD: (
            invalid_bytes,
            await kafka_io.send_raw(PSA_TIME_ENTRIES, b"P-1", invalid_bytes),
        ),
    }
    await kafka_io.send(PSA_PROJECTS, "P-1", contract("P-1"))
    good = time_entry("P-1", hours=Decimal("2.00"))
    await kafka_io.send(PSA_TIME_ENTRIES, "P-1", good)

    start_worker()

    exceptions = [
        e for e in await kafka_io.read_records(OPS_EXCEPTIONS, count=3) if isinstance(e, BusinessException)
    ]
    by_reason = {e.reason: e for e in exceptions}
    assert set(by_reason) == set(sent)
    for reason, (raw, metadata) in sent.items():
        source = by_reason[reason].source
        assert source is not None
        assert source.raw_value == raw
        assert source.raw_key == b"P-1"
        assert (source.topic, source.partition, source.offset) == (
            kafka_io.name(PSA_TIME_ENTRIES),
            metadata.partition,
            metadata.offset,
        )
        assert source.timestamp is not None
    assert "hours" in by_reason[ExceptionReason.INVALID_RECORD].message

    commands = await kafka_io.read_records(
        ERP_BILLING_COMMANDS, count=2
    )  # the schedule of the first approved contract, then the charge
    charges = [
        c
        for c in commands
        if isinstance(c, BillingCommand) and c.command_type is BillingCommandType.POST_TIME_CHARGE
    ]
    assert [(c.lines[0].source_id, c.amount) for c in charges] == [(good.entry_id, Decimal("300.00"))]


async def test_time_for_a_project_that_never_arrives_is_raised_once_after_the_park_limit(
    kafka_io: KafkaIO, start_worker: Callable[..., WorkerProcess]
) -> None:
    orphan = time_entry("P-GHOST")
    await kafka_io.send(PSA_TIME_ENTRIES, "P-GHOST", orphan)
    worker = start_worker(env={"PSFLOW_PARK_LIMIT": "1", "PSFLOW_SWEEP_INTERVAL": "0.5"})

    raised = await kafka_io.read_records(OPS_EXCEPTIONS, count=1)
    assert [(e.reason, e.project_id, e.source_event_ids) for e in raised] == [
        (ExceptionReason.UNKNOWN_PROJECT, "P-GHOST", (orphan.event_id,))
    ]
    assert worker.get("/projects/P-GHOST")[0] == 404  # parked, not a known project
