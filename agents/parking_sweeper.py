"""Report time and milestones parked for a project that never arrived, even when nothing else comes in."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import UTC, datetime
from typing import Any

from aiokafka import AIOKafkaProducer

from agents.outbox import Outbox
from app.faust_app import Runtime
from app.topics import PROJECT_PARTITIONS
from domain.ledger import Context, expire_parked
from tables.project_ledgers import ProjectLedgers


def register(runtime: Runtime, ledgers: ProjectLedgers) -> None:
    """Declare the tick topic, the timer that feeds it and the agent that sweeps parked items."""
    app, settings = runtime.app, runtime.settings
    # Ticks go through Kafka, partition by partition, so the sweep of a partition runs inside that
    # partition's stream (and transaction): a timer's own sends would never commit under exactly-once.
    ticks = app.topic(
        f"{settings.app_id}-ticks",
        partitions=PROJECT_PARTITIONS,
        key_serializer="raw",
        value_serializer="raw",
        internal=True,
        retention=3600.0,
    )
    outbox = Outbox(runtime)
    producer: list[AIOKafkaProducer] = []

    @app.timer(settings.sweep_interval.total_seconds(), name="parking-ticker")  # type: ignore[untyped-decorator]
    async def tick() -> None:
        if not producer:
            producer.append(AIOKafkaProducer(bootstrap_servers=settings.broker, client_id="psflow-ticker"))
            await producer[0].start()
        owned = {tp.partition for tp in app.consumer.assignment() if tp.topic == ticks.get_topic_name()}
        for partition in sorted(owned):
            await producer[0].send(ticks.get_topic_name(), b"tick", partition=partition)

    async def stop_ticker(sender: Any, *args: Any, signal: Any, **kwargs: Any) -> None:
        if producer:
            await producer.pop().stop()

    app.on_before_shutdown.connect(stop_ticker)  # type: ignore[arg-type]  # faust's stub is stricter than its use

    @app.agent(ticks, name="parking-sweeper")
    async def sweep(stream: Any) -> AsyncIterator[int]:
        async for event in stream.events():
            ctx = Context(
                now=datetime.now(UTC), closed_periods=settings.closed_periods, park_limit=settings.park_limit
            )
            raised = 0
            for project_id, ledger in ledgers.in_partition(event.message.partition):
                decision = expire_parked(ledger, ctx)
                if decision.exceptions:
                    ledgers.put(project_id, decision.ledger)
                for exception in decision.exceptions:
                    await outbox.exception(exception)
                raised += len(decision.exceptions)
            yield raised
