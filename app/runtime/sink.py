"""Where a batch's records go, and how it ends: the transactions of the partitions of the records that caused
them, committed with the batch's offsets."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any, Protocol

from app.faust_workarounds.record_batches import RecordBatches
from app.faust_workarounds.transactions import commit_offsets, producer_for

Headers = Sequence[tuple[str, bytes]]


class Placed(Protocol):
    """A queued record; its offset is known once the batch's records are flushed."""

    @property
    def offset(self) -> int:
        """Return the record's offset in its partition."""


class Sink(Protocol):
    """Queue a batch's records in the transactions of their causes' partitions; flush, then commit them."""

    async def send(
        self,
        cause: tuple[str, int],
        topic: str,
        key: bytes | None,
        value: bytes | None,
        partition: int | None = None,
        headers: Headers | None = None,
    ) -> Placed:
        """Queue one record as part of the transaction of its cause's partition."""

    async def flush(self) -> None:
        """Hand every queued record to the broker and wait until it has them all."""

    def discard(self) -> None:
        """Forget the queued records (the batch was abandoned)."""

    async def commit(self, offsets: Mapping[tuple[str, int], int]) -> bool:
        """Commit every partition's transaction with the offset after the batch's last record there."""


class TransactionalSink:
    """The worker's sink: the transactional producer of the cause's partition, in record batches."""

    def __init__(self, app: Any):
        self._app = app
        self._records = RecordBatches()
        # The producer of each cause partition, looked up once per batch (a rebalance ends the batch).
        self._producers: dict[tuple[str, int], Any] = {}

    async def send(
        self,
        cause: tuple[str, int],
        topic: str,
        key: bytes | None,
        value: bytes | None,
        partition: int | None = None,
        headers: Headers | None = None,
    ) -> Placed:
        """Queue the record in the record batch of its partition, on the producer of its cause."""
        producer = self._producers.get(cause)
        if producer is None:
            producer = self._producers[cause] = producer_for(self._app, *cause)
        if partition is None:
            if key is None:
                raise ValueError(f"a record for {topic} needs a key or a partition")
            partition = self._records.keyed(key, await self._records.partitions(producer, topic))
        return self._records.add(producer, topic, partition, key, value, headers)

    async def flush(self) -> None:
        """Send every record batch and wait for the broker's acks."""
        self._producers.clear()
        await self._records.send()

    def discard(self) -> None:
        """Forget the batch's queued records."""
        self._producers.clear()
        self._records.discard()

    async def commit(self, offsets: Mapping[tuple[str, int], int]) -> bool:
        """Commit the batch's transactions with its offsets (see app.faust_workarounds.transactions)."""
        return await commit_offsets(self._app, offsets)
