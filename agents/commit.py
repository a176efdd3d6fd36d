"""The one commit protocol of every agent: a batch's outputs, state and applied offsets, in the one order.

An agent's body reads decode -> decide -> stage: it stages state changes on `BatchCommit.stage(table)`,
sends outputs through `BatchCommit.outputs`, marks what it applied, and ends each batch with `commit()`.
"""

from __future__ import annotations

import time
from collections.abc import AsyncIterator, Sequence
from typing import Any, Generic, TypeVar

from pydantic import BaseModel

from agents.send_buffer import SendBuffer
from app.faust_workarounds.changelog import changelogs_sent, writing_for
from app.runtime.runtime import Runtime
from app.runtime.settings import Settings
from domain.records.ops import SourceRecord
from tables.applied_offsets import AppliedOffsets
from tables.json_table import JsonTable

M = TypeVar("M", bound=BaseModel)


def batches(stream: Any, settings: Settings) -> AsyncIterator[Sequence[Any]]:
    """Yield the stream's events in batches; Faust acks a batch's events when the next one is asked for.

    Waiting for the broker's acknowledgement of outputs once per batch instead of once per record is what
    makes throughput independent of the round trip; the order of the guarantees stays the same.
    """
    events: AsyncIterator[Sequence[Any]] = stream.take_events(
        settings.batch_size, within=settings.batch_wait.total_seconds()
    )
    return events


class StagedTable(Generic[M]):
    """A table's values as one batch reads and changes them: read once, kept decoded, written once.

    Records of one key inside a batch see each other's changes (they are handled in order); nothing reaches
    the table, hence its changelog, until the batch commits.
    """

    def __init__(self, table: JsonTable[M]):
        self._table = table
        self._values: dict[str, M | None] = {}
        self._changed: dict[str, Any] = {}  # key -> the last event that changed it

    def get(self, key: str) -> M | None:
        """Return the key's value as of this point in the batch."""
        if key not in self._values:
            self._values[key] = self._table.get(key)
        return self._values[key]

    def put(self, key: str, value: M, event: Any) -> None:
        """Change the key's value for the rest of the batch; `event` is the one changing it."""
        self._values[key] = value
        self._changed[key] = event

    def save(self) -> None:
        """Write every changed value to the table, each in its event's partition (and so its changelog)."""
        for key, event in sorted(self._changed.items(), key=lambda item: item[0]):
            value = self._values[key]
            if value is not None:
                with writing_for(event):
                    self._table.put(key, value)
        self._changed.clear()


class BatchCommit:
    """One batch of an agent: its outputs, staged state and applied offsets, committed in one order.

    `commit()` does, in this order and with nothing awaited between the last two steps and the ack:

    1. outputs acknowledged: Faust's exactly_once does not make sends to output topics transactional (it
       picks a transactional producer only for topics the app consumes), so a committed input offset must
       never outrun its outputs; a crash before this point re-emits them, with the same ids and bytes;
    2. state saved, each changed key once, in the changelog partition of the event that changed it: Faust
       commits every changelog write of the open transaction, acked or not, so a write must never precede
       outputs a stop could still cancel;
    3. applied offsets marked in the same partitions' changelogs: Faust may commit a transaction's state
       without the offsets of records not yet acked, and such a record, read again, is then skipped;
    4. changelogs drained into the producers: Faust's exactly_once commit does not drain its buffer, so a
       write still queued would join the next transaction, after the offsets it belongs with;
    5. then the agent yields, and Faust acks the batch's events when the agent asks for the next batch.
    """

    def __init__(self, runtime: Runtime, guard: AppliedOffsets | None = None):
        self.outputs = SendBuffer(runtime)
        self._app = runtime.app
        self._guard = guard
        self._staged: list[StagedTable[Any]] = []
        self._applied: list[tuple[Any, SourceRecord]] = []
        self._started = time.perf_counter()

    def stage(self, table: JsonTable[M]) -> StagedTable[M]:
        """Return the batch's staged view of a table; its changes are saved by `commit`."""
        staged = StagedTable(table)
        self._staged.append(staged)
        return staged

    def already_applied(self, source: SourceRecord) -> bool:
        """Tell whether a record's effects were saved by an earlier batch (so it must be skipped)."""
        return self._guard is not None and self._guard.seen(source)

    def applied(self, event: Any, source: SourceRecord) -> None:
        """Note that the batch applied this record: its offset is marked when the batch commits."""
        self._applied.append((event, source))

    async def commit(self) -> None:
        """Commit the batch: outputs acknowledged, state saved, offsets marked, changelogs drained."""
        await self.outputs.delivered()
        for staged in self._staged:
            staged.save()
        if self._guard is not None:
            for event, source in self._applied:
                with writing_for(event):
                    self._guard.mark(source)
        await changelogs_sent(self._app)

    def observe(self, latency: Any, records: int) -> None:
        """Record the batch's mean time per record, so the histogram keeps meaning "seconds per record"."""
        if records:
            mean = (time.perf_counter() - self._started) / records
            for _ in range(records):
                latency.observe(mean)
