"""The one commit protocol of the pipeline: a batch's outputs, items and applied offsets in one transaction.

The agent's body reads decode -> decide -> stage: it stages items on `BatchCommit.state(table)`, sends
outputs through `BatchCommit.outputs` with the record that caused them, marks what it applied, and ends
each batch with `commit()`.
"""

from __future__ import annotations

import logging
import time
from collections.abc import AsyncIterator, Iterable, Sequence
from typing import Any

from agents.send_buffer import Cause, SendBuffer
from app.faust_workarounds.bulk import Delivered
from app.faust_workarounds.store import changelog_topic, local_write, persist_changelog_offset
from app.faust_workarounds.transactions import Revoked, abandon, seek_back
from app.runtime.runtime import Runtime
from app.runtime.settings import Settings
from app.runtime.sink import Placed
from domain.records.ops import SourceRecord
from tables.applied_offsets import AppliedOffsets
from tables.keyed import BatchState, KeyedTable

log = logging.getLogger(__name__)

# (table, partition, items written, the last of them as logged to the changelog)
Logged = tuple[Any, int, dict[bytes, bytes | None], Placed | None]


def batches(stream: Any, settings: Settings) -> AsyncIterator[Sequence[Any]]:
    """Yield a Faust stream's events in batches (the path of `test_context`; workers deliver in bulk)."""
    events: AsyncIterator[Sequence[Any]] = stream.take_events(
        settings.batch_size, within=settings.batch_wait.total_seconds()
    )
    return events


