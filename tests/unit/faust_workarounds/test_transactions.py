"""Faust commits only at a batch boundary, every partition at once, and a cut batch is dropped whole."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Iterator
from types import SimpleNamespace
from typing import Any

import pytest
from faust.types import TP

from app.faust_workarounds import transactions
from app.faust_workarounds.transactions import (
    BATCH_GATE,
    Revoked,
    abandon,
    after_commits,
    commit_transactions_concurrently,
    gated,
    producer_for,
)


@pytest.fixture(autouse=True)
def gate_reset() -> Iterator[None]:
    yield
    BATCH_GATE.in_flight = BATCH_GATE.at_boundary = False


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


async def test_faust_does_not_commit_in_the_middle_of_a_batch_but_does_at_its_boundary() -> None:
    commits: list[str] = []

    async def faust_commit(self: Any) -> bool:
        commits.append("committed")
        return True

    commit = gated(faust_commit)
    BATCH_GATE.in_flight = True

    assert await commit(object()) is False
    BATCH_GATE.at_boundary = True
    assert await commit(object()) is True
    BATCH_GATE.in_flight = BATCH_GATE.at_boundary = False
    assert await commit(object()) is True
    assert commits == ["committed", "committed"]


async def test_a_rebalance_waits_for_the_commit_in_flight() -> None:
    order: list[str] = []

    async def faust_rebalance(self: Any) -> None:
        order.append("rebalance")

    rebalance = after_commits(faust_rebalance)
    async with BATCH_GATE.lock:
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


async def test_an_abandoned_batch_aborts_its_partitions_and_its_events_are_read_again_not_acked() -> None:
    kept, moved = TP("psa.time-entries", 1), TP("psa.time-entries", 2)
    app = fake_app(
        tids={"psflow-0-1": FakeTransactionalProducer(), "psflow-0-2": FakeTransactionalProducer()},
        assigned={kept},
    )
    events = [
        SimpleNamespace(
            message=SimpleNamespace(acked=False, topic=tp.topic, partition=tp.partition, offset=o)
        )
        for tp, o in ((kept, 12), (moved, 7), (kept, 11))
    ]

    await abandon(app, [("psa.time-entries", 1), ("psa.time-entries", 2), ("psa.time-entries", 1)], events)

    assert app.producer.calls == [
        "abort:psflow-0-1",
        "begin:psflow-0-1",
        "abort:psflow-0-2",
        "begin:psflow-0-2",
    ]
    # Marked acked without the consumer hearing of it: Faust's batch iterator will not ack them either.
    assert all(e.message.acked for e in events)
    # Read again from the first of them where the partition is still ours (a rebalance seeks the others).
    assert app.consumer.seeks == [(kept, 11)]


def test_the_transactional_id_is_the_one_faust_gives_the_partitions_producer() -> None:
    assert transactions.transactional_id(fake_app(), "psa.time-entries", 5) == "psflow-0-5"
