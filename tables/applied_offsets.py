"""The last offset applied per source partition: a guard that makes re-reading a record harmless."""

from __future__ import annotations

from typing import Any

import faust

from app.contracts.topology import TableSpec
from app.faust_workarounds.store import local_get


class AppliedOffsets:
    """Remember, per topic-partition, the offset of the last record whose effects were committed.

    A batch's state, outputs and marks commit in one transaction, but its input offsets are Faust's to
    commit, and a record can still be delivered again (a rebalance, a batch buffered across one). Such a
    record is skipped: its effects are already in the tables and its outputs on their topics. The mark of a
    partition lives in that partition's changelog and store, so it moves with the partition. Values are the
    offset as ASCII digits (the format of every version so far).
    """

    def __init__(self, app: faust.App, spec: TableSpec):
        self.spec = spec
        self.table: Any = app.Table(
            spec.name, key_type=bytes, value_type=bytes, partitions=spec.partitions, help=spec.help
        )

    @staticmethod
    def key(topic: str, partition: int) -> bytes:
        """Return the table key of a source partition's mark."""
        return f"{topic}:{partition}".encode()

    def committed(self, topic: str, partition: int) -> int | None:
        """Return the offset of the last applied record of a source partition, None if none."""
        raw = local_get(self.table, partition, self.key(topic, partition))
        return None if raw is None else int(raw)
