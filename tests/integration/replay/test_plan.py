"""`plan` through real Kafka: the key filter reads one partition; old schema versions replay correctly."""

from __future__ import annotations

from datetime import UTC, date, datetime
from decimal import Decimal

import pytest

from app.contracts.codec import AvroCodec, load_versions
from app.contracts.topics import PSA_PROJECTS, PSA_TIME_ENTRIES, partition_for
from domain.records.erp import BillingCommandType
from replay import plan as plans
from replay.kafka_read import Reader
from replay.sandbox import recompute
from replay.selection import Selection
from replay.sources import read_inputs
from tests.support.factories import contract, time_entry
from tests.support.kafka_io import KafkaIO
from tests.support.replay_drills import replay_env

pytestmark = pytest.mark.integration


async def test_a_plan_for_one_project_reads_only_its_partition_and_selects_only_its_records(
    kafka_io: KafkaIO,
) -> None:
    # P-A and P-OK share partition 0; P-B is in partition 1.
    assert partition_for("P-A", 6) == partition_for("P-OK", 6) == 0 and partition_for("P-B", 6) == 1
    for project in ("P-A", "P-OK", "P-B"):
        await kafka_io.send(PSA_PROJECTS, project, contract(project))
        for _ in range(3 if project == "P-A" else 2):
            await kafka_io.send(PSA_TIME_ENTRIES, project, time_entry(project))
    env = replay_env(kafka_io)
    selection = Selection(topics=("psa.projects", "psa.time-entries"), projects=("P-A",))
    async with Reader(env.kafka) as reader:
        plan = await plans.build(reader, selection, env.prefix, env.codec, env.index, datetime.now(UTC))

    assert {(r.topic, r.partition) for r in plan.ranges} == {("psa.projects", 0), ("psa.time-entries", 0)}
    assert plan.scanned == {"psa.projects": 2, "psa.time-entries": 5}  # P-A's and P-OK's records
    assert plan.matched == {"psa.projects": 1, "psa.time-entries": 3}  # P-A's only
    assert plan.subjects == ("P-A",)
    assert plan.schema_versions == {"project_contract": {"v1": 1}, "time_entry": {"v2": 3}}
    assert plans.content_hash(plan) == plan.content_hash


async def test_a_plan_window_in_time_resolves_to_offsets_per_partition(kafka_io: KafkaIO) -> None:
    await kafka_io.send(PSA_TIME_ENTRIES, "P-A", time_entry("P-A"))
    cutoff = datetime.now(UTC)
    for _ in range(2):
        await kafka_io.send(PSA_TIME_ENTRIES, "P-A", time_entry("P-A"))
    env = replay_env(kafka_io)
    selection = Selection(topics=("psa.time-entries",), window_from=cutoff, projects=("P-A",))
    async with Reader(env.kafka) as reader:
        plan = await plans.build(reader, selection, env.prefix, env.codec, env.index, datetime.now(UTC))
    assert [(r.partition, r.start, r.end) for r in plan.ranges] == [(0, 1, 3)]
    assert plan.matched == {"psa.time-entries": 2}


async def test_a_v1_event_written_after_v2_is_released_replays_correctly(
    kafka_io: KafkaIO,
) -> None:
    # time_entry v2 (a task id, the previous project of a move) is released: v1 records stay on the topic.
    codec = AvroCodec.from_directory()
    v1 = next(v for v in load_versions() if v.subject == "time_entry" and v.version == 1)
    assert codec.writer_for(type(time_entry())).version == 2
    old = time_entry(
        "P-A", hours=Decimal("8.00"), work_date=date(2026, 3, 2), description="written by an old PSA"
    )
    new = time_entry("P-A", hours=Decimal("2.00"), work_date=date(2026, 3, 3), task_id="WP-1")
    await kafka_io.send_raw(PSA_PROJECTS, b"P-A", codec.encode(contract("P-A")))
    await kafka_io.send_raw(PSA_TIME_ENTRIES, b"P-A", codec.encode(new))  # v2, newest producer
    await kafka_io.send_raw(PSA_TIME_ENTRIES, b"P-A", codec.encode_with(v1, old.model_dump()))  # v1 after v2
    env = replay_env(kafka_io, codec=codec)

    selection = Selection(topics=("psa.time-entries",), projects=("P-A",))
    async with Reader(env.kafka) as reader:
        plan = await plans.build(reader, selection, env.prefix, env.codec, env.index, datetime.now(UTC))
        inputs = await read_inputs(env, reader, ("P-A",), to_end=True)
    assert plan.schema_versions == {"time_entry": {"v1": 1, "v2": 1}}

    result = recompute("P-A", inputs.events["P-A"], env.park_limit)
    charges = [c for c in result.commands if c.command_type is BillingCommandType.POST_TIME_CHARGE]
    assert [(c.lines[0].source_id, c.amount, c.lines[0].task_id) for c in charges] == [
        (new.entry_id, Decimal("300.00"), "WP-1"),
        (old.entry_id, Decimal("1200.00"), None),  # the v1 record, resolved into the v2 reader
    ]
    assert inputs.undecodable == 0
