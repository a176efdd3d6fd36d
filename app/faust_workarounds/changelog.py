"""Route a batch's table writes to the right changelog partition, and hand them to the producers in time."""

from __future__ import annotations

import weakref
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from faust.streams import _current_event


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
