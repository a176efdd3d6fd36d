"""Drill: reset is refused while a worker runs; with workers stopped, reset + restart rebuild the state."""

from __future__ import annotations

import time
from collections.abc import Callable
from datetime import UTC, date, datetime
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest

from app.contracts import topology
from app.contracts.topics import (
    ERP_BILLING_COMMANDS,
    OPS_EXCEPTIONS,
    PSA_PROJECTS,
    PSA_RESOURCE_ASSIGNMENTS,
    PSA_TIME_ENTRIES,
)
from domain.records.erp import BillingCommand, BillingCommandType
from domain.records.governance import ReplayAction, ReplayResult
from domain.records.ops import ExceptionReason
from domain.records.psa import BillRate, CostRate
from replay.audit import history
from replay.reset import GroupActive, reset, state_dirs
from tests.support.factories import contract, envelope, resource_assignment, time_entry
from tests.support.kafka_io import KafkaIO, wait_until_consumed
from tests.support.replay_drills import replay_env, state_of, stopped, wait_consumed
from tests.support.seed import EXPECTED_ORION_STATE, psa_feed
from tests.support.workers import WorkerProcess

pytestmark = pytest.mark.integration
JAN1 = date(2026, 1, 1)


def _planned(body: Any) -> bool:
    return "planned_utilization" in body.get("months", {}).get("2026-03", {})


def _view(worker: WorkerProcess, path: str, ready: Callable[[Any], bool], timeout_s: float = 60) -> Any:
    deadline = time.monotonic() + timeout_s
    body: Any = None
    while time.monotonic() < deadline:
        status, body = worker.get(path)
        if status == 200 and ready(body):
            return body
        time.sleep(0.3)  # polling interval
    raise AssertionError(f"{path} never got ready; last {body}")


async def test_reset_is_refused_while_a_worker_runs_and_rebuilds_the_same_state_after(
    kafka_io: KafkaIO, start_worker: Callable[..., WorkerProcess], tmp_path: Path
) -> None:
    for spec, key, record in psa_feed():
        await kafka_io.send(spec, key, record)
    # An assignment too: the forecast reads psa.resource-assignments, which the reset must rewind as well.
    plan = resource_assignment("R-NA-1", project_id="P-ORION", start_date=date(2026, 3, 1))
    await kafka_io.send(PSA_RESOURCE_ASSIGNMENTS, "R-NA-1", plan)
    worker = start_worker("w1")
    env = replay_env(kafka_io)
    subset = {k: EXPECTED_ORION_STATE[k] for k in ("contract_version", "posted", "hours_total", "cost")}
    state_of(worker, "P-ORION", subset)
    # Every project's state is final only once the group processed everything, repartitions included (the
    # project forecast, whose figures /projects shows, learns the assignment from one): the worker is idle.
    consumed = [kafka_io.name(spec) for spec in topology.consumed()]
    await wait_until_consumed(kafka_io.kafka, env.group, consumed, partitions=6)
    before = {p: state_of(worker, p, {}) for p in ("P-ORION", "P-VEGA")}
    resource = _view(worker, "/resources/R-NA-1", _planned)

    with pytest.raises(GroupActive):
        await reset(env, [tmp_path / "w1"], None, True, "ana", "rebuild")

    await stopped(worker, env)

    dry = await reset(env, [tmp_path / "w1"], None, False, "ana", "rebuild")
    assert dry.state_dirs and (tmp_path / "w1" / "v1" / "tables").exists()  # a dry run changes nothing
    done = await reset(env, [tmp_path / "w1"], None, True, "ana", "rebuild")
    items = f"{env.group}-project-ledger-items-changelog"
    ledgers = {k.split(b"\x1f")[0] for tp, k in done.tombstones if tp.topic == items}
    assert ledgers == {b"P-ORION", b"P-VEGA"}
    assert state_dirs([tmp_path / "w1"]) == []  # the group's own stores are gone
    again = await reset(env, [tmp_path / "w1"], None, False, "ana", "check")
    assert again.tombstones == []  # the restarted worker recovers an empty table

    restarted = start_worker("w1")
    after = {p: state_of(restarted, p, before[p]) for p in ("P-ORION", "P-VEGA")}
    assert after == before
    assert _view(restarted, "/resources/R-NA-1", lambda b: b == resource) == resource

    audits = [(a.action, a.result) for a in await history(env)]
    assert audits == [
        (ReplayAction.RESET, ReplayResult.REFUSED),
        (ReplayAction.RESET, ReplayResult.DRY_RUN),
        (ReplayAction.RESET, ReplayResult.SUCCEEDED),
        (ReplayAction.RESET, ReplayResult.DRY_RUN),
    ]


