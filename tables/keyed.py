"""Tables of keyed items: each subject's items under "<subject>\\x1f<kind>\\x1f<item>", the value its JSON.

A subject (a project, a resource) lives in the partition of its id, like the topics its events come on, so
the worker that owns the partition owns the subject. A batch stages every change in `BatchState` (reads see
them at once); the agent's commit logs the changes in the batch's transaction and, once committed, writes
them to the local store (see agents/commit.py).
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from typing import Any

import faust
from pydantic import BaseModel

from app.contracts.topology import TableSpec
from app.faust_workarounds.store import local_get, local_scan
from domain.state import Change, Put

SEP = "\x1f"
# RocksDB options per partition database: small, bounded buffers and cache, so a worker's memory does not
# grow with the number of subjects (Faust's defaults are a 2 GiB block cache and 3 x 64 MiB memtables each).
ROCKSDB_OPTIONS = {
    "write_buffer_size": 4 * 1024 * 1024,
    "max_write_buffer_number": 2,
    "target_file_size_base": 16 * 1024 * 1024,
    "block_cache_size": 16 * 1024 * 1024,
    "block_cache_compressed_size": 4 * 1024 * 1024,
}


# Decoded committed items kept between batches; the whole cache is dropped when it reaches this size, so it
# bounds memory whatever the number of subjects, and a busy subject's items are read from RocksDB and
# parsed once, not at every event that reads them.
CACHE_ITEMS = 20_000
_ABSENT = object()


class KeyedTable:
    """A Faust table of typed items, changelogged to Kafka and partitioned like its subjects' topics."""

    def __init__(self, app: faust.App, spec: TableSpec, kinds: Mapping[str, type[BaseModel]]):
        self.spec = spec
        self.kinds = dict(kinds)
        self.partitions = spec.partitions
        # Committed items by key (or _ABSENT), valid for one consumer generation: a rebalance may bring a
        # partition whose store recovery or another worker changed (see `begin`).
        self._cache: dict[bytes, object] = {}
        self._generation: int | None = None
        # bytes types make Faust use the raw codec for the changelog: this class owns the format.
        self.table: Any = app.Table(
            spec.name,
            key_type=bytes,
            value_type=bytes,
            partitions=spec.partitions,
            help=spec.help,
            options=ROCKSDB_OPTIONS,
        )

    @staticmethod
    def key(subject: str, kind: str, item: str) -> bytes:
        """Return the table key of an item."""
        return f"{subject}{SEP}{kind}{SEP}{item}".encode()

    def decode(self, kind: str, raw: bytes) -> BaseModel:
        """Parse a stored value of a kind."""
        return self.kinds[kind].model_validate_json(raw)

    def begin(self, generation: int) -> None:
        """Start a batch of a consumer generation: a new one drops every cached item."""
        if generation != self._generation:
            self._cache.clear()
            self._generation = generation

    def committed(self, items: Mapping[bytes, BaseModel | None]) -> None:
        """Note items a batch has just written to the local store (its transaction committed)."""
        if len(self._cache) + len(items) > CACHE_ITEMS:
            self._cache.clear()
        for key, value in items.items():
            self._cache[key] = _ABSENT if value is None else value

    def stored(self, partition: int, subject: str, kind: str, item: str) -> BaseModel | None:
        """Return an item as the local store holds it (committed state)."""
        key = self.key(subject, kind, item)
        cached = self._cache.get(key)
        if cached is not None:
            return None if cached is _ABSENT else cached  # type: ignore[return-value]
        raw = local_get(self.table, partition, key)
        value = None if raw is None else self.decode(kind, raw)
        if len(self._cache) >= CACHE_ITEMS:
            self._cache.clear()
        self._cache[key] = _ABSENT if value is None else value
        return value

    def stored_scan(
        self, partition: int, subject: str, kind: str, prefix: str = ""
    ) -> Iterator[tuple[str, BaseModel]]:
        """Yield the locally stored items of a subject's kind whose id starts with `prefix`, in id order."""
        head = f"{subject}{SEP}{kind}{SEP}"
        for key, raw in local_scan(self.table, partition, (head + prefix).encode()):
            yield key.decode()[len(head) :], self.decode(kind, raw)


class BatchState:
    """One batch's staged items of one table, over its committed local store."""

    def __init__(self, table: KeyedTable):
        self.table = table
        # key -> (partition, value or None for a delete)
        self.staged: dict[bytes, tuple[int, BaseModel | None]] = {}
        # (subject, kind) -> item ids staged, so a scan can merge them in
        self._staged_items: dict[tuple[str, str], set[str]] = {}

    def reader(self, partition: int, subject: str) -> SubjectReader:
        """Return a reader of one subject as this batch sees it."""
        return SubjectReader(self, partition, subject)

    def apply(self, partition: int, subject: str, changes: tuple[Change, ...]) -> None:
        """Stage a decision's changes to a subject."""
        for change in changes:
            key = KeyedTable.key(subject, change.kind, change.item)
            value = change.value if isinstance(change, Put) else None
            self.staged[key] = (partition, value)
            self._staged_items.setdefault((subject, change.kind), set()).add(change.item)

    def staged_items(self, subject: str, kind: str) -> set[str]:
        """Return the ids of a subject's kind staged in this batch."""
        return self._staged_items.get((subject, kind), set())

    def models(self) -> dict[bytes, BaseModel | None]:
        """Return the staged items by key (None deletes)."""
        return {key: value for key, (_, value) in self.staged.items()}

    def encoded(self) -> dict[int, dict[bytes, bytes | None]]:
        """Return the staged items as stored bytes (None deletes), by partition."""
        out: dict[int, dict[bytes, bytes | None]] = {}
        for key, (partition, value) in self.staged.items():
            out.setdefault(partition, {})[key] = None if value is None else value.model_dump_json().encode()
        return out


class SubjectReader:
    """One subject's items as a batch sees them: staged ones first, then the committed local store."""

    def __init__(self, batch: BatchState, partition: int, subject: str):
        self._batch = batch
        self._partition = partition
        self._subject = subject

    def get(self, kind: str, item: str) -> BaseModel | None:
        """Return an item."""
        staged = self._batch.staged.get(KeyedTable.key(self._subject, kind, item))
        if staged is not None:
            return staged[1]
        return self._batch.table.stored(self._partition, self._subject, kind, item)

    def scan(self, kind: str, prefix: str = "") -> Iterator[tuple[str, BaseModel]]:
        """Yield a kind's items whose id starts with `prefix`, in id order, staged ones merged in."""
        merged: dict[str, BaseModel | None] = dict(
            self._batch.table.stored_scan(self._partition, self._subject, kind, prefix)
        )
        for item in self._batch.staged_items(self._subject, kind):
            if item.startswith(prefix):
                merged[item] = self._batch.staged[KeyedTable.key(self._subject, kind, item)][1]
        for item in sorted(merged):
            value = merged[item]
            if value is not None:
                yield item, value
