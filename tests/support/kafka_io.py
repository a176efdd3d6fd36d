"""Produce to and read from catalog topics of one test's namespace, through the real broker."""

from __future__ import annotations

import asyncio
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from aiokafka import AIOKafkaProducer
from aiokafka.admin import NewTopic
from aiokafka.structs import ConsumerRecord, RecordMetadata, TopicPartition

from app.contracts.codec import AvroCodec
from app.contracts.topics import TopicNames, TopicSpec
from app.security.kafka_clients import KafkaClients
from domain.records.common import Event


@dataclass
class KafkaIO:
    """One test's view of the cluster: its topic prefix, a producer and committed reads."""

    kafka: KafkaClients
    prefix: str
    codec: AvroCodec
    producer: AIOKafkaProducer
    # PSFLOW_* variables that point a psflow process (worker, CLI) at this cluster, security included.
    environment: dict[str, str] = field(default_factory=dict)
    last_timestamp_ms: int = 0

    def name(self, spec: TopicSpec) -> str:
        """Return the test's concrete topic name."""
        return TopicNames(self.prefix).of(spec)

    async def send_raw(self, spec: TopicSpec, key: bytes | None, value: bytes) -> RecordMetadata:
        """Produce raw bytes and wait for the broker's acknowledgement."""
        # Like one PSA publishing in order: no two sends share a millisecond, so the worker's event-time merge
        # across topics (which breaks a tie on the topic name) sees them in the order the test sent them.
        self.last_timestamp_ms = max(time.time_ns() // 1_000_000, self.last_timestamp_ms + 1)
        return await self.producer.send_and_wait(
            self.name(spec), value=value, key=key, timestamp_ms=self.last_timestamp_ms
        )

    async def send(self, spec: TopicSpec, key: str, record: Event) -> RecordMetadata:
        """Produce a typed record through the codec."""
        return await self.send_raw(spec, key.encode(), self.codec.encode(record))

    async def read(
        self,
        spec: TopicSpec,
        until: Callable[[list[ConsumerRecord[bytes, bytes]]], bool],
        timeout_s: float = 60.0,
    ) -> list[ConsumerRecord[bytes, bytes]]:
        """Read committed records from the start until `until(records)` holds, or fail at the deadline."""
        consumer = self.kafka.consumer(
            self.name(spec),
            group_id=None,
            auto_offset_reset="earliest",
            isolation_level="read_committed",
            enable_auto_commit=False,
        )
        await consumer.start()
        records: list[ConsumerRecord[bytes, bytes]] = []
        deadline = time.monotonic() + timeout_s
        try:
            while not until(records):
                if time.monotonic() > deadline:
                    raise AssertionError(
                        f"{self.name(spec)}: condition not met in {timeout_s}s; read {len(records)}"
                    )
                batch = await consumer.getmany(timeout_ms=500)
                for part in batch.values():
                    records.extend(part)
        finally:
            await consumer.stop()
        return records

    async def read_to_end(self, spec: TopicSpec) -> list[Any]:
        """Decode every committed record of a topic as it stands now (up to its last stable offset)."""
        consumer = self.kafka.consumer(isolation_level="read_committed", enable_auto_commit=False)
        await consumer.start()
        try:
            tps = [TopicPartition(self.name(spec), p) for p in range(spec.partitions)]
            consumer.assign(tps)
            await consumer.seek_to_beginning(*tps)
            ends = await consumer.end_offsets(tps)
            records: list[ConsumerRecord[bytes, bytes]] = []
            while any(
                position < ends[tp]
                for tp, position in zip(tps, [await consumer.position(tp) for tp in tps], strict=True)
            ):
                for part in (await consumer.getmany(timeout_ms=500)).values():
                    records.extend(part)
            return [self.codec.decode_any(r.value) for r in records if r.value is not None]
        finally:
            await consumer.stop()

    async def ensure_topic(self, name: str, partitions: int, compacted: bool = False) -> None:
        """Create a topic outside the catalog (a table's changelog, say) if it does not exist."""
        admin = self.kafka.admin()
        await admin.start()
        try:
            if name not in await admin.list_topics():
                configs = {"cleanup.policy": "compact"} if compacted else {}
                await admin.create_topics([NewTopic(name, partitions, 1, topic_configs=configs)])
        finally:
            await admin.close()

    async def latest_values(self, topic: str, partitions: int) -> dict[bytes, bytes | None]:
        """Return the latest committed value of every key of a topic (None for a tombstone)."""
        consumer = self.kafka.consumer(isolation_level="read_committed", enable_auto_commit=False)
        await consumer.start()
        try:
            # Named, not looked up: a consumer's metadata may not list a topic created moments ago.
            tps = [TopicPartition(topic, p) for p in range(partitions)]
            consumer.assign(tps)
            await consumer.seek_to_beginning(*tps)
            ends = await consumer.end_offsets(tps)
            latest: dict[bytes, bytes | None] = {}
            while [tp for tp in tps if await consumer.position(tp) < ends[tp]]:
                for part in (await consumer.getmany(timeout_ms=500)).values():
                    for record in part:
                        if record.key is not None:
                            latest[record.key] = record.value
            return latest
        finally:
            await consumer.stop()

    async def read_records(self, spec: TopicSpec, count: int, timeout_s: float = 60.0) -> list[Any]:
        """Read at least `count` committed records and decode them."""
        raw = await self.read(spec, lambda rs: len(rs) >= count, timeout_s)
        return [self.codec.decode_any(r.value) for r in raw if r.value is not None]


def unique_prefix() -> str:
    """Return a topic prefix no other test uses."""
    return f"t{uuid.uuid4().hex[:10]}."


async def wait_until_consumed(
    kafka: KafkaClients, group: str, topics: list[str], partitions: int, timeout_s: float = 60.0
) -> None:
    """Poll until the consumer group has committed every data record of `topics`.

    Comparing committed offsets with end offsets is not enough: on a transactionally written topic the
    commit markers take offsets too. So read (read committed) from the group's offsets to the end and
    require that no data record is left there.
    """
    admin = kafka.admin()
    probe = kafka.consumer(isolation_level="read_committed", enable_auto_commit=False)
    await admin.start()
    await probe.start()
    try:
        tps = [TopicPartition(t, p) for t in topics for p in range(partitions)]
        probe.assign(tps)
        deadline = time.monotonic() + timeout_s
        while True:
            committed = await admin.list_consumer_group_offsets(group)
            unread = 0
            for tp in tps:
                probe.seek(tp, committed[tp].offset if tp in committed and committed[tp].offset >= 0 else 0)
            ends = await probe.end_offsets(tps)
            left: dict[str, int] = {}
            while any(
                position < ends[tp]
                for tp, position in zip(tps, [await probe.position(tp) for tp in tps], strict=True)
            ):
                for tp, part in (await probe.getmany(timeout_ms=200)).items():
                    unread += len(part)
                    if part:
                        left[f"{tp.topic}:{tp.partition}@{part[0].offset}"] = len(part)
            if unread == 0:
                return
            if time.monotonic() > deadline:
                raise AssertionError(f"group {group} still has {unread} unread records: {left}")
            await asyncio.sleep(0.3)  # polling interval
    finally:
        await probe.stop()
        await admin.close()
