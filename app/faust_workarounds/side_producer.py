"""A plain idempotent producer beside Faust's, for sends that must not join Faust's transactions.

Faust (exactly_once) picks the transactional producer of a send by the *destination* partition and the
topic group that consumes it, and commits it only when that group commits offsets of that partition. A send
to a topic this app also consumes (a repartition topic, the tick topic) from a stream of another partition
or group can therefore stay uncommitted for ever, invisible to read-committed readers. Such sends go
through this producer instead: acknowledged before the source record is acked (at least once), and
harmless when repeated because every consumer of them ignores a revision it has already applied.
"""

from __future__ import annotations

import asyncio
from typing import Any

from aiokafka import AIOKafkaProducer

from app.security.kafka_clients import KafkaClients


class SideProducer:
    """Start on first use, stop with the app."""

    def __init__(self, app: Any, kafka: KafkaClients, client_id: str):
        self._kafka = kafka
        self._client_id = client_id
        self._producer: AIOKafkaProducer | None = None
        app.on_before_shutdown.connect(self._stop)

    async def send(
        self, topic: str, value: bytes, key: bytes | None = None, partition: int | None = None
    ) -> asyncio.Future[Any]:
        """Queue one record; the returned future resolves once the broker has it (per-key order holds)."""
        if self._producer is None:
            producer = self._kafka.producer(client_id=self._client_id, acks="all", enable_idempotence=True)
            await producer.start()
            self._producer = producer
        sent: asyncio.Future[Any] = await self._producer.send(topic, value, key=key, partition=partition)
        return sent

    async def send_and_wait(
        self, topic: str, value: bytes, key: bytes | None = None, partition: int | None = None
    ) -> None:
        """Send one record and wait until the broker has it."""
        await (await self.send(topic, value, key=key, partition=partition))

    async def _stop(self, sender: Any, *args: Any, **kwargs: Any) -> None:
        if self._producer is not None:
            producer, self._producer = self._producer, None
            await producer.stop()
