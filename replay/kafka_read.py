"""Read bounded slices of topics (read committed, no consumer group) and look offsets up by time."""

from __future__ import annotations

import time
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from types import TracebackType
from typing import TypeAlias

from aiokafka.structs import ConsumerRecord, OffsetAndMetadata, TopicPartition

from app.security.kafka_clients import KafkaClients

# aiokafka ships no type hints: a record read from a topic, with bytes key and value.
Raw: TypeAlias = ConsumerRecord


@dataclass(frozen=True)
class Slice:
    """Offsets [start, end) of one partition."""

    topic: str
    partition: int
    start: int
    end: int

    @property
    def tp(self) -> TopicPartition:
        """Return the Kafka topic-partition."""
        return TopicPartition(self.topic, self.partition)


class Reader:
    """A group-less, read-committed consumer for bounded reads; use `async with`."""

    def __init__(self, kafka: KafkaClients, fetch_max_bytes: int = 16 * 1024 * 1024):
        self._consumer = kafka.consumer(
            group_id=None,
            enable_auto_commit=False,
            isolation_level="read_committed",
            fetch_max_bytes=fetch_max_bytes,
            max_partition_fetch_bytes=fetch_max_bytes,
        )

    async def __aenter__(self) -> Reader:
        await self._consumer.start()
        return self

    async def __aexit__(
        self, kind: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        await self._consumer.stop()

    async def bounds(self, tps: Sequence[TopicPartition]) -> dict[TopicPartition, tuple[int, int]]:
        """Return (first offset, last stable offset) of each partition."""
        if not tps:
            return {}
        first = await self._consumer.beginning_offsets(list(tps))
        # With read_committed, end_offsets is the last stable offset: nothing past an open transaction.
        end = await self._consumer.end_offsets(list(tps))
        return {tp: (first[tp], end[tp]) for tp in tps}

    async def offset_at(self, tps: Sequence[TopicPartition], at: datetime) -> dict[TopicPartition, int]:
        """Return each partition's first offset whose timestamp is at or after `at` (the end if none)."""
        if not tps:
            return {}
        found = await self._consumer.offsets_for_times({tp: int(at.timestamp() * 1000) for tp in tps})
        ends = await self._consumer.end_offsets(list(tps))
        return {tp: ends[tp] if found.get(tp) is None else found[tp].offset for tp in tps}

    async def read(self, slices: Iterable[Slice], timeout_s: float = 120.0) -> list[Raw]:
        """Read every record of the slices (committed ones only), partition by partition in offset order."""
        wanted = [s for s in slices if s.end > s.start]
        if not wanted:
            return []
        by_tp = {s.tp: s for s in wanted}
        consumer = self._consumer
        consumer.assign(list(by_tp))
        for tp, s in by_tp.items():
            consumer.seek(tp, s.start)
        records: list[Raw] = []
        pending = set(by_tp)
        deadline = time.monotonic() + timeout_s
        while pending:
            if time.monotonic() > deadline:
                raise TimeoutError(f"reading {sorted(map(str, pending))} did not finish in {timeout_s}s")
            batch = await consumer.getmany(*pending, timeout_ms=200, max_records=50_000)
            for tp, part in batch.items():
                end = by_tp[tp].end
                records.extend(r for r in part if r.offset < end)
            for tp in list(pending):
                # Control records of transactions take offsets too: compare positions, not record offsets.
                if await consumer.position(tp) >= by_tp[tp].end:
                    pending.discard(tp)
                    consumer.pause(tp)
        consumer.assign([])
        return records


async def committed(
    kafka: KafkaClients, group: str, tps: Sequence[TopicPartition]
) -> dict[TopicPartition, int]:
    """Return a consumer group's committed offset of each partition (0 where it has none)."""
    admin = kafka.admin(client_id="psflow-replay")
    await admin.start()
    try:
        found = await admin.list_consumer_group_offsets(group, partitions=list(tps))
    finally:
        await admin.close()
    return {tp: max(found[tp].offset, 0) if tp in found else 0 for tp in tps}


async def commit(kafka: KafkaClients, group: str, offsets: Mapping[TopicPartition, int]) -> None:
    """Commit offsets for a consumer group from outside it (the group must have no active member)."""
    consumer = kafka.consumer(group_id=group, enable_auto_commit=False)
    await consumer.start()
    try:
        consumer.assign(list(offsets))
        await consumer.commit({tp: OffsetAndMetadata(offset, "") for tp, offset in offsets.items()})
    finally:
        await consumer.stop()
