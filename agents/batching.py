"""Handle a stream in batches: one wait for the broker's acks per batch, each key's state written once."""

from __future__ import annotations

import time
import weakref
from collections.abc import AsyncIterator, Iterator, Sequence
from contextlib import contextmanager
from typing import Any, Generic, TypeVar

from faust.streams import _current_event
from pydantic import BaseModel

from app.settings import Settings
from tables.json_table import JsonTable

M = TypeVar("M", bound=BaseModel)


def batches(stream: Any, settings: Settings) -> AsyncIterator[Sequence[Any]]:
    """Yield the stream's events in batches; Faust acks a batch's events when the next one is asked for.

    Waiting for the broker's acknowledgement of outputs once per batch instead of once per record is what
    makes throughput independent of the round trip; the order of the guarantees stays the same: every
    output of the batch is acknowledged, then state is saved, then the batch's records are acked.
    """
    events: AsyncIterator[Sequence[Any]] = stream.take_events(
        settings.batch_size, within=settings.batch_wait.total_seconds()
    )
    return events


def observe_batch(latency: Any, started: float, records: int) -> None:
    """Record the batch's mean time per record, so the histogram keeps meaning "seconds per record"."""
    if records:
        mean = (time.perf_counter() - started) / records
        for _ in range(records):
            latency.observe(mean)


@contextmanager
def writing_for(event: Any) -> Iterator[None]:
    """Make `event` the current one, so Faust logs table writes to its partition's changelog.

    Faust routes a table write to the changelog partition (and so the transaction) of the event being
    processed; a batch is saved after its loop, so each write names the event that made it. Faust offers no
    public setter: this is the context variable its own stream iterator sets.
    """
    token = _current_event.set(weakref.ref(event))
    try:
        yield
    finally:
        _current_event.reset(token)


async def changelogs_sent(app: Any) -> None:
    """Wait until Faust has handed every table write to its producers, before the batch is acked.

    Faust queues changelog records in its producer buffer and, under exactly_once, commits a transaction
    without draining that buffer: writes still queued at commit time would join the next transaction, so a
    kill -9 in between would commit the batch's offsets without its state. Acking only after the buffer is
    drained and the producers have the records keeps state and offsets in one transaction. (A stop during
    this wait commits state of unacked records, which the applied-offset guard makes harmless.)
    """
    buffer = app.producer.buffer
    # at_least_once commits flush the buffer themselves; a buffer not running (stopping, or an agent test
    # without a broker) is drained by Faust on stop and has no transaction to miss.
    if not app.in_transaction or buffer.state != "running":
        return
    while buffer.size:
        await buffer.flush()
    await app.producer.flush()


class Staged(Generic[M]):
    """A table's values as a batch changes them: read once, kept decoded, written once when saved.

    Records of one key inside a batch see each other's changes (they are handled in order, as before);
    nothing reaches the table, hence its changelog, until `save`, which the agent calls only after the
    batch's outputs are acknowledged.
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
        """Change the key's value for the rest of the batch and for `save`; `event` is the one changing it."""
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
