"""Faust test_context fixtures: the real pipeline agent and tables on an in-memory store, sends recorded."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import pytest
from faust.types import Message

from app.contracts.codec import AvroCodec
from app.contracts.topics import TopicSpec
from app.contracts.topology import ticks_topic
from app.runtime.runtime import Runtime
from app.runtime.settings import Settings
from app.worker.assembly import create_app
from domain.records.common import Event


@dataclass
class Harness:
    """Put raw records on named input topics and see what the agent sent."""

    runtime: Runtime
    agent: Any
    sent: dict[str, list[Any]] = field(default_factory=dict)
    offsets: dict[str, int] = field(default_factory=dict)

    async def put_raw(self, spec: TopicSpec | str, key: bytes, value: bytes, partition: int = 0) -> Any:
        """Deliver one raw record as if read from `spec` (or a topic name), and wait until it is handled."""
        name = spec if isinstance(spec, str) else self.runtime.topic_name(spec)
        offset = self.offsets.get(name, 0)
        self.offsets[name] = offset + 1
        message = Message(
            topic=name,
            partition=partition,
            offset=offset,
            timestamp=1_772_438_400.0,
            timestamp_type=0,
            headers=None,
            key=key,
            value=value,
            checksum=b"",
            serialized_key_size=len(key),
            serialized_value_size=len(value),
            # Streams drop messages of another consumer generation (stale after a rebalance).
            generation_id=self.runtime.app.consumer_generation_id,
        )
        channel = self.agent.stream().channel
        await channel.put(await channel.decode(message))
        async with self.agent.new_value_processed:
            await asyncio.wait_for(self.agent.new_value_processed.wait(), timeout=10)
        return self.agent.results[self.agent.processed_offset - 1]

    async def put(self, spec: TopicSpec, key: str, record: Event) -> Any:
        """Deliver one typed record through the codec."""
        return await self.put_raw(spec, key.encode(), self.runtime.codec.encode(record))

    async def tick(self, partition: int = 0) -> Any:
        """Deliver the periodic tick of a partition."""
        return await self.put_raw(ticks_topic(self.runtime.settings.app_id), b"", b"tick", partition)

    def decoded(self, spec: TopicSpec) -> list[Event]:
        """Return the typed records sent to an output topic."""
        return [self.runtime.codec.decode_any(v) for v in self.sent.get(self.runtime.topic_name(spec), [])]


class RecordingSink:
    """A sink that keeps what the pipeline sends, by topic, and acknowledges it at once."""

    def __init__(self, sent: dict[str, list[Any]]):
        self.sent = sent
        self.committed: dict[tuple[str, int], int] = {}
        self._offsets: dict[str, int] = {}

    async def send(
        self,
        cause: tuple[str, int],
        topic: str,
        key: bytes | None,
        value: bytes | None,
        partition: int | None = None,
        headers: Any = None,
    ) -> Any:
        self.sent.setdefault(topic, []).append(value)
        offset = self._offsets[topic] = self._offsets.get(topic, -1) + 1
        return SimpleNamespace(offset=offset)

    async def flush(self) -> None:
        return None

    def discard(self) -> None:
        return None

    async def commit(self, offsets: Mapping[tuple[str, int], int]) -> bool:
        self.committed.update(offsets)
        return True


@pytest.fixture
async def harness(tmp_path: Path) -> AsyncIterator[Harness]:
    settings = Settings.from_env(
        {"broker": "127.0.0.1:1", "store": "memory://", "app_id": "agent-tests", "data_dir": tmp_path}
    )
    runtime = create_app(settings, AvroCodec.from_directory())
    runtime.app.finalize()
    agent = runtime.app.agents["pipeline"]
    harness_sent: dict[str, list[Any]] = {}
    runtime.sink = RecordingSink(harness_sent)
    async with agent.test_context() as test_agent:
        yield Harness(runtime=runtime, agent=test_agent, sent=harness_sent)
