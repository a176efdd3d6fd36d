"""One set of figures through real Kafka: /projects/{id} shows what the latest forecast.deltas say."""

from __future__ import annotations

import time
from collections.abc import Callable
from datetime import UTC, date, datetime
from decimal import Decimal
from typing import Any

import pytest

from app.contracts.topics import (
    ASSIGNMENTS_BY_PROJECT,
    FORECAST_DELTAS,
    PSA_PROJECTS,
    PSA_RESOURCE_ASSIGNMENTS,
    PSA_TIME_ENTRIES,
    TIME_BY_RESOURCE,
)
from domain.records.forecast import ForecastDelta
from domain.records.psa import CostRate
from tests.support.factories import contract, envelope, resource_assignment, time_entry
from tests.support.kafka_io import KafkaIO, wait_until_consumed
from tests.support.replay_drills import state_of
from tests.support.workers import WorkerProcess

pytestmark = pytest.mark.integration
# The fields of /projects/{id} that are the metrics of the same name on forecast.deltas (domain.figures).
FIGURES = ("eac_cost", "etc_cost", "percent_complete", "recognized_revenue")
TOPICS = (PSA_PROJECTS, PSA_TIME_ENTRIES, PSA_RESOURCE_ASSIGNMENTS, TIME_BY_RESOURCE, ASSIGNMENTS_BY_PROJECT)


async def _settled(kafka_io: KafkaIO, worker: WorkerProcess) -> dict[str, ForecastDelta]:
    """Wait for the group to consume everything, then return the latest delta per key of P-FF."""
    names = [kafka_io.name(s) for s in TOPICS]
    await wait_until_consumed(kafka_io.kafka, worker.env["PSFLOW_APP_ID"], names, partitions=6)
    deltas = [d for d in await kafka_io.read_to_end(FORECAST_DELTAS) if d.subject_id == "P-FF"]
    return {f"{d.period}:{d.metric}": d for d in deltas}


def _view_agrees(worker: WorkerProcess, latest: dict[str, ForecastDelta], period: str) -> Any:
    """Poll /projects/P-FF until it shows the latest deltas' values of `period` (equal values, any scale)."""
    expected = {field: latest[f"{period}:{field}"].current for field in FIGURES}
    deadline = time.monotonic() + 30
    while True:
        body = state_of(worker, "P-FF", {"figures_as_of": period})
        shown = {field: Decimal(body[field]) for field in FIGURES}
        if shown == expected:
            return body
        assert time.monotonic() < deadline, f"the view shows {shown}, the deltas {expected}"
        time.sleep(0.3)  # polling interval


async def test_the_project_view_and_the_latest_deltas_agree_and_a_late_event_does_not_turn_time_back(
    kafka_io: KafkaIO, start_worker: Callable[..., WorkerProcess]
) -> None:
    dear = (CostRate(role="consultant", rate=Decimal("100.00"), effective_from=date(2026, 1, 1)),)
    await kafka_io.send(PSA_PROJECTS, "P-FF", contract("P-FF", billing_model="FIXED_FEE", cost_rates=dear))
    plan = resource_assignment(
        "R-FF", project_id="P-FF", start_date=date(2026, 3, 2), end_date=date(2026, 4, 30)
    )
    await kafka_io.send(PSA_RESOURCE_ASSIGNMENTS, "R-FF", plan)
    await kafka_io.send(PSA_TIME_ENTRIES, "P-FF", time_entry("P-FF", entry_id="TE-1", resource_id="R-FF"))
    worker = start_worker()

    latest = await _settled(kafka_io, worker)
    body = _view_agrees(worker, latest, "2026-03")
    # Cost-to-cost on the plan: 8 h x 80 USD (the assignment's rate) spent, the rest of March and April to go.
    assert Decimal(body["etc_cost"]) > 0 and Decimal(body["recognized_revenue"]) < Decimal("100000.00")

    # February's time, approved late: February's actuals move, the forecast stays as of March.
    late = time_entry(
        "P-FF",
        entry_id="TE-LATE",
        resource_id="R-FF",
        work_date=date(2026, 2, 10),
        envelope=envelope(occurred_at=datetime(2026, 2, 11, tzinfo=UTC)),
    )
    await kafka_io.send(PSA_TIME_ENTRIES, "P-FF", late)
    again = await _settled(kafka_io, worker)
    moved = [d for key, d in again.items() if latest.get(key) != d]
    assert "2026-02:hours" in {f"{d.period}:{d.metric}" for d in moved}
    assert all(d.as_of >= datetime(2026, 3, 2, tzinfo=UTC) for d in moved)
    assert not any(f"2026-02:{metric}" in again for metric in FIGURES)
    _view_agrees(worker, again, "2026-03")
