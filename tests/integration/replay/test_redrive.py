"""Drill: time for an unknown project is raised; the project arrives and psflow resolves it; redrive then has
nothing to do, and re-driving what is still unknown parks it again."""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable

import pytest

from app.contracts.topics import (
    ERP_BILLING_COMMANDS,
    OPS_EXCEPTIONS,
    PSA_PROJECTS,
    PSA_RESOURCE_ASSIGNMENTS,
    PSA_TIME_ENTRIES,
)
from domain.records.erp import BillingCommand, BillingCommandType
from domain.records.governance import ReplayAction, ReplayResult
from domain.records.ops import BusinessException, ExceptionReason, ExceptionState
from domain.redrive import REDRIVE_OF
from replay.audit import history
from replay.redrive import ExceptionFilter, NotRedrivable, redrive
from tests.support.factories import contract, time_entry
from tests.support.kafka_io import KafkaIO
from tests.support.replay_drills import replay_env, wait_consumed
from tests.support.workers import WorkerProcess

pytestmark = pytest.mark.integration

# Park for one second, sweep every second: UNKNOWN_PROJECT is raised within a few seconds.
FAST_PARKING = {"PSFLOW_PARK_LIMIT": "1", "PSFLOW_SWEEP_INTERVAL": "1"}


async def test_the_project_arriving_resolves_its_parked_time_so_a_redrive_posts_nothing(
    kafka_io: KafkaIO, start_worker: Callable[..., WorkerProcess]
) -> None:
    entries = [time_entry("P-GHOST", entry_id=f"TE-G{i}") for i in (1, 2)]
    for entry in entries:
        await kafka_io.send(PSA_TIME_ENTRIES, "P-GHOST", entry)
    await kafka_io.send(PSA_TIME_ENTRIES, "P-B", time_entry("P-B"))  # another unknown project, not selected
    start_worker(env=FAST_PARKING)
    raised = await kafka_io.read_records(OPS_EXCEPTIONS, count=3)
    assert Counter((e.reason, e.project_id) for e in raised) == {
        (ExceptionReason.UNKNOWN_PROJECT, "P-GHOST"): 2,
        (ExceptionReason.UNKNOWN_PROJECT, "P-B"): 1,
    }

    await kafka_io.send(PSA_PROJECTS, "P-GHOST", contract("P-GHOST"))  # the cause is fixed
    env = replay_env(kafka_io)
    await kafka_io.read(ERP_BILLING_COMMANDS, lambda rs: len(rs) >= 3)
    await wait_consumed(env)

    # The contract released the parked time and psflow resolved both UNKNOWN_PROJECT itself: nothing is open.
    selection = ExceptionFilter(reason=ExceptionReason.UNKNOWN_PROJECT, projects=("P-GHOST",))
    first = await redrive(env, selection, "ana", "project P-GHOST created in the PSA", rate=50, wait_s=0)
    assert (first.selected, first.sent, first.already, first.resolved) == (0, 0, 0, 0)

    await wait_consumed(env)
    inputs = await kafka_io.read(PSA_TIME_ENTRIES, lambda rs: len(rs) >= 3)
    redriven = [r for r in inputs if any(name == REDRIVE_OF for name, _ in r.headers or ())]
    assert len(inputs) == 3 and redriven == []  # nothing re-published: nothing needed it

    commands = [
        kafka_io.codec.decode(r.value, BillingCommand)
        for r in await kafka_io.read(ERP_BILLING_COMMANDS, lambda rs: len(rs) >= 3)
    ]
    charges = Counter(c.command_id for c in commands if c.command_type is BillingCommandType.POST_TIME_CHARGE)
    assert charges == {f"cmd:{e.entry_id}:r1:POST_TIME_CHARGE": 1 for e in entries}

    states = await kafka_io.read_records(OPS_EXCEPTIONS, count=5)
    latest = {e.exception_id: e.state for e in states if isinstance(e, BusinessException)}
    assert sorted(latest.values()) == [ExceptionState.OPEN, ExceptionState.RESOLVED, ExceptionState.RESOLVED]

    # P-B is still unknown: its re-drive is processed but parks again, so the worker raises it again.
    stuck = await redrive(env, ExceptionFilter(projects=("P-B",)), "ana", "P-B created?", wait_s=60)
    assert (stuck.selected, stuck.sent, stuck.resolved, stuck.failed) == (1, 1, 0, 1)
    again = [e for e in await kafka_io.read_records(OPS_EXCEPTIONS, count=6) if e.project_id == "P-B"]
    assert [(e.state, "redrive_failed" in e.details) for e in again] == [
        (ExceptionState.OPEN, False),
        (ExceptionState.OPEN, True),
    ]
    assert len({e.exception_id for e in again}) == 1

    with pytest.raises(NotRedrivable):  # a billing hold is released by raising the cap, not by a re-drive
        await redrive(env, ExceptionFilter(reason=ExceptionReason.BILLING_HOLD), "ana", "why not")

    audits = await history(env)
    assert [(a.action, a.result, a.counts.get("redriven")) for a in audits] == [
        (ReplayAction.REDRIVE, ReplayResult.SUCCEEDED, 0),
        (ReplayAction.REDRIVE, ReplayResult.SUCCEEDED, 1),
        (ReplayAction.REDRIVE, ReplayResult.REFUSED, None),
    ]


async def test_the_forecast_agent_that_quarantined_a_record_gives_the_verdict_on_its_redrive(
    kafka_io: KafkaIO, start_worker: Callable[..., WorkerProcess]
) -> None:
    await kafka_io.send_raw(PSA_RESOURCE_ASSIGNMENTS, b"R-ANA", b"\x00not avro")
    start_worker()
    (raised,) = await kafka_io.read_records(OPS_EXCEPTIONS, count=1)
    assert (raised.reason, raised.details.get("agent")) == (ExceptionReason.DECODE_BAD_MAGIC, "resource-plan")
    env = replay_env(kafka_io)

    # Still not Avro: the resource-plan agent, the only reader that reports this topic, says it failed.
    attempt = await redrive(
        env, ExceptionFilter(reason=ExceptionReason.DECODE_BAD_MAGIC), "ana", "retry", wait_s=60
    )

    assert (attempt.sent, attempt.resolved, attempt.failed) == (1, 0, 1)
    latest = (await kafka_io.read_records(OPS_EXCEPTIONS, count=2))[-1]
    assert (latest.exception_id, latest.state) == (raised.exception_id, ExceptionState.OPEN)
    assert latest.details["redrive_failed"] == attempt.replay_id
