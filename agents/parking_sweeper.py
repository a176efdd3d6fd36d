"""Report time and milestones parked for a project that never arrived, even when nothing else comes in."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import UTC, datetime
from typing import Any

from agents.batching import changelogs_sent
from agents.outbox import Outbox
from app.faust_app import Runtime
from app.side_producer import SideProducer
from app.topics import PROJECT_PARTITIONS, TICKS_RETENTION_MS, ticks_topic
from domain.ledger import Context, expire_parked
from tables.project_ledgers import ProjectLedgers


def register(runtime: Runtime, ledgers: ProjectLedgers) -> None:
    """Declare the tick topic, the timer that feeds it and the agent that sweeps parked items."""
    app, settings = runtime.app, runtime.settings
    # Ticks go through Kafka, partition by partition, so the sweep of a partition runs inside that
    # partition's stream: a timer's own table writes and sends would not be part of any partition's commit.
    ticks = app.topic(
        ticks_topic(settings.app_id),
        partitions=PROJECT_PARTITIONS,
        key_serializer="raw",
        value_serializer="raw",
        internal=True,
        retention=TICKS_RETENTION_MS / 1000,
    )
    outbox = Outbox(runtime)
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
            expired = [
                (project_id, decision)
                for project_id, ledger in ledgers.in_partition(event.message.partition)
                if (decision := expire_parked(ledger, ctx)).exceptions
            ]
            for _, decision in expired:
                for exception in decision.exceptions:
                    await outbox.exception(exception)
            await outbox.delivered()
            yield sum(len(decision.exceptions) for _, decision in expired)
            # Saved after the outputs are acknowledged, acked once the changelog is sent: see project_ledger.
            for project_id, decision in expired:
                ledgers.put(project_id, decision.ledger)
            await changelogs_sent(app)
