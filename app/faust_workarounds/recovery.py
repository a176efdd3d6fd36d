"""Make Faust's table recovery ask the broker how far each changelog goes, also under exactly_once.

With a transactional app, faust-streaming (0.11) takes a changelog partition's highwater from the consumer's
cached last stable offset, which aiokafka learns only from a fetch response of that partition. At recovery
nothing has been fetched yet, the cache is empty, and Faust reads it as "-1": nothing to restore. A worker
that starts without local state (a new host, a discarded RocksDB after kill -9, a reset) then serves empty
tables, at random, depending on whether a fetch happened to land first. Asking the broker instead
(ListOffsets with the consumer's read_committed isolation) returns the last stable offset itself.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

from aiokafka.structs import TopicPartition
from faust.transport.drivers.aiokafka import AIOKafkaConsumerThread

_MENDED = "_psflow_highwaters_from_broker"


async def _highwaters_from_broker(
    self: AIOKafkaConsumerThread, partitions: Iterable[TopicPartition]
) -> Mapping[TopicPartition, int]:
    consumer: Any = self._ensure_consumer()
    ends: Mapping[TopicPartition, int] = await consumer.end_offsets(list(partitions))
    return ends


def ask_broker_for_changelog_ends() -> None:
    """Replace Faust's cached-LSO highwater lookup with a broker query (idempotent)."""
    if not getattr(AIOKafkaConsumerThread, _MENDED, False):
        AIOKafkaConsumerThread._highwaters = _highwaters_from_broker  # type: ignore[method-assign]
        setattr(AIOKafkaConsumerThread, _MENDED, True)
