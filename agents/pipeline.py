"""The pipeline: one Faust agent that reads every input once and runs the stages it concerns, batch by batch.

    psa.projects, psa.time-entries, psa.milestones ─► project ledger ─► erp.billing-commands, ops.exceptions
    erp.billing-status, psflow.ledger-corrections  ─► project forecast ─► forecast.deltas, forecast.snapshots
    psflow.assignments-by-project                  ─► (time re-keyed) ─► psflow.time-by-resource
    psa.resource-assignments                       ─► resource plan ─► forecast.deltas, ops.exceptions
    psflow.time-by-resource                        ─► (assignments re-keyed) ─► psflow.assignments-by-project
    {app}-ticks                                    ─► sweep of parked events ─► ops.exceptions

Every input topic is keyed by its subject and has the same number of partitions, so Faust puts them in one
copartitioned group: the worker owning partition p owns every subject of p, its items and one transaction
that commits all of p's outputs, state and offsets of a batch (agents/commit.py). One agent, not one per
stage: a record is decoded once, and no other agent's half-done batch can be committed with this one's.
"""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator, Sequence
from dataclasses import dataclass
from typing import Any

from agents.commit import BatchCommit, batches
from agents.inbound import delivered, source_record
from agents.project_stage import ProjectStages
from agents.resource_stage import ResourceStage
from agents.subjects import Cadence
from agents.sweep import Sweep
from app.contracts.topology import (
    LEDGER_APPLIED_OFFSETS,
    PIPELINE,
    TICKS_PARTITIONS,
    TICKS_RETENTION_MS,
    consumed,
    ticks_topic,
)
from app.faust_workarounds.bulk import Delivered, deliver_in_bulk
from app.faust_workarounds.side_producer import SideProducer
from app.faust_workarounds.transactions import Revoked
from app.runtime.metrics import PROCESSING_SECONDS
from app.runtime.runtime import Runtime
from domain.records.erp import BillingCommand
from domain.records.ops import BusinessException, SourceRecord
from tables.applied_offsets import AppliedOffsets
from tables.items import Tables, forecast_items, ledger_items, plan_items
from tables.legacy import legacy_tables

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Outcome:
    """What a batch led to; yielded so tests (and reply_to callers) can observe it."""

    commands: tuple[BillingCommand, ...] = ()
    exceptions: tuple[BusinessException, ...] = ()
    committed: bool = True


def register(runtime: Runtime) -> Tables:
    """Declare the pipeline's tables, its tick timer and the agent."""
    app, settings = runtime.app, runtime.settings
    tables = Tables(ledger_items(app), forecast_items(app), plan_items(app))
    guard = AppliedOffsets(app, LEDGER_APPLIED_OFFSETS)
    legacy_ledger, legacy_forecast, legacy_plans = legacy_tables(app)
    projects = ProjectStages(runtime, tables.ledger, tables.forecast, legacy_ledger, legacy_forecast)
    resources = ResourceStage(runtime, tables.plans, legacy_plans)
    sweep = Sweep(runtime, tables.ledger)
    cadence = Cadence(settings.forecast_interval.total_seconds())
    ticks = ticks_topic(settings.app_id)
    routes: dict[str, Any] = {topic: projects.handle for topic in projects.topics()}
    routes |= {topic: resources.handle for topic in resources.topics()}

    async def tick(batch: BatchCommit, record: Delivered, source: SourceRecord) -> None:
        await sweep.handle(batch, record, source)
        await projects.roll_quiet(batch, source.partition)

    routes[ticks] = tick
    names = [runtime.topic_name(spec) for spec in consumed()]
    channel = app.topic(*names, ticks, key_serializer="raw", value_serializer="raw")
    latency = PROCESSING_SECONDS.labels(PIPELINE)
    _tick_every_partition(runtime, ticks)

    async def run_batch(records: Sequence[Delivered]) -> Outcome:
        batch = BatchCommit(runtime, (tables.ledger, tables.forecast, tables.plans), guard)
        commands: list[BillingCommand] = []
        exceptions: list[BusinessException] = []
        try:
            # A posting decided now must see every period close written before: wait for the calendar.
            await runtime.periods_caught_up()
            for record in records:
                source = source_record(record)
                if batch.take(record, source):
                    decided = await routes[source.topic](batch, record, source)
                    if decided is not None:
                        commands += decided.commands
                        exceptions += decided.exceptions
                    batch.applied(source)
            due = cadence.due(batch.partitions())
            await projects.settle(batch, due)
            await resources.settle(batch, due)
        except BaseException as exc:
            # Revoked mid-batch, cancelled (stop) or a bug: nothing of this batch may commit later.
            projects.views.discard()
            resources.views.discard()
            await batch.abandon()
            if isinstance(exc, Revoked):
                return Outcome(committed=False)
            raise
        try:
            committed = await batch.commit()
        except Exception as exc:
            # A commit that failed for another reason than a rebalance (fenced, broker errors) leaves the
            # transactions in an unknown state: stop the worker; a restart recovers from the changelogs.
            log.exception("committing a batch failed; stopping the worker")
            await runtime.app.crash(exc)
            raise
        batch.observe(latency)
        return Outcome(tuple(commands), tuple(exceptions), committed)

    # The agent declares the pipeline's subscription; a worker hands it whole fetches instead of streaming
    # them one event at a time (app/faust_workarounds/bulk.py), so its stream only carries what
    # `test_context` puts on it. Both paths run the same batches.
    @app.agent(channel, name=PIPELINE)
    async def pipeline(stream: Any) -> AsyncIterator[Outcome]:
        async for events in batches(stream, settings):
            yield await run_batch([delivered(event) for event in events])

    deliver_in_bulk(app, {*names, ticks}, run_batch, settings.batch_size)

    return tables


def _tick_every_partition(runtime: Runtime, ticks: str) -> None:
    """Send a tick to each ticks partition this worker owns, so each partition's sweep runs in its stream."""
    app = runtime.app
    # Ticks go through Kafka, partition by partition, so the sweep of a partition runs inside that
    # partition's batch and transaction: a timer's own writes would belong to no partition's commit.
    app.topic(
        ticks,
        partitions=TICKS_PARTITIONS,
        key_serializer="raw",
        value_serializer="raw",
        internal=True,
        retention=TICKS_RETENTION_MS / 1000,
    )
    producer = SideProducer(app, runtime.settings.kafka, "psflow-ticker")

    # Ticks also settle the forecasts a quiet partition has pending, so they come at least as often as due.
    every = runtime.settings.sweep_interval.total_seconds()
    settle_every = runtime.settings.forecast_interval.total_seconds()
    if settle_every > 0:
        every = min(every, settle_every)

    @app.timer(every, name="parking-ticker")  # type: ignore[untyped-decorator]
    async def tick() -> None:
        owned = {tp.partition for tp in app.consumer.assignment() if tp.topic == ticks}
        for partition in sorted(owned):
            await producer.send_and_wait(ticks, b"tick", partition=partition)
