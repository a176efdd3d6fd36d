"""Drill: reset is refused while a worker runs; with workers stopped, reset + restart rebuild the state."""

from __future__ import annotations

import asyncio
import signal
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from domain.records.governance import ReplayAction, ReplayResult
from replay.audit import history
from replay.reset import GroupActive, members, reset
from tests.integration.kafka_io import KafkaIO
from tests.integration.test_replay_rate_card import replay_env
from tests.integration.workers import WorkerProcess
from tests.scenarios.seed import EXPECTED_ORION_STATE, psa_feed

pytestmark = pytest.mark.integration


def _state(worker: WorkerProcess, project: str, expected: dict[str, Any], timeout_s: float = 60) -> Any:
    deadline = time.monotonic() + timeout_s
    body: Any = None
    while time.monotonic() < deadline:
        status, body = worker.get(f"/projects/{project}")
        if status == 200 and {k: body.get(k) for k in expected} == expected:
            return body
        time.sleep(0.3)  # polling interval
    raise AssertionError(f"{project} never reached {expected}; last {body}")


async def test_reset_is_refused_while_a_worker_runs_and_rebuilds_the_same_state_after(
    kafka_io: KafkaIO, start_worker: Callable[..., WorkerProcess], tmp_path: Path
) -> None:
    for spec, key, record in psa_feed():
        await kafka_io.send(spec, key, record)
    worker = start_worker("w1")
    env = replay_env(kafka_io)
    subset = {k: EXPECTED_ORION_STATE[k] for k in ("contract_version", "posted", "hours_total", "cost")}
    before = {p: _state(worker, p, subset if p == "P-ORION" else {}) for p in ("P-ORION", "P-VEGA")}

    with pytest.raises(GroupActive):
        await reset(env, [tmp_path / "w1"], None, True, "ana", "rebuild")

    assert worker.stop(signal.SIGTERM) == 0
    deadline = time.monotonic() + 60
    while await members(env.bootstrap, env.group):
        assert time.monotonic() < deadline, "the stopped worker never left the group"
        await asyncio.sleep(0.3)  # polling interval

    dry = await reset(env, [tmp_path / "w1"], None, False, "ana", "rebuild")
    assert dry.state_dirs and (tmp_path / "w1" / "v1" / "tables").exists()  # a dry run changes nothing
    done = await reset(env, [tmp_path / "w1"], None, True, "ana", "rebuild")
    ledgers = {k for tp, k in done.tombstones if tp.topic == f"{env.group}-project-ledgers-changelog"}
    assert ledgers == {b"P-ORION", b"P-VEGA"}
    assert not (tmp_path / "w1" / "v1" / "tables").exists()
    again = await reset(env, [tmp_path / "w1"], None, False, "ana", "check")
    assert again.tombstones == []  # the restarted worker recovers an empty table

    restarted = start_worker("w1")
    after = {p: _state(restarted, p, before[p]) for p in ("P-ORION", "P-VEGA")}
    assert after == before

    audits = [(a.action, a.result) for a in await history(env)]
    assert audits == [
        (ReplayAction.RESET, ReplayResult.REFUSED),
        (ReplayAction.RESET, ReplayResult.DRY_RUN),
        (ReplayAction.RESET, ReplayResult.SUCCEEDED),
        (ReplayAction.RESET, ReplayResult.DRY_RUN),
    ]
