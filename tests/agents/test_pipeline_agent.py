"""The pipeline agent adapts Kafka records to the domain and never stops on bad input."""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal

import pytest

from app.contracts.topics import (
    ERP_BILLING_COMMANDS,
    FORECAST_DELTAS,
    FORECAST_SNAPSHOTS,
    OPS_EXCEPTIONS,
    PSA_PROJECTS,
    PSA_TIME_ENTRIES,
)
from domain.records.common import Envelope
from domain.records.erp import BillingCommand, BillingCommandType
from domain.records.forecast import ForecastDelta, ForecastSnapshot
from domain.records.ops import BusinessException, ExceptionReason
from tests.agents.conftest import Harness
from tests.support.factories import contract, time_entry


async def test_an_approved_time_entry_on_a_known_project_posts_one_charge(harness: Harness) -> None:
    await harness.put(PSA_PROJECTS, "P-1", contract("P-1"))
    entry = time_entry("P-1", hours=Decimal("3.00"))
    outcome = await harness.put(PSA_TIME_ENTRIES, "P-1", entry)

    assert [c.command_type for c in outcome.commands] == [BillingCommandType.POST_TIME_CHARGE]
    charges = [
        c
        for c in harness.decoded(ERP_BILLING_COMMANDS)
        if isinstance(c, BillingCommand) and c.command_type is BillingCommandType.POST_TIME_CHARGE
    ]
    assert [(c.project_id, c.amount) for c in charges] == [("P-1", Decimal("450.00"))]
    assert charges[0].lineage[0].event_id == entry.event_id
    assert charges[0].lineage[0].topic == harness.runtime.topic_name(PSA_TIME_ENTRIES)


async def test_the_ledger_is_kept_in_the_table_between_records(harness: Harness) -> None:
    await harness.put(PSA_PROJECTS, "P-2", contract("P-2"))
    entry = time_entry("P-2")
    await harness.put(PSA_TIME_ENTRIES, "P-2", entry)
    # The same revision again must find the ledger and post nothing.
    outcome = await harness.put(PSA_TIME_ENTRIES, "P-2", entry)
    assert outcome.commands == ()


async def test_garbage_goes_to_the_exception_queue_and_the_next_record_is_processed(harness: Harness) -> None:
    outcome = await harness.put_raw(PSA_TIME_ENTRIES, b"P-3", b"\x00garbage")
    assert [e.reason for e in outcome.exceptions] == [ExceptionReason.DECODE_BAD_MAGIC]
    exceptions = [e for e in harness.decoded(OPS_EXCEPTIONS) if isinstance(e, BusinessException)]
    assert exceptions[0].source is not None
    assert exceptions[0].source.raw_value == b"\x00garbage"
    assert exceptions[0].source.raw_key == b"P-3"

    await harness.put(PSA_PROJECTS, "P-3", contract("P-3"))
    outcome = await harness.put(PSA_TIME_ENTRIES, "P-3", time_entry("P-3"))
    assert [c.command_type for c in outcome.commands] == [BillingCommandType.POST_TIME_CHARGE]


async def test_a_stored_ledger_this_version_cannot_read_parks_the_record_instead_of_crashing(
    harness: Harness,
) -> None:
    # Written by another version of psflow (a field this one does not know): the agent must go on.
    harness.runtime.app.tables["project-ledgers"].data[b"P-OLD"] = b'{"project_id": "P-OLD", "legacy": true}'

    outcome = await harness.put(PSA_TIME_ENTRIES, "P-OLD", time_entry("P-OLD"))

    (failure,) = outcome.exceptions
    assert failure.reason is ExceptionReason.PROCESSING_ERROR
    assert "ValidationError" in failure.message
    assert failure.source is not None and failure.source.raw_value is not None  # kept for a re-drive
    await harness.put(PSA_PROJECTS, "P-4", contract("P-4"))
    outcome = await harness.put(PSA_TIME_ENTRIES, "P-4", time_entry("P-4"))
    assert [c.command_type for c in outcome.commands] == [BillingCommandType.POST_TIME_CHARGE]