async def test_a_reset_to_a_time_decides_again_what_came_after_it_and_keeps_what_came_before(
    kafka_io: KafkaIO, start_worker: Callable[..., WorkerProcess], tmp_path: Path
) -> None:
    # Record timestamps set apart explicitly: the cutover must fall between TE-1 and TE-2 whatever the clock.
    now_ms = int(datetime.now(UTC).timestamp() * 1000)
    architect = time_entry("P-1", entry_id="TE-2", role="architect", work_date=date(2026, 3, 2))
    for offset_s, spec, record in (
        (-20, PSA_PROJECTS, contract("P-1")),
        (-10, PSA_TIME_ENTRIES, time_entry("P-1", entry_id="TE-1", work_date=date(2026, 2, 2))),
        (0, PSA_TIME_ENTRIES, architect),
    ):
        value = kafka_io.codec.encode(record)
        await kafka_io.producer.send_and_wait(
            kafka_io.name(spec), value=value, key=b"P-1", timestamp_ms=now_ms + offset_s * 1000
        )
    cutover = datetime.fromtimestamp((now_ms - 5_000) / 1000, UTC)
    # The rate card had no architect rate: TE-2 is refused.
    worker = start_worker("w1")
    env = replay_env(kafka_io)
    (refused,) = await kafka_io.read_records(OPS_EXCEPTIONS, count=1)
    assert refused.reason is ExceptionReason.VALIDATION_FAILED
    state_of(worker, "P-1", {"posted": "1200.00"})
    # The fix: an amended rate card (the ledger takes it; TE-2 stays refused until it is decided again).
    fixed = contract(
        "P-1",
        contract_version=2,
        envelope=envelope("project.contract_version"),
        bill_rates=(
            *contract().bill_rates,
            BillRate(role="architect", rate=Decimal("200.00"), effective_from=JAN1),
        ),
        cost_rates=(
            *contract().cost_rates,
            CostRate(role="architect", rate=Decimal("100.00"), effective_from=JAN1),
        ),
    )
    await kafka_io.producer.send_and_wait(
        kafka_io.name(PSA_PROJECTS),
        value=kafka_io.codec.encode(fixed),
        key=b"P-1",
        timestamp_ms=now_ms + 10_000,
    )
    state_of(worker, "P-1", {"contract_version": 2, "posted": "1200.00"})
    await wait_consumed(env)
    await stopped(worker, env)

    done = await reset(env, [tmp_path / "w1"], cutover, True, "ana", "TE-2 is priced now")
    moved = {f"{tp.topic}:{tp.partition}": (now, to) for tp, (now, to) in done.offsets.items() if now != to}
    (entries,) = [k for k in moved if k.startswith(kafka_io.name(PSA_TIME_ENTRIES))]
    (projects,) = [k for k in moved if k.startswith(kafka_io.name(PSA_PROJECTS))]
    assert moved == {entries: (2, 1), projects: (2, 1)}  # only TE-2 and v2 came after the cutover
    assert {tp.topic for tp, _ in done.tombstones} == {f"{env.group}-project-ledger-offsets-changelog"}

    restarted = start_worker("w1")
    await wait_consumed(env)
    assert state_of(restarted, "P-1", {"posted": "2800.00", "hours_total": "16.00"})  # 1200 + 8 h x 200
    commands: list[BillingCommand] = await kafka_io.read_to_end(ERP_BILLING_COMMANDS)
    charges = [c.command_id for c in commands if c.command_type is BillingCommandType.POST_TIME_CHARGE]
    assert sorted(charges) == ["cmd:TE-1:r1:POST_TIME_CHARGE", "cmd:TE-2:r1:POST_TIME_CHARGE"]
