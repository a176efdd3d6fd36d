"""The last offset applied per source partition: a guard that makes re-reading a record harmless."""

from __future__ import annotations

from typing import Any

import faust

from app.contracts.topology import TableSpec
from domain.records.ops import SourceRecord


class AppliedOffsets:
    """Remember, per topic-partition, the offset of the last record whose effects were saved.

    Faust commits a transaction's changelog writes even for records whose offsets it did not commit (a stop
    between saving and acking), so such a record is read again. Its effects are already in the tables and
    its outputs were acknowledged before they were saved, so it is skipped. The mark is written with the
    state, in the same partition's changelog transaction (Faust logs a table write to the partition of the
    record being processed), and restored with it.
    """

    def __init__(self, app: faust.App, spec: TableSpec):
        self.table: Any = app.Table(
            spec.name, key_type=bytes, value_type=bytes, partitions=spec.partitions, help=spec.help
        )

    @staticmethod
    def _key(source: SourceRecord) -> bytes:
        return f"{source.topic}:{source.partition}".encode()

    def seen(self, source: SourceRecord) -> bool:
        """Return whether this record's effects were already saved."""
        raw = self.table.get(self._key(source))
        return raw is not None and int(raw) >= source.offset

    def mark(self, source: SourceRecord) -> None:
        """Record that this record's effects are saved."""
        self.table[self._key(source)] = str(source.offset).encode()
