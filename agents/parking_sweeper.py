"""Report time and milestones parked for a project that never arrived, even when nothing else comes in."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import UTC, datetime
from typing import Any

from agents.commit import BatchCommit
from app.contracts.topology import TICKS_PARTITIONS, TICKS_RETENTION_MS, ticks_topic
from app.faust_workarounds.side_producer import SideProducer
from app.runtime.runtime import Runtime
from domain.ledger import Context, expire_parked
from tables.project_ledgers import ProjectLedgers


def register(runtime: Runtime, ledgers: ProjectLedgers) -> None:
    """Declare the tick topic, the timer that feeds it and the agent that sweeps parked items."""
    app, settings = runtime.app, runtime.settings
    # Ticks go through Kafka, partition by partition, so the sweep of a partition runs inside that
    # partition's stream: a timer's own table writes and sends would not be part of any partition's commit.
    ticks = app.topic(
        ticks_topic(settings.app_id),
        partitions=TICKS_PARTITIONS,
        key_serializer="raw",
        value_serializer="raw",
        internal=True,
        retention=TICKS_RETENTION_MS / 1000,
    )
    producer = SideProducer(app, settings.broker, "psflow-ticker")

    @app.timer(settings.sweep_interval.total_seconds(), name="parking-ticker")  # type: ignore[untyped-decorator]
    async def tick() -> None:
        owned = {tp.partition for tp in app.consumer.assignment() if tp.topic == ticks.get_topic_name()}
        for partition in sorted(owned):
            await producer.send_and_wait(ticks.get_topic_name(), b"tick", partition=partition)

    @app.agent(ticks, name="parking-sweeper")
    async def sweep(stream: Any) -> AsyncIterator[int]:
        async for event in stream.events():
            ctx = Context(
                now=datetime.now(UTC), closed_periods=settings.closed_periods, park_limit=settings.park_limit
            )
            batch = BatchCommit(runtime)
            staged = batch.stage(ledgers)
            raised = 0
            for project_id, ledger in ledgers.in_partition(event.message.partition):
                decision = expire_parked(ledger, ctx)
                if decision.exceptions:
                    for exception in decision.exceptions:
                        await batch.outputs.exception(exception)
                    staged.put(project_id, decision.ledger, event)
                    raised += len(decision.exceptions)
            await batch.commit()
            yield raised
