"""The seed scenario through real Kafka: exact commands, final state, restarts, and two workers."""

from __future__ import annotations

import signal
import time
from collections import defaultdict
from collections.abc import Callable
from decimal import Decimal
from typing import Any

import pytest

from app.contracts.topics import ERP_BILLING_COMMANDS, OPS_EXCEPTIONS
from domain.records.ops import BusinessException, ExceptionReason
from tests.support.kafka_io import KafkaIO
from tests.support.seed import EXPECTED_COMMANDS, EXPECTED_ORION_STATE, Feed, erp_feed, psa_feed
from tests.support.workers import WorkerProcess

pytestmark = pytest.mark.integration

EXPECTED_IDS = {cid for commands in EXPECTED_COMMANDS.values() for cid, _ in commands}


async def _send(kafka_io: KafkaIO, feed: Feed) -> None:
    for spec, key, record in feed:
        await kafka_io.send(spec, key, record)


async def _commands_by_id(kafka_io: KafkaIO, at_least: int, timeout_s: float = 90) -> dict[str, list[bytes]]:
    """Read committed commands until `at_least` distinct ids are there; return every copy of each."""

    def distinct(records: list[Any]) -> int:
        return len({kafka_io.codec.decode_any(r.value).command_id for r in records})

    raw = await kafka_io.read(ERP_BILLING_COMMANDS, lambda rs: distinct(rs) >= at_least, timeout_s=timeout_s)
    copies: dict[str, list[bytes]] = defaultdict(list)
    for r in raw:
        copies[kafka_io.codec.decode_any(r.value).command_id].append(r.value)
    return copies


def _wait_for_state(
    worker: WorkerProcess, project: str, expected: dict[str, Any], timeout_s: float = 60
) -> None:
    deadline = time.monotonic() + timeout_s
    state: Any = None
    while time.monotonic() < deadline:
        status, state = worker.get(f"/projects/{project}")
        if status == 200 and {k: state.get(k) for k in expected} == expected:
            return
        time.sleep(0.3)  # polling interval
    raise AssertionError(f"{project} state never became {expected}; last {state}")


async def test_the_seed_scenario_posts_exactly_the_expected_commands_and_state(
    kafka_io: KafkaIO, start_worker: Callable[..., WorkerProcess]
) -> None:
    await _send(kafka_io, psa_feed())
    worker = start_worker()
    raw = await kafka_io.read(ERP_BILLING_COMMANDS, lambda rs: len(rs) >= len(EXPECTED_IDS), timeout_s=90)
    by_project: dict[str, list[tuple[str, Decimal]]] = defaultdict(list)
    # A project's commands share a key, hence a partition: offset order is the order the ERP reads them in.
    for r in sorted(raw, key=lambda r: (r.partition, r.offset)):
        command = kafka_io.codec.decode_any(r.value)
        by_project[command.project_id].append((command.command_id, command.amount))
    assert dict(by_project) == EXPECTED_COMMANDS

    await _send(kafka_io, erp_feed())
    _wait_for_state(worker, "P-ORION", EXPECTED_ORION_STATE)
    status, _ = worker.get("/projects/P-NOBODY")
    assert status == 404

    exceptions = await kafka_io.read_records(OPS_EXCEPTIONS, count=1)
    assert [(e.reason, e.command_id) for e in exceptions if isinstance(e, BusinessException)] == [
        (ExceptionReason.ERP_REJECTED, "cmd:TE-102:r1:POST_TIME_CHARGE")
    ]


async def test_sigterm_and_sigkill_mid_scenario_lose_nothing_and_change_nothing(
    kafka_io: KafkaIO, start_worker: Callable[..., WorkerProcess]
) -> None:
    feed = psa_feed()
    await _send(kafka_io, feed[:6])
    first = start_worker("w1")
    await _commands_by_id(kafka_io, at_least=4)
    assert first.stop(signal.SIGTERM) == 0

    await _send(kafka_io, feed[6:11])
    second = start_worker("w1")  # same host, same state folder, as a restarted pod would have
    try:
        await _commands_by_id(kafka_io, at_least=8, timeout_s=90)
    except AssertionError:
        print("HEALTH", second.get("/health"))
        raise
    second.stop(signal.SIGKILL)

    await _send(kafka_io, feed[11:] + erp_feed())
    third = start_worker("w1")
    try:
        copies = await _commands_by_id(kafka_io, at_least=len(EXPECTED_IDS), timeout_s=90)
    except AssertionError:
        print("HEALTH3", third.get("/health"))
        raise

    assert set(copies) == EXPECTED_IDS
    assert {cid: len(set(c)) for cid, c in copies.items() if len(set(c)) > 1} == {}
    _wait_for_state(third, "P-ORION", EXPECTED_ORION_STATE)


async def test_any_worker_answers_for_any_project_with_two_workers_running(
    kafka_io: KafkaIO, start_worker: Callable[..., WorkerProcess]
) -> None:
    await _send(kafka_io, psa_feed() + erp_feed())
    workers = [start_worker("w1"), start_worker("w2")]
    _wait_for_split(workers)
    for worker in workers:
        _wait_for_state(worker, "P-ORION", EXPECTED_ORION_STATE)
        _wait_for_state(worker, "P-VEGA", {"posted": "960.00", "currency": "EUR"})
        assert worker.get("/projects/P-NOBODY")[0] == 404


def _wait_for_split(workers: list[WorkerProcess], timeout_s: float = 90) -> None:
    """Wait until the group has settled with every worker owning some input partitions."""
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        assigned = []
        for worker in workers:
            status, body = worker.get("/health")
            assigned.append(set(body["assigned"]) if status == 200 and isinstance(body, dict) else set())
        owned = [{a for a in s if ".psa.projects:" in a} for s in assigned]
        if all(owned) and sum(len(o) for o in owned) == 6 and not set.intersection(*owned):
            return
        time.sleep(0.3)  # polling interval
    raise AssertionError(f"the group never split the partitions: {assigned}")
