"""Actuals to forecast through real Kafka: deltas only on change, snapshots equal to state, conflicts."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date
from decimal import Decimal
from typing import Any

import pytest

from app.contracts.topics import (
    ASSIGNMENTS_BY_PROJECT,
    FORECAST_DELTAS,
    FORECAST_SNAPSHOTS,
    OPS_EXCEPTIONS,
    PSA_RESOURCE_ASSIGNMENTS,
    TIME_BY_RESOURCE,
)
from domain.records.ops import ExceptionReason, ExceptionState
from domain.records.psa import AssignmentStatus
from tests.support.factories import envelope, resource_assignment
from tests.support.kafka_io import KafkaIO, wait_until_consumed
from tests.support.seed import psa_feed
from tests.support.workers import WorkerProcess

pytestmark = pytest.mark.integration


async def _consumed(kafka_io: KafkaIO, worker: WorkerProcess, *specs: Any) -> None:
    group = worker.env["PSFLOW_APP_ID"]
    await wait_until_consumed(kafka_io.kafka, group, [kafka_io.name(s) for s in specs], partitions=6)


def _fold(
    records: list[Any], key: Callable[[Any], str], value: Callable[[Any], Decimal]
) -> dict[str, Decimal]:
    """Return the last value per key in read order (per partition, offsets ascending), as compaction keeps."""
    return {key(r): value(r) for r in records}


async def test_the_seed_scenario_forecast_moves_only_on_change_and_snapshots_equal_the_state(
    kafka_io: KafkaIO, start_worker: Callable[..., WorkerProcess]
) -> None:
    feed = psa_feed()
    for spec, key, record in feed:
        await kafka_io.send(spec, key, record)
    worker = start_worker()
    topics = {spec for spec, _, _ in feed} | {TIME_BY_RESOURCE, ASSIGNMENTS_BY_PROJECT}
    await _consumed(kafka_io, worker, *topics)

    deltas = await kafka_io.read_to_end(FORECAST_DELTAS)
    latest = _fold(
        deltas, lambda d: f"{d.subject_type.value}:{d.subject_id}:{d.period}:{d.metric}", lambda d: d.current
    )
    # The same figures the project ledger reaches (tests/support/seed.py), now as March forecast actuals.
    assert latest["PROJECT:P-ORION:2026-03:hours"] == Decimal("26.50")
    assert latest["PROJECT:P-ORION:2026-03:revenue"] == Decimal("4370.00")
    assert latest["PROJECT:P-ORION:2026-03:cost"] == Decimal("2610.00")
    assert latest["PROJECT:P-ORION:2026-03:margin"] == Decimal("1760.00")
    # 22 working days x 8 h in March 2026; R-NA-1 billed 8 h of them.
    assert latest["RESOURCE:R-NA-1:2026-03:gross_capacity"] == Decimal("176.00")
    assert latest["RESOURCE:R-NA-1:2026-03:actual_utilization"] == Decimal("4.5455")
    assert latest["RESOURCE:R-EMEA-2:2026-03:billable_hours"] == Decimal("5.00")  # revised from 7.25
    # Rejected after approval: if both revisions land in one batch the key never moves, else it moves back.
    assert latest.get("RESOURCE:R-APAC-1:2026-03:billable_hours", Decimal("0.00")) == Decimal("0.00")
    # Events that change no value make no delta: a pending amendment, a milestone on a T&M forecast.
    causes = {cause for d in deltas for cause in d.cause_event_ids}
    assert "orion-v2-pending" not in causes
    assert all(d.delta != 0 for d in deltas)

    snapshots = await kafka_io.read_to_end(FORECAST_SNAPSHOTS)
    assert _fold(snapshots, lambda s: s.key, lambda s: s.value) == latest
    status, body = worker.get("/resources/R-NA-1")
    assert status == 200
    assert body["months"]["2026-03"]["actual_utilization"] == {"value": "4.5455", "unit": "PERCENT"}

    # The same inputs again: nothing moves.
    for spec, key, record in feed:
        await kafka_io.send(spec, key, record)
    await _consumed(kafka_io, worker, *topics)
    again = await kafka_io.read_to_end(FORECAST_DELTAS)
    assert len(again) == len(deltas)


async def test_over_allocation_across_two_projects_raises_one_conflict_per_month_cleared_on_cancel(
    kafka_io: KafkaIO, start_worker: Callable[..., WorkerProcess]
) -> None:
    april = {"start_date": date(2026, 4, 1), "end_date": date(2026, 4, 30)}
    first = resource_assignment(
        "R-X", assignment_id="A-1", project_id="P-1", hours_per_week=Decimal("30"), **april
    )
    second = resource_assignment(
        "R-X", assignment_id="A-2", project_id="P-2", hours_per_week=Decimal("20"), **april
    )
    more = second.model_copy(update={"revision": 2, "hours_per_week": Decimal("25"), "envelope": envelope()})
    for record in (first, second, more):
        await kafka_io.send(PSA_RESOURCE_ASSIGNMENTS, "R-X", record)
    worker = start_worker()
    await _consumed(kafka_io, worker, PSA_RESOURCE_ASSIGNMENTS)

    raised = await kafka_io.read_to_end(OPS_EXCEPTIONS)
    assert [(e.reason, e.exception_id, e.state) for e in raised] == [
        (ExceptionReason.CAPACITY_CONFLICT, "exc:CAPACITY_CONFLICT:R-X:2026-04", ExceptionState.OPEN)
    ]
    assert {"A-1", "A-2"} <= set(raised[0].details.get("assignments", "").replace(" ", "").split(","))

    cancelled = more.model_copy(
        update={"revision": 3, "status": AssignmentStatus.CANCELLED, "envelope": envelope()}
    )
    await kafka_io.send(PSA_RESOURCE_ASSIGNMENTS, "R-X", cancelled)
    both = await kafka_io.read_records(OPS_EXCEPTIONS, count=2)
    assert [(e.exception_id, e.state) for e in both] == [
        ("exc:CAPACITY_CONFLICT:R-X:2026-04", ExceptionState.OPEN),
        ("exc:CAPACITY_CONFLICT:R-X:2026-04", ExceptionState.RESOLVED),
    ]
