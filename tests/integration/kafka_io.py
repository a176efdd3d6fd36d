"""Produce to and read from catalog topics of one test's namespace, through the real broker."""

from __future__ import annotations

import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from aiokafka import AIOKafkaConsumer, AIOKafkaProducer
from aiokafka.structs import ConsumerRecord, RecordMetadata

from app.codec import AvroCodec
from app.topics import TopicSpec
from domain.records.common import Event


@dataclass
class KafkaIO:
    """One test's view of the cluster: its topic prefix, a producer and committed reads."""

    bootstrap: str
    prefix: str
    codec: AvroCodec
    producer: AIOKafkaProducer

    def name(self, spec: TopicSpec) -> str:
        """Return the test's concrete topic name."""
        return self.prefix + spec.name

    async def send_raw(self, spec: TopicSpec, key: bytes | None, value: bytes) -> RecordMetadata:
        """Produce raw bytes and wait for the broker's acknowledgement."""
        return await self.producer.send_and_wait(self.name(spec), value=value, key=key)

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
        consumer = AIOKafkaConsumer(
            self.name(spec),
            bootstrap_servers=self.bootstrap,
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

    async def read_records(self, spec: TopicSpec, count: int, timeout_s: float = 60.0) -> list[Any]:
        """Read at least `count` committed records and decode them."""
        raw = await self.read(spec, lambda rs: len(rs) >= count, timeout_s)
        return [self.codec.decode_any(r.value) for r in raw if r.value is not None]


def unique_prefix() -> str:
    """Return a topic prefix no other test uses."""
    return f"t{uuid.uuid4().hex[:10]}."