class BatchCommit:
    """One batch: its outputs, staged items, legacy deletes and applied offsets, committed in one order.

    `commit()`:

    1. logs every staged item (and each source partition's applied offset) to its table's changelog, in the
       transaction of that partition, next to the batch's outputs, which were sent there as they were
       decided; so outputs, state and marks become visible together, or not at all;
    2. waits for the broker's acknowledgement of every send (a failure abandons the batch);
    3. commits every partition's transaction with the offset after its last record of the batch
       (app/faust_workarounds/transactions.py); Faust's own commits never carry a batch's records;
    4. only then writes the items to the local stores, with the changelog offset they are at: a crash before
       this point leaves local state at the last commit, and a crash between commit and write is rebuilt
       from the changelog (the worker discards local state after an unclean stop).

    A rebalance during the batch abandons it: its transactions are aborted, its records read again from
    their first offsets (or, by a partition's new owner, from the committed ones), its staged items dropped;
    records applied by an earlier batch are skipped by the applied-offset guard.
    """

    def __init__(self, runtime: Runtime, tables: Sequence[KeyedTable], guard: AppliedOffsets):
        self.outputs = SendBuffer(runtime)
        self._runtime = runtime
        self._states = {table.spec.name: BatchState(table) for table in tables}
        self._guard = guard
        self._marks: dict[tuple[str, int], int] = {}
        self._committed_marks: dict[tuple[str, int], int | None] = {}
        self._legacy_deletes: list[tuple[Any, int, bytes]] = []
        # (topic, partition) -> first and next offset of the batch's records, and how many it took.
        self._firsts: dict[tuple[str, int], int] = {}
        self._nexts: dict[tuple[str, int], int] = {}
        self._stale: dict[tuple[str, int], int] = {}
        self._taken = 0
        self._causes: dict[int, Cause] = {}
        self._generation = runtime.app.consumer_generation_id
        for table in tables:
            table.begin(self._generation)
        self._started = time.perf_counter()

    def state(self, table: KeyedTable) -> BatchState:
        """Return the batch's staged view of a table."""
        return self._states[table.spec.name]

    def partitions(self) -> set[int]:
        """Return the partitions the batch took records of."""
        return set(self._causes)

    def cause(self, partition: int) -> Cause:
        """Return the source partition whose transaction writes of `partition` belong to."""
        return self._causes[partition]

    def take(self, record: Delivered, source: SourceRecord) -> bool:
        """Take a record into the batch; False if it is to be skipped (applied before, or stale)."""
        tp = (source.topic, source.partition)
        if record.generation != self._generation:
            # Fetched before a rebalance: read again from the committed offset (or by the new owner).
            self._stale.setdefault(tp, source.offset)
            return False
        self._firsts.setdefault(tp, source.offset)
        self._nexts[tp] = source.offset + 1
        self._taken += 1
        if tp not in self._committed_marks:
            self._committed_marks[tp] = self._guard.committed(*tp)
        applied = self._marks.get(tp, self._committed_marks[tp])
        self._causes.setdefault(source.partition, tp)
        return applied is None or source.offset > applied

    def applied(self, source: SourceRecord) -> None:
        """Note that the batch applied this record: its partition's mark moves when the batch commits."""
        self._marks[(source.topic, source.partition)] = source.offset

    def delete_legacy(self, table: Any, partition: int, key: bytes) -> None:
        """Delete a legacy value (split into items by this batch) when the batch commits."""
        self._legacy_deletes.append((table, partition, key))

    def _rebalanced(self) -> bool:
        # The generation, not Faust's `rebalancing` flag: that one stays up while the first batches after a
        # recovery are already delivered.
        return bool(self._runtime.app.consumer_generation_id != self._generation)

    async def commit(self) -> bool:
        """Commit the batch (see the class docstring); return False if it was abandoned."""
        try:
            if self._rebalanced():
                return await self._cut()
            logged = await self._log_changes()
            await self.outputs.delivered()
            if self._rebalanced():
                return await self._cut()
            await seek_back(self._runtime.app, self._stale)
            if self._nexts:
                await self._runtime.sink.commit(self._nexts)
        except Revoked as exc:
            log.warning("batch of %d records abandoned: %s", self._taken, exc)
            await self.abandon()
            return False
        self._write_locally(logged)
        for state in self._states.values():
            state.table.committed(state.models())
        log.debug("committed a batch of %d records (%d partitions stale)", self._taken, len(self._stale))
        return True

    async def _cut(self) -> bool:
        log.warning("a rebalance cut a batch of %d records: abandoned, read again", self._taken)
        await self.abandon()
        return False

    async def abandon(self) -> None:
        """Drop the batch: abort its transactions and read its records again."""
        self.outputs.discard()
        firsts = dict(self._stale)
        for tp, offset in self._firsts.items():
            firsts[tp] = min(offset, firsts.get(tp, offset))
        await abandon(self._runtime.app, firsts)

    async def _log_changes(self) -> list[Logged]:
        """Send every staged item's changelog record; return what to write locally once committed."""
        logged = []
        for state in self._states.values():
            table = state.table.table
            for partition, items in state.encoded().items():
                logged.append((table, partition, items, await self._log(table, partition, items)))
        for table, partition, key in self._legacy_deletes:
            items = {key: None}
            logged.append((table, partition, items, await self._log(table, partition, items)))
        guard = self._guard.table
        for (topic, partition), offset in sorted(self._marks.items()):
            items = {self._guard.key(topic, partition): str(offset).encode()}
            logged.append((guard, partition, items, await self._log(guard, partition, items)))
        return logged

    async def _log(self, table: Any, partition: int, items: dict[bytes, bytes | None]) -> Placed | None:
        topic, last = changelog_topic(table), None
        for key, value in items.items():
            last = await self.outputs.raw(self.cause(partition), topic, key, value, partition=partition)
        return last

    def _write_locally(
        self, logged: Iterable[tuple[Any, int, dict[bytes, bytes | None], Placed | None]]
    ) -> None:
        for table, partition, items, last in logged:
            local_write(table, partition, items)
            if last is not None:
                persist_changelog_offset(table, partition, last.offset)

    def observe(self, latency: Any) -> None:
        """Record the batch's mean time per record, so the histogram keeps meaning "seconds per record"."""
        records = self._taken
        if records:
            mean = (time.perf_counter() - self._started) / records
            for _ in range(records):
                latency.observe(mean)
