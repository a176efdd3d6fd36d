"""Make every output of a batch part of its source partition's Kafka transaction, committed only whole.

faust-streaming's exactly_once keeps one transactional producer per (topic group, partition) and commits a
partition's input offsets and changelog writes in it; but its `send` picks the producer by the
*destination* partition, so outputs to topics the app does not consume (commands, exceptions, deltas) go
outside any transaction, and a transactional send to a consumed topic (a repartition) from another
partition may never commit. It also commits on a timer, every N acks, on task errors and on stop, in the
middle of whatever an agent is doing. psflow instead:

- sends each output, forward and changelog record through the producer of the partition of the record
  that caused it (`producer_for`), so the output commits with that record's offset or not at all, is
  invisible to read_committed readers until then, and a zombie's late writes are fenced with its producer;
- lets Faust commit only at a batch boundary (`BATCH_GATE`; its own timer and ack counter are switched off
  in app_options), and commits every partition's transaction of a batch concurrently instead of one by one;
- holds Faust's rebalance handler back while a commit is in flight, so no producer is stopped mid-commit;
- on a rebalance mid-batch, aborts the partitions' open transactions and forgets the batch's events, which
  Faust then reads again from the committed offsets (`abandon`).
"""

from __future__ import annotations

import asyncio
from collections.abc import Iterable, Mapping
from typing import Any

from faust.transport.consumer import Consumer, TransactionManager
from faust.transport.drivers.aiokafka import Producer
from faust.types import TP

_MENDED = "_psflow_batch_commits"
_COMMIT_ROUNDS = 4


class Revoked(Exception):
    """The partition a record came from is no longer this worker's: its batch must be abandoned."""


class BatchGate:
    """Whether an agent is between the first write of a batch and its commit."""

    def __init__(self) -> None:
        self.in_flight = False
        self.at_boundary = False
        self.lock = asyncio.Lock()


BATCH_GATE = BatchGate()


def transactional_id(app: Any, topic: str, partition: int) -> str:
    """Return the transactional id Faust gives the producer of a consumed topic's partition."""
    group = app.assignor.group_for_topic(topic)
    return f"{app.conf.id}-{group}-{partition}"


def producer_for(app: Any, topic: str, partition: int) -> Any:
    """Return the aiokafka producer whose transaction a record read at (topic, partition) belongs to."""
    if not app.in_transaction:
        return app.producer._ensure_producer()
    try:
        tid = transactional_id(app, topic, partition)
    except KeyError as exc:  # the topic is not (or no longer) part of the assignment
        raise Revoked(f"{topic}:{partition} is not assigned") from exc
    producer = app.producer._transaction_producers.get(tid)
    if producer is None:
        raise Revoked(f"{topic}:{partition} is not assigned to this worker any more")
    return producer


async def commit_batch(app: Any) -> bool:
    """Commit the acked offsets of every partition with its transaction (Faust's commit, at the boundary).

    Faust commits one run of consecutive acked offsets per partition per call, and misses the gap a
    transaction marker leaves right after a partition's first record (its gap check treats a read offset of 0
    as none): the rest would wait for the next batch's commit (tests/integration/worker/test_forecast.py saw
    repartitioned time wait a minute, for the next tick). So it is asked again until nothing is left.
    """
    BATCH_GATE.at_boundary = True
    try:
        async with BATCH_GATE.lock:
            committed = False
            for _ in range(_COMMIT_ROUNDS):
                if not await app.consumer.commit():
                    break
                committed = True
            return committed
    finally:
        BATCH_GATE.at_boundary = False


async def abandon(app: Any, partitions: Iterable[tuple[str, int]], events: Iterable[Any]) -> None:
    """Abort the open transactions of a batch's partitions and forget its events, then read them again.

    The events are marked acked without telling the consumer, so Faust's batch iterator does not ack them
    and no offset past them is committed; the consumer is sent back to the first of them on each partition
    that is still this worker's (after a rebalance Faust itself seeks to the committed offsets).
    """
    first: dict[TP, int] = {}
    for event in events:
        event.message.acked = True
        tp = TP(event.message.topic, event.message.partition)
        first[tp] = min(first.get(tp, event.message.offset), event.message.offset)
    assigned = app.consumer.assignment() if first else set()
    for tp, offset in sorted(first.items()):
        if tp in assigned:
            await app.consumer.seek(tp, offset)
    if not app.in_transaction:
        return
    tids = set()
    for topic, partition in partitions:
        try:
            tids.add(transactional_id(app, topic, partition))
        except KeyError:
            continue
    for tid in sorted(tids):
        if tid in app.producer._transaction_producers:
            await app.producer.abort_transaction(tid)
            await app.producer.begin_transaction(tid)


async def commit_transactions_concurrently(
    self: Any,
    tid_to_offset_map: Mapping[str, Mapping[TP, int]],
    group_id: str,
    start_new_transaction: bool = True,
) -> None:
    """Commit each partition's transaction with its offsets, all partitions at once (Faust: one by one)."""

    async def one(tid: str, offsets: Mapping[TP, int]) -> None:
        async with self._trn_locks[tid]:
            producer = self._transaction_producers.get(tid)
            if producer is None:
                return
            await producer.send_offsets_to_transaction(offsets, group_id)
            await producer.commit_transaction()
            if start_new_transaction:
                await producer.begin_transaction()

    await asyncio.gather(*(one(tid, offsets) for tid, offsets in tid_to_offset_map.items()))


def gated(commit: Any) -> Any:
    """Return Faust's consumer commit refusing to run in the middle of a batch (a no-op returning False)."""

    async def commit_at_boundary(self: Any, *args: Any, **kwargs: Any) -> bool:
        # Faust's timer, ack counter, task-error and stop commits would commit half a batch's writes.
        if BATCH_GATE.in_flight and not BATCH_GATE.at_boundary:
            return False
        committed: bool = await commit(self, *args, **kwargs)
        return committed

    return commit_at_boundary


def after_commits(on_rebalance: Any) -> Any:
    """Return Faust's transaction rebalance handler waiting for a batch commit in flight to finish."""

    async def rebalance_after_commit(self: Any, *args: Any, **kwargs: Any) -> None:
        async with BATCH_GATE.lock:
            await on_rebalance(self, *args, **kwargs)

    return rebalance_after_commit


def bend_commits() -> None:
    """Install the batch gate and the concurrent commit on Faust (idempotent)."""
    if getattr(Consumer, _MENDED, False):
        return
    Consumer.commit = gated(Consumer.commit)  # type: ignore[method-assign]
    TransactionManager.on_rebalance = after_commits(TransactionManager.on_rebalance)  # type: ignore[method-assign]
    Producer.commit_transactions = commit_transactions_concurrently  # type: ignore[method-assign]
    setattr(Consumer, _MENDED, True)
