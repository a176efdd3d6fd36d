"""A batch commits its own offsets, every partition at once, and a cut batch is dropped whole."""

from __future__ import annotations

import asyncio
import time
from types import SimpleNamespace
from typing import Any

import pytest
from aiokafka.structs import TopicPartition
from faust.types import TP

from app.faust_workarounds import transactions
from app.faust_workarounds.transactions import (
    COMMIT_LOCK,
    Revoked,
    abandon,
    after_commits,
    commit_offsets,
    commit_transactions_concurrently,
    producer_for,
)


class FakeTransactionalProducer:
    def __init__(self, delay: float = 0.0) -> None:
        self.delay = delay
        self.calls: list[str] = []

    async def send_offsets_to_transaction(self, offsets: Any, group_id: str) -> None:
        self.calls.append(f"offsets:{group_id}")
        await asyncio.sleep(self.delay)  # the broker's round trip

    async def commit_transaction(self) -> None:
        self.calls.append("commit")

    async def begin_transaction(self) -> None:
        self.calls.append("begin")


class FakeFaustProducer:
    def __init__(self, tids: dict[str, FakeTransactionalProducer]) -> None:
        self._transaction_producers = tids
        self._trn_locks = {tid: asyncio.Lock() for tid in tids}
        self.plain = object()
        self.calls: list[str] = []

    def _ensure_producer(self) -> object:
        return self.plain

    async def abort_transaction(self, tid: str) -> None:
        self.calls.append(f"abort:{tid}")

    async def begin_transaction(self, tid: str) -> None:
        self.calls.append(f"begin:{tid}")


class FakeConsumer:
    def __init__(self, assigned: set[TP]) -> None:
        self.assigned = assigned
        self.seeks: list[tuple[TP, int]] = []
        self.committed: list[dict[Any, int]] = []
        self.lock_held_while_committing = False

    async def _commit_offsets(self, offsets: dict[Any, int]) -> bool:
        self.lock_held_while_committing = COMMIT_LOCK.locked()
        self.committed.append(offsets)
        return True

    def assignment(self) -> set[TP]:
        return self.assigned

    async def seek(self, tp: TP, offset: int) -> None:
        self.seeks.append((tp, offset))


def fake_app(
    in_transaction: bool = True,
    tids: dict[str, FakeTransactionalProducer] | None = None,
    assigned: set[TP] | None = None,
) -> Any:
    return SimpleNamespace(
        in_transaction=in_transaction,
        conf=SimpleNamespace(id="psflow"),
        assignor=SimpleNamespace(group_for_topic=lambda topic: {"psa.time-entries": 0}[topic]),
        producer=FakeFaustProducer(tids or {}),
        consumer=FakeConsumer(assigned or set()),
    )


async def test_a_batch_commits_exactly_its_own_offsets_under_the_commit_lock() -> None:
    app = fake_app(assigned={TP("psa.time-entries", 1)})

    assert await commit_offsets(app, {("psa.time-entries", 1): 13, ("psa.projects", 1): 4}) is True

    (offsets,) = app.consumer.committed
    # aiokafka's send_offsets_to_transaction refuses any key but its own TopicPartition.
    assert all(isinstance(tp, TopicPartition) for tp in offsets)
    assert offsets == {TopicPartition("psa.time-entries", 1): 13, TopicPartition("psa.projects", 1): 4}
    assert app.consumer.lock_held_while_committing  # a rebalance waits for it (after_commits)


async def test_a_rebalance_waits_for_the_commit_in_flight() -> None:
    order: list[str] = []

    async def faust_rebalance(self: Any) -> None:
        order.append("rebalance")

    rebalance = after_commits(faust_rebalance)
    async with COMMIT_LOCK:
        waiting = asyncio.create_task(rebalance(object()))
        await asyncio.sleep(0.01)
        order.append("commit done")
    await waiting

    assert order == ["commit done", "rebalance"]


def test_a_records_outputs_go_to_the_producer_of_its_own_partition() -> None:
    mine = FakeTransactionalProducer()
    app = fake_app(tids={"psflow-0-3": mine})

    assert producer_for(app, "psa.time-entries", 3) is mine
    with pytest.raises(Revoked):
        producer_for(app, "psa.time-entries", 4)  # not (or no longer) this worker's partition
    with pytest.raises(Revoked):
        producer_for(app, "psa.unknown", 3)


def test_without_transactions_outputs_go_to_the_plain_producer() -> None:
    app = fake_app(in_transaction=False)

    assert producer_for(app, "psa.time-entries", 3) is app.producer.plain


async def test_every_partition_commits_at_once_not_one_after_the_other() -> None:
    producers = {f"psflow-0-{p}": FakeTransactionalProducer(delay=0.1) for p in range(6)}
    faust_producer = FakeFaustProducer(producers)

    started = time.monotonic()
    await commit_transactions_concurrently(faust_producer, {tid: {} for tid in producers}, "group")

    assert time.monotonic() - started < 0.3  # six 0.1 s round trips, overlapped
    assert all(p.calls == ["offsets:group", "commit", "begin"] for p in producers.values())


async def test_an_abandoned_batch_aborts_its_partitions_and_its_records_are_read_again() -> None:
    kept = TP("psa.time-entries", 1)
    app = fake_app(
        tids={"psflow-0-1": FakeTransactionalProducer(), "psflow-0-2": FakeTransactionalProducer()},
        assigned={kept},
    )

    await abandon(app, {("psa.time-entries", 1): 11, ("psa.time-entries", 2): 7})

    assert app.producer.calls == [
        "abort:psflow-0-1",
        "begin:psflow-0-1",
        "abort:psflow-0-2",
        "begin:psflow-0-2",
    ]
    # Read again from the first of them where the partition is still ours (a rebalance seeks the others).
    assert app.consumer.seeks == [(kept, 11)]


def test_the_transactional_id_is_the_one_faust_gives_the_partitions_producer() -> None:
    assert transactions.transactional_id(fake_app(), "psa.time-entries", 5) == "psflow-0-5"
