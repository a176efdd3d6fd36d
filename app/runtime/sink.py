"""Where a batch's records go: into the transaction of the partition of the record that caused them."""

from __future__ import annotations

import asyncio
from collections.abc import Sequence
from typing import Any, Protocol

from app.faust_workarounds.transactions import producer_for

Headers = Sequence[tuple[str, bytes]]


class Sink(Protocol):
    """Send one record as part of the transaction of its cause's partition; resolve once the broker has it."""

    async def send(
        self,
        cause: tuple[str, int],
        topic: str,
        key: bytes | None,
        value: bytes | None,
        partition: int | None = None,
        headers: Headers | None = None,
    ) -> asyncio.Future[Any]:
        """Queue the record; the future resolves to its RecordMetadata."""


class TransactionalSink:
    """The worker's sink: the transactional producer Faust keeps for the cause's partition."""

    def __init__(self, app: Any):
        self._app = app

    async def send(
        self,
        cause: tuple[str, int],
        topic: str,
        key: bytes | None,
        value: bytes | None,
        partition: int | None = None,
        headers: Headers | None = None,
    ) -> asyncio.Future[Any]:
        """Queue the record on the producer of the cause's partition (see app.faust_workarounds)."""
        producer = producer_for(self._app, *cause)
        sent: asyncio.Future[Any] = await producer.send(
            topic, value, key=key, partition=partition, headers=list(headers) if headers else None
        )
        return sent
