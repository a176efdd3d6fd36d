"""Hand whole fetches of the pipeline's topics to one handler instead of Faust's one-event-at-a-time stream.

Faust delivers each fetched record on its own: its fetcher awaits `wait_first(callback(message), ...)` per
record (two tasks each), the conductor decodes it into an event and queues it on a channel, and the agent's
stream takes it out again, through its processors, one await at a time. On this machine that costs more than
a millisecond a record, which caps a worker below a thousand records a second whatever the agent does
(`make bench`: the decode-and-forward Faust agent). psflow's pipeline commits per batch anyway, so the
worker's fetcher hands it each fetch whole, in event-time order across topics (`scheduling`), cut into
batches of at most `max_batch` records, and waits for each before it fetches on.

Records of every other topic (table changelogs during recovery, standby replicas) still take Faust's own
path, and Faust never sees an ack for a bulk record: the pipeline commits its offsets itself
(`transactions.commit_offsets`). Flow control is Faust's: paused partitions (recovery) are not fetched, a
stopped flow (rebalance) fetches nothing, and a record a seek has gone back before is delivered again.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass
from typing import Any

from faust.transport.consumer import Consumer

_MENDED = "_psflow_bulk_delivery"
_HANDLER = "_psflow_bulk_handler"


@dataclass(frozen=True, slots=True)
class Delivered:
    """One Kafka record as fetched: coordinates, bytes, headers and the consumer generation it came in."""

    topic: str
    partition: int
    offset: int
    timestamp_ms: int
    key: bytes | None
    value: bytes | None
    headers: tuple[tuple[str, bytes], ...]
    generation: int


BatchHandler = Callable[[Sequence[Delivered]], Awaitable[Any]]


@dataclass(frozen=True)
class _Bulk:
    topics: frozenset[str]
    handler: BatchHandler
    max_batch: int


def deliver_in_bulk(app: Any, topics: set[str], handler: BatchHandler, max_batch: int) -> None:
    """Send every fetched record of `topics` to `handler`, a fetch at a time, in batches of `max_batch`."""
    _mend_consumer()
    setattr(app, _HANDLER, _Bulk(frozenset(topics), handler, max_batch))


def _mend_consumer() -> None:
    if getattr(Consumer, _MENDED, False):
        return
    original = Consumer._drain_messages

    async def drain(self: Any, fetcher: Any) -> None:
        bulk: _Bulk | None = getattr(self.app, _HANDLER, None)
        if bulk is None:
            await original(self, fetcher)
            return
        await _drain_in_bulk(self, fetcher, bulk)

    Consumer._drain_messages = drain  # type: ignore[method-assign]
    setattr(Consumer, _MENDED, True)


async def _drain_in_bulk(consumer: Any, fetcher: Any, bulk: _Bulk) -> None:
    """Faust's fetch loop (Consumer._drain_messages), with the bulk topics handed over whole."""
    app = consumer.app
    read_offset = consumer._read_offset
    try:
        while not (consumer._stopped.is_set() or fetcher._stopped.is_set()):
            records, active = await consumer._wait_next_records(1.0)
            await asyncio.sleep(0)  # a fetch can come back at once, in a loop that never yields otherwise
            if not records or consumer.should_stop:
                continue
            if not consumer.flow_active:
                # A rebalance stopped the flow after this fetch: Faust seeks back to the committed offsets.
                await consumer.perform_seek()
                continue
            generation = app.consumer_generation_id
            batch: list[Delivered] = []
            for tp, record in consumer.scheduler.iterate(records):
                if active is not None and tp not in active and tp not in consumer._buffered_partitions:
                    continue
                last = read_offset[tp]
                if last is not None and record.offset < last:
                    continue  # before a seek's target: Faust drops these too
                read_offset[tp] = record.offset
                if tp.topic in bulk.topics:
                    batch.append(_delivered(record, generation))
                    continue
                await _flush(bulk, batch)
                # Not ours (a changelog being recovered): Faust's own path, one message at a time.
                message = consumer._to_message(tp, record)
                await consumer.wait_first(consumer.callback(message), consumer.suspend_flow.wait())
            await _flush(bulk, batch)
    except consumer.consumer_stopped_errors:
        if not app.should_stop:
            raise
    except asyncio.CancelledError:
        if not app.should_stop:
            raise


async def _flush(bulk: _Bulk, batch: list[Delivered]) -> None:
    for start in range(0, len(batch), bulk.max_batch):
        await bulk.handler(batch[start : start + bulk.max_batch])
    batch.clear()


def _delivered(record: Any, generation: int) -> Delivered:
    headers = tuple((k, bytes(v)) for k, v in record.headers or () if v is not None)
    return Delivered(
        topic=record.topic,
        partition=record.partition,
        offset=record.offset,
        timestamp_ms=record.timestamp,
        key=record.key,
        value=record.value,
        headers=headers,
        generation=generation,
    )