async def test_every_delta_leaves_a_snapshot_of_its_current_value_under_the_compaction_key(
    harness: Harness,
) -> None:
    await harness.put(PSA_PROJECTS, "P-5", contract("P-5"))
    await harness.put(PSA_TIME_ENTRIES, "P-5", time_entry("P-5", hours=Decimal("2.00")))

    deltas = [d for d in harness.decoded(FORECAST_DELTAS) if isinstance(d, ForecastDelta)]
    snapshots = [s for s in harness.decoded(FORECAST_SNAPSHOTS) if isinstance(s, ForecastSnapshot)]
    assert deltas and len(snapshots) == len(deltas)
    for delta, snap in zip(deltas, snapshots, strict=True):
        expected = ForecastSnapshot(
            envelope=Envelope(
                event_id=f"snap:{delta.event_id}",
                event_type="forecast.snapshot",
                occurred_at=delta.occurred_at,
                source_system="psflow",
                correlation_id=delta.envelope.correlation_id,
                causation_id=delta.event_id,
            ),
            subject_type=delta.subject_type,
            subject_id=delta.subject_id,
            period=delta.period,
            metric=delta.metric,
            value=delta.current,
            unit=delta.unit,
            as_of=delta.as_of,
            delta_event_id=delta.event_id,
        )
        assert snap == expected
        assert harness.runtime.codec.encode(snap) == harness.runtime.codec.encode(expected)


async def test_a_batch_commits_the_offset_after_its_last_record_of_each_partition(harness: Harness) -> None:
    await harness.put(PSA_PROJECTS, "P-6", contract("P-6"))
    await harness.put(PSA_TIME_ENTRIES, "P-6", time_entry("P-6"))
    await harness.put(PSA_TIME_ENTRIES, "P-6", time_entry("P-6"))

    committed = harness.runtime.sink.committed  # type: ignore[attr-defined]
    assert committed[(harness.runtime.topic_name(PSA_PROJECTS), 0)] == 1
    assert committed[(harness.runtime.topic_name(PSA_TIME_ENTRIES), 0)] == 2


async def test_changes_between_settles_wait_in_the_pending_index_and_settle_when_the_partition_is_due(
    harness: Harness, monkeypatch: pytest.MonkeyPatch
) -> None:
    clock = [1000.0]
    monkeypatch.setattr("agents.subjects.monotonic", lambda: clock[0])
    await harness.put(PSA_PROJECTS, "P-7", contract("P-7"))  # the partition's first batch: settled at once
    settled = len(harness.decoded(FORECAST_DELTAS))

    await harness.put(PSA_TIME_ENTRIES, "P-7", time_entry("P-7", hours=Decimal("4.00")))
    assert len(harness.decoded(FORECAST_DELTAS)) == settled  # within the interval: kept pending
    forecast = harness.runtime.app.tables["project-forecast-items"]
    assert any(key.startswith(b"~settle\x1fpending\x1fP-7") for key in forecast.data.data)

    clock[0] += harness.runtime.settings.forecast_interval.total_seconds()
    await harness.put(PSA_TIME_ENTRIES, "P-7", time_entry("P-7", entry_id="TE-other", hours=Decimal("1.00")))
    hours = [
        d
        for d in harness.decoded(FORECAST_DELTAS)[settled:]
        if isinstance(d, ForecastDelta) and d.subject_id == "P-7" and d.metric == "hours"
    ]
    assert [d.current for d in hours] == [Decimal("5.00")]  # both entries, one delta
    assert not any(key.startswith(b"~settle\x1fpending\x1fP-7") for key in forecast.data.data)


async def test_the_periodic_tick_rolls_a_quiet_project_into_the_new_month_once(harness: Harness) -> None:
    harness.runtime.clock = lambda: datetime(2026, 3, 20, tzinfo=UTC)
    await harness.put(PSA_PROJECTS, "P-8", contract("P-8"))
    await harness.put(PSA_TIME_ENTRIES, "P-8", time_entry("P-8", hours=Decimal("8.00")))  # in March
    await harness.tick()
    before = len(harness.decoded(FORECAST_DELTAS))

    harness.runtime.clock = lambda: datetime(2026, 4, 2, 6, tzinfo=UTC)
    await harness.tick()
    rolled = [d for d in harness.decoded(FORECAST_DELTAS)[before:] if isinstance(d, ForecastDelta)]
    assert rolled and {d.subject_id for d in rolled} == {"P-8"}
    assert {d.as_of for d in rolled} == {datetime(2026, 4, 2, 6, tzinfo=UTC)}
    assert "2026-04" in {d.period for d in rolled}  # April now reports the point-in-time figures

    await harness.tick()  # the same month again: nothing more to roll
    assert len(harness.decoded(FORECAST_DELTAS)) == before + len(rolled)
