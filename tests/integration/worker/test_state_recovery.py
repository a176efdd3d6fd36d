"""A worker that starts without local state rebuilds its tables from the changelogs before it processes."""

from __future__ import annotations

import shutil
from collections.abc import Callable
from datetime import date
from pathlib import Path

import pytest
from aiokafka.structs import TopicPartition

from app.contracts.topics import PSA_PROJECTS, PSA_TIME_ENTRIES
from replay.kafka_read import commit
from tests.support.factories import contract, time_entry
from tests.support.kafka_io import KafkaIO
from tests.support.replay_drills import replay_env, state_of, stopped, wait_consumed
from tests.support.workers import WorkerProcess

pytestmark = pytest.mark.integration


async def test_a_worker_without_local_state_recovers_the_ledger_before_it_reads_inputs_again(
    kafka_io: KafkaIO, start_worker: Callable[..., WorkerProcess], tmp_path: Path
) -> None:
    await kafka_io.send(PSA_PROJECTS, "P-1", contract("P-1"))
    await kafka_io.send(
        PSA_TIME_ENTRIES, "P-1", time_entry("P-1", entry_id="TE-1", work_date=date(2026, 2, 2))
    )
    worker = start_worker("w1")
    env = replay_env(kafka_io)
    state_of(worker, "P-1", {"posted": "1200.00"})
    await wait_consumed(env)
    await stopped(worker, env)
    # A new host: no RocksDB. The time entries are read again from the start (an operator's rewind), so a
    # ledger that was not recovered shows at once: the entry would park for a project it does not know.
    shutil.rmtree(tmp_path / "w1" / "v1" / "tables")
    await commit(
        env.kafka, env.group, {TopicPartition(kafka_io.name(PSA_TIME_ENTRIES), p): 0 for p in range(6)}
    )

    restarted = start_worker("w1")

    status, body = restarted.get("/projects/P-1")
    assert status == 200, body  # recovered before the worker reported ready
    assert state_of(restarted, "P-1", {"posted": "1200.00", "hours_total": "8.00", "parked": 0})
