"""A Faust table of typed records stored as JSON: the one way psflow keeps state."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any, Generic, TypeVar

import faust
from pydantic import BaseModel

from app.contracts.topics import partition_for
from app.contracts.topology import TableSpec

M = TypeVar("M", bound=BaseModel)


class JsonTable(Generic[M]):
    """Typed access to a RocksDB table changelogged to Kafka, keyed by a string id.

    Values are the model's JSON (Decimals as strings, so exact). The table is partitioned like the topics
    its agent reads, so a worker only ever holds the keys whose events it consumes.
    """

    def __init__(self, app: faust.App, spec: TableSpec, model: type[M]):
        self.model = model
        self.partitions = spec.partitions
        # bytes types make Faust use the raw codec for the changelog: this class owns the format.
        self.table: Any = app.Table(
            spec.name, key_type=bytes, value_type=bytes, partitions=spec.partitions, help=spec.help
        )

    def get(self, key: str) -> M | None:
        """Return the record under a key, or None for a key never seen."""
        raw = self.table.get(key.encode())
        return None if raw is None else self.model.model_validate_json(raw)

    def put(self, key: str, value: M) -> None:
        """Store a record; the change goes to the changelog in the current partition's transaction."""
        self.table[key.encode()] = value.model_dump_json().encode()

    def in_partition(self, partition: int) -> Iterator[tuple[str, M]]:
        """Yield the locally held records of one partition (Kafka's default key partitioner decides)."""
        for key, raw in list(self.table.items()):
            if partition_for(key, self.partitions) == partition:
                yield key.decode(), self.model.model_validate_json(raw)
