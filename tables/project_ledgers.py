"""The project ledger table: each project's financial state, in RocksDB, changelogged to Kafka."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import faust
from aiokafka.partitioner import murmur2

from app.topics import PROJECT_PARTITIONS
from domain.ledger import ProjectLedger

TABLE_NAME = "project-ledgers"


class ProjectLedgers:
    """Typed access to the project ledger table, keyed by project id.

    Values are the ledger's JSON (Decimals as strings, so exact); the table is partitioned like the
    project topics, so a worker only ever reads the projects whose events it consumes.
    """

    def __init__(self, app: faust.App):
        self.table: Any = app.Table(
            TABLE_NAME,
            # bytes types make Faust use the raw codec for the changelog: the accessors own the format.
            key_type=bytes,
            value_type=bytes,
            partitions=PROJECT_PARTITIONS,
            help="Financial state per project.",
        )

    def get(self, project_id: str) -> ProjectLedger | None:
        """Return a project's ledger, or None for a project never seen."""
        raw = self.table.get(project_id.encode())
        return None if raw is None else ProjectLedger.model_validate_json(raw)

    def put(self, project_id: str, ledger: ProjectLedger) -> None:
        """Store a project's ledger; the change is written to the changelog in the same transaction."""
        self.table[project_id.encode()] = ledger.model_dump_json().encode()

    def in_partition(self, partition: int) -> Iterator[tuple[str, ProjectLedger]]:
        """Yield the locally held ledgers of one partition (Kafka's default key partitioner decides)."""
        for key, raw in list(self.table.items()):
            if (murmur2(key) & 0x7FFFFFFF) % PROJECT_PARTITIONS == partition:
                yield key.decode(), ProjectLedger.model_validate_json(raw)
