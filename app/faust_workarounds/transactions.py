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
- commits a batch's own offsets at its boundary (`commit_offsets`): its records never pass through Faust's
  acks (`bulk`), so Faust's own commits (timer, ack counter, task errors, stop) never carry part of one;
  every partition's transaction of a batch commits concurrently instead of one by one;
- holds Faust's rebalance handler back while a commit is in flight, so no producer is stopped mid-commit;
- on a rebalance mid-batch, aborts the partitions' open transactions and reads the batch's records again
  (`abandon`).
"""

from __future__ import annotations

import asyncio
from collections.abc import Mapping
from typing import Any

from aiokafka.structs import TopicPartition
from faust.transport.consumer import Consumer, TransactionManager
from faust.transport.drivers.aiokafka import Producer
from faust.types import TP

_MENDED = "_psflow_batch_commits"


class Revoked(Exception):
    """The partition a record came from is no longer this worker's: its batch must be abandoned."""


# Held while a batch commits: Faust's rebalance handler waits for it (`after_commits`), so no producer is
# stopped in the middle of a commit.
COMMIT_LOCK = asyncio.Lock()


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


async def commit_offsets(app: Any, offsets: Mapping[tuple[str, int], int]) -> bool:
    """Commit a batch: each partition's transaction with the offset after its last record, all at once.

    The offsets are the batch's own, not Faust's acked ones: bulk records never pass through Faust's acks
    (app.faust_workarounds.bulk), so no commit of Faust's can carry half a batch. Partitions revoked in the
    meantime are left out by Faust (their records are read again by their new owner).
    """
    async with COMMIT_LOCK:
        # aiokafka's own TopicPartition: its send_offsets_to_transaction refuses Faust's TP.
        tps = {TopicPartition(t, p): o for (t, p), o in offsets.items()}
        committed: bool = await app.consumer._commit_offsets(tps)
        return committed


async def abandon(app: Any, firsts: Mapping[tuple[str, int], int]) -> None:
    """Abort the open transactions of a batch's partitions and read them again from their first records."""
    await seek_back(app, firsts)
    if not app.in_transaction:
        return
    tids = set()
    for topic, partition in firsts:
        try:
            tids.add(transactional_id(app, topic, partition))
        except KeyError:
            continue
    for tid in sorted(tids):
        if tid in app.producer._transaction_producers:
            await app.producer.abort_transaction(tid)
            await app.producer.begin_transaction(tid)


async def seek_back(app: Any, firsts: Mapping[tuple[str, int], int]) -> None:
    """Read partitions again from the given offsets where they are still this worker's.

    After a rebalance Faust itself seeks each assigned partition to its committed offset.
    """
    assigned = app.consumer.assignment() if firsts else set()
    for (topic, partition), offset in sorted(firsts.items()):
        if TP(topic, partition) in assigned:
            await app.consumer.seek(TP(topic, partition), offset)


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


def after_commits(on_rebalance: Any) -> Any:
    """Return Faust's transaction rebalance handler waiting for a batch commit in flight to finish."""

    async def rebalance_after_commit(self: Any, *args: Any, **kwargs: Any) -> None:
        async with COMMIT_LOCK:
            await on_rebalance(self, *args, **kwargs)

    return rebalance_after_commit


def bend_commits() -> None:
    """Install the rebalance wait and the concurrent commit on Faust (idempotent)."""
    if getattr(Consumer, _MENDED, False):
        return
    TransactionManager.on_rebalance = after_commits(TransactionManager.on_rebalance)  # type: ignore[method-assign]
    Producer.commit_transactions = commit_transactions_concurrently  # type: ignore[method-assign]
    setattr(Consumer, _MENDED, True)
