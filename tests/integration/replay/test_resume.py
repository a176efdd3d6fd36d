"""An interrupted, throttled apply resumes without duplicates (live outputs produced as the worker would)."""

from __future__ import annotations

import asyncio
import time
from collections import Counter
from datetime import UTC, date, datetime
from decimal import Decimal
from pathlib import Path

import pytest
from aiokafka.structs import TopicPartition

from app.contracts.topics import ERP_BILLING_COMMANDS, PSA_PROJECTS, PSA_TIME_ENTRIES
from domain.records.erp import BillingCommand
from domain.records.psa import ProjectContract, TimeEntry
from replay import plan as plans
from replay import preview as previews
from replay.apply import apply
from replay.env import ReplayEnv
from replay.kafka_read import Reader, Slice
from replay.selection import Selection
from tests.support.factories import contract, envelope, play, time_entry
from tests.support.kafka_io import KafkaIO
from tests.support.replay_drills import RIGHT, WRONG, commit_group_at_end, replay_env

pytestmark = pytest.mark.integration
ENTRIES = 12


async def _as_the_worker_did(kafka_io: KafkaIO, env: ReplayEnv) -> None:
    """Publish P-A's inputs and the commands the domain decided for them; commit the group past the inputs."""
    records: list[ProjectContract | TimeEntry] = [contract("P-A", bill_rates=WRONG)]
    records += [
        time_entry("P-A", entry_id=f"TE-{i}", work_date=date(2026, 3, 2 + i % 20), hours=Decimal("1.00"))
        for i in range(ENTRIES)
    ]
    records.append(contract("P-A", contract_version=2, bill_rates=RIGHT, envelope=envelope("contract")))
    for record in records:
        await kafka_io.send(
            PSA_PROJECTS if isinstance(record, ProjectContract) else PSA_TIME_ENTRIES, "P-A", record
        )
    for command in play(*records).commands:
        await kafka_io.send(ERP_BILLING_COMMANDS, "P-A", command)
    await commit_group_at_end(env)


async def _corrections_on_topic(env: ReplayEnv) -> Counter[str]:
    tps = [TopicPartition(env.name(ERP_BILLING_COMMANDS), p) for p in range(ERP_BILLING_COMMANDS.partitions)]
    async with Reader(env.kafka) as reader:
        bounds = await reader.bounds(tps)
        raw = await reader.read(Slice(tp.topic, tp.partition, *bounds[tp]) for tp in tps)
    commands = [env.codec.decode(r.value, BillingCommand) for r in raw]
    return Counter(c.command_id for c in commands if c.replay_id)


async def test_an_interrupted_apply_resumes_and_emits_each_correction_once(
    kafka_io: KafkaIO, tmp_path: Path
) -> None:
    env = replay_env(kafka_io)
    await _as_the_worker_did(kafka_io, env)
    async with Reader(env.kafka) as reader:
        selection = Selection(topics=("psa.time-entries",), projects=("P-A",))
        plan = await plans.build(reader, selection, env.prefix, env.codec, env.index, datetime.now(UTC))
    plan_file = tmp_path / "plan.json"
    plans.save(plan, plan_file)
    preview = await previews.compute(env, plan)
    previews.save(preview, previews.preview_path(plan_file))
    assert len(preview.commands()) == 2 * ENTRIES

    # 10 commands per second in chunks of 2: interrupted after the first chunks are committed.
    run = asyncio.create_task(apply(env, plan_file, "ana", "rate typo", rate=10))
    deadline = time.monotonic() + 30
    while not await _corrections_on_topic(env):
        assert time.monotonic() < deadline and not run.done()
        await asyncio.sleep(0.1)  # polling interval
    run.cancel()
    with pytest.raises(asyncio.CancelledError):
        await run
    partial = sum((await _corrections_on_topic(env)).values())
    assert 0 < partial < 2 * ENTRIES

    resumed = await apply(env, plan_file, "ana", "rate typo")
    assert (resumed.skipped, resumed.emitted) == (partial, 2 * ENTRIES - partial)
    on_topic = await _corrections_on_topic(env)
    assert set(on_topic) == {c.command_id for c in preview.commands()}
    assert set(on_topic.values()) == {1}
