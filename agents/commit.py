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
from app.faust_workarounds.store import changelog_topic, local_write, persist_changelog_offset
from app.faust_workarounds.transactions import BATCH_GATE, Revoked, abandon, commit_batch
from app.runtime.runtime import Runtime
from app.runtime.settings import Settings
from domain.records.ops import SourceRecord
from tables.applied_offsets import AppliedOffsets
from tables.keyed import BatchState, KeyedTable

log = logging.getLogger(__name__)


def batches(stream: Any, settings: Settings) -> AsyncIterator[Sequence[Any]]:
    """Yield the stream's events in batches (Faust acks what the commit did not when the next is asked for).

    One transaction per batch instead of one wait per record is what makes throughput independent of the
    round trip; a batch fills up to `PSFLOW_BATCH_SIZE` records or `PSFLOW_BATCH_WAIT`, whichever first.
    """
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
    3. acks the batch's events and commits every partition's transaction with their offsets, Faust's commit
       being held back until this boundary (app/faust_workarounds/transactions.py);
    4. only then writes the items to the local stores, with the changelog offset they are at: a crash before
       this point leaves local state at the last commit, and a crash between commit and write is rebuilt
       from the changelog (the worker discards local state after an unclean stop).

    A rebalance during the batch abandons it: its transactions are aborted, its events forgotten and read
    again from the committed offsets, its staged items dropped; records applied by an earlier batch are
    skipped by the applied-offset guard.
    """

    def __init__(self, runtime: Runtime, tables: Sequence[KeyedTable], guard: AppliedOffsets):
        self.outputs = SendBuffer(runtime)
        self._runtime = runtime
        self._states = {table.spec.name: BatchState(table) for table in tables}
        self._guard = guard
        self._marks: dict[tuple[str, int], int] = {}
        self._committed_marks: dict[tuple[str, int], int | None] = {}
        self._legacy_deletes: list[tuple[Any, int, bytes]] = []
        self._events: list[Any] = []
        self._stale: list[Any] = []
        self._causes: dict[int, Cause] = {}
        self._generation = runtime.app.consumer_generation_id
        self._started = time.perf_counter()
        BATCH_GATE.in_flight = True

    def state(self, table: KeyedTable) -> BatchState:
        """Return the batch's staged view of a table."""
        return self._states[table.spec.name]

    def cause(self, partition: int) -> Cause:
        """Return the source partition whose transaction writes of `partition` belong to."""
        return self._causes[partition]

    def take(self, event: Any, source: SourceRecord) -> bool:
        """Take an event into the batch; False if it is to be skipped (applied before, or stale)."""
        if event.message.generation_id != self._generation:
            # Buffered before a rebalance: Faust reads it again from the committed offset.
            self._stale.append(event)
            return False
        self._events.append(event)
        tp = (source.topic, source.partition)
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
        # recovery are already delivered to the stream.
        return bool(self._runtime.app.consumer_generation_id != self._generation)

    async def commit(self) -> bool:
        """Commit the batch (see the class docstring); return False if it was abandoned."""
        try:
            if self._rebalanced():
                log.warning("a rebalance cut a batch of %d records: abandoned, read again", len(self._events))
                await self.abandon()
                return False
            logged = await self._log_changes()
            await self.outputs.delivered()
            if self._rebalanced():
                log.warning("a rebalance cut a batch of %d records: abandoned, read again", len(self._events))
                await self.abandon()
                return False
            for event in self._events:
                event.ack()
            await abandon(self._runtime.app, (), self._stale)
            await commit_batch(self._runtime.app)
        except Revoked as exc:
            log.warning("batch of %d records abandoned: %s", len(self._events), exc)
            await self.abandon()
            return False
        finally:
            BATCH_GATE.in_flight = False
        self._write_locally(logged)
        log.debug("committed a batch of %d records (%d stale)", len(self._events), len(self._stale))
        return True

    async def abandon(self) -> None:
        """Drop the batch: abort its transactions and forget its events, which are read again."""
        BATCH_GATE.in_flight = False
        await abandon(self._runtime.app, self._causes.values(), [*self._events, *self._stale])

    async def _log_changes(self) -> list[tuple[Any, int, dict[bytes, bytes | None], Any]]:
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

    async def _log(self, table: Any, partition: int, items: dict[bytes, bytes | None]) -> Any:
        topic, last = changelog_topic(table), None
        for key, value in items.items():
            last = await self.outputs.raw(self.cause(partition), topic, key, value, partition=partition)
        return last

    def _write_locally(self, logged: Iterable[tuple[Any, int, dict[bytes, bytes | None], Any]]) -> None:
        for table, partition, items, last in logged:
            local_write(table, partition, items)
            if last is not None and last.done() and not last.cancelled() and last.exception() is None:
                persist_changelog_offset(table, partition, last.result().offset)

    def observe(self, latency: Any) -> None:
        """Record the batch's mean time per record, so the histogram keeps meaning "seconds per record"."""
        records = len(self._events)
        if records:
            mean = (time.perf_counter() - self._started) / records
            for _ in range(records):
                latency.observe(mean)
