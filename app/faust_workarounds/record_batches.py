"""Build a batch's outgoing records into Kafka record batches, per producer and partition, and send them once.

aiokafka's `send()` costs a coroutine, a partitioner call, a future and an accumulator lookup per record;
psflow sends a few records per input (commands, forecasts, forwards, changelog items), so per-record sends
were a third of a busy worker's time. `create_batch()` / `send_batch()` are aiokafka's public bulk path:
records are appended to a `BatchBuilder` of the destination partition (keyed records get the partition
Kafka's default partitioner gives their key, `app.contracts.topics.partition_for`) and each builder is
handed to the producer once; the builders of a transactional producer join its transaction like any send,
in append order. Only the topic's partition count comes from aiokafka's client metadata.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from functools import lru_cache
from typing import Any

from app.contracts.topics import partition_for


@dataclass(eq=False)
class _Builder:
    """One Kafka record batch in the making, and where it went once sent."""

    builder: Any
    count: int = 0
    base_offset: int | None = None


@dataclass(frozen=True, slots=True)
class Written:
    """Where one record sits in its record batch; its offset is known once the batch is acknowledged."""

    batch: _Builder
    index: int

    @property
    def offset(self) -> int:
        """Return the record's offset in its partition (after `RecordBatches.send()`)."""
        if self.batch.base_offset is None:
            raise RuntimeError("the record's batch has not been acknowledged yet")
        return self.batch.base_offset + self.index


@dataclass
class _Destination:
    producer: Any
    topic: str
    partition: int
    builders: list[_Builder] = field(default_factory=list)


@lru_cache(maxsize=200_000)
def _partition(key: bytes, partitions: int) -> int:
    # Keys repeat (projects, resources, snapshot keys): hash each once.
    return partition_for(key, partitions)


class RecordBatches:
    """The records of one pipeline batch, grouped per (producer, topic, partition) into record batches."""

    def __init__(self) -> None:
        self._destinations: dict[tuple[int, str, int], _Destination] = {}
        self._partitions: dict[str, int] = {}

    async def partitions(self, producer: Any, topic: str) -> int:
        """Return a topic's partition count (from the producer's metadata, fetched once per topic)."""
        count = self._partitions.get(topic)
        if count is None:
            await producer.client._wait_on_metadata(topic)
            count = len(producer.client.cluster.partitions_for_topic(topic))
            self._partitions[topic] = count
        return count

    def add(
        self,
        producer: Any,
        topic: str,
        partition: int,
        key: bytes | None,
        value: bytes | None,
        headers: Sequence[tuple[str, bytes]] | None = None,
    ) -> Written:
        """Append a record to its partition's open record batch (a new one when that one is full)."""
        where = (id(producer), topic, partition)
        destination = self._destinations.get(where)
        if destination is None:
            destination = self._destinations[where] = _Destination(producer, topic, partition)
        stamp = int(time.time() * 1000)
        appended = None
        if destination.builders:
            open_batch = destination.builders[-1]
            appended = open_batch.builder.append(timestamp=stamp, key=key, value=value, headers=headers or [])
        if appended is None:
            open_batch = _Builder(producer.create_batch())
            destination.builders.append(open_batch)
            appended = open_batch.builder.append(timestamp=stamp, key=key, value=value, headers=headers or [])
            if appended is None:
                raise ValueError(f"a record for {topic} is larger than a whole record batch")
        open_batch.count += 1
        return Written(open_batch, open_batch.count - 1)

    def keyed(self, key: bytes, partitions: int) -> int:
        """Return the partition of a keyed record."""
        return _partition(key, partitions)

    async def send(self) -> None:
        """Hand every record batch to its producer, in append order, and wait for the broker's acks."""
        pending: list[tuple[_Builder, asyncio.Future[Any]]] = []
        destinations, self._destinations = self._destinations, {}
        for destination in destinations.values():
            for built in destination.builders:
                sent = await destination.producer.send_batch(
                    built.builder, destination.topic, partition=destination.partition
                )
                pending.append((built, sent))
        if not pending:
            return
        acked = await asyncio.gather(*(sent for _, sent in pending))
        for (built, _), metadata in zip(pending, acked, strict=True):
            built.base_offset = metadata.offset

    def discard(self) -> None:
        """Forget the records not sent yet (the batch was abandoned; its transactions are aborted)."""
        self._destinations.clear()
