"""Deliver each fetched batch to agents in event-time order across topics, like Kafka Streams does.

A project's contract versions, time entries, milestones and ERP feedback arrive on different topics. Kafka
orders each partition, not the merge of several, and Faust's default scheduler interleaves topics round
robin: after a restart with a backlog, a time entry could be priced before the amendment that was approved
before it. Merging each fetch by record timestamp (the producer's create time) keeps the order the PSA and
ERP published in. Each partition's own order is never changed: the merge only chooses which partition's
next record goes first, and ties break on topic, partition and offset so the choice is deterministic.
"""

from __future__ import annotations

import heapq
from collections.abc import Iterator, Mapping
from typing import Any

from faust.transport.utils import DefaultSchedulingStrategy
from faust.types import TP


class EventTimeScheduler(DefaultSchedulingStrategy):
    """Merge a fetch's records by timestamp across all its partitions."""

    def iterate(self, records: Mapping[TP, list[Any]]) -> Iterator[tuple[TP, Any]]:
        """Yield (partition, record) pairs, oldest record first, each partition in offset order."""
        streams = (
            [(r.timestamp, tp.topic, tp.partition, r.offset, tp, r) for r in rs] for tp, rs in records.items()
        )
        for *_, tp, record in heapq.merge(*streams, key=lambda item: item[:4]):
            yield tp, record
