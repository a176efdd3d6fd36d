"""Helpers of the replay drills: the test namespace's replay environment, the wrong-rate-card feed, waits."""

from __future__ import annotations

import asyncio
import os
import signal
import subprocess
import sys
import time
from collections import defaultdict
from datetime import date
from decimal import Decimal
from pathlib import Path
from typing import Any

from aiokafka.structs import TopicPartition

from app.contracts.codec import AvroCodec, load_versions
from app.contracts.topics import ERP_BILLING_COMMANDS, PSA_PROJECTS, PSA_TIME_ENTRIES
from domain.records.erp import BillingCommand
from domain.records.psa import BillRate, ProjectContract, TimeEntry
from replay import plan as plans
from replay.env import ReplayEnv
from replay.kafka_read import Reader, commit, committed
from replay.reset import members
from replay.selection import LEDGER_INPUTS
from tests.support.factories import contract, envelope, play, time_entry
from tests.support.kafka_io import KafkaIO
from tests.support.operators import credential
from tests.support.workers import WorkerProcess

JAN1, MAR1 = date(2026, 1, 1), date(2026, 3, 1)
RIGHT = (
    BillRate(role="consultant", rate=Decimal("150.00"), effective_from=JAN1),
    BillRate(role="consultant", rate=Decimal("165.00"), effective_from=MAR1),
)
# The typo: 1500 instead of 165 from March on.
WRONG = (RIGHT[0], BillRate(role="consultant", rate=Decimal("1500.00"), effective_from=MAR1))


def replay_env(kafka_io: KafkaIO, codec: AvroCodec | None = None, avro_dir: Path | None = None) -> ReplayEnv:
    """Return the replay environment of the test's namespace and worker group (see start_worker)."""
    versions = load_versions(avro_dir) if avro_dir else load_versions()
    return ReplayEnv(
        kafka=kafka_io.kafka,
        prefix=kafka_io.prefix,
        group=f"psflow-{kafka_io.prefix.rstrip('.')}",
        codec=codec or kafka_io.codec,
        index=plans.SchemaIndex(versions),
    )


async def wait_consumed(env: ReplayEnv, timeout_s: float = 60) -> None:
    """Poll until the worker group has committed every record of the ledger's inputs."""
    tps = [TopicPartition(env.name(s), p) for s in LEDGER_INPUTS for p in range(s.partitions)]
    deadline = time.monotonic() + timeout_s
    async with Reader(env.kafka) as reader:
        while True:
            ends = {tp: b[1] for tp, b in (await reader.bounds(tps)).items()}
            done = await committed(env.kafka, env.group, tps)
            if all(done[tp] >= ends[tp] for tp in tps):
                return
            assert time.monotonic() < deadline, f"group never caught up: {done} of {ends}"
            await asyncio.sleep(0.2)  # polling interval


async def commands_of(kafka_io: KafkaIO, count: int) -> list[BillingCommand]:
    """Read at least `count` committed commands, in partition offset order."""
    raw = await kafka_io.read(ERP_BILLING_COMMANDS, lambda rs: len(rs) >= count)
    return [
        kafka_io.codec.decode(r.value, BillingCommand)
        for r in sorted(raw, key=lambda r: (r.partition, r.offset))
    ]


def sums(commands: list[BillingCommand]) -> dict[str, Decimal]:
    """Return the net amount of each project's commands (each id once, as the ERP counts them)."""
    total: dict[str, Decimal] = defaultdict(Decimal)
    for cmd in {c.command_id: c for c in commands}.values():
        total[cmd.project_id] += cmd.amount
    return dict(total)


def card_contract(project: str, version: int, rates: tuple[BillRate, ...]) -> ProjectContract:
    return contract(project, contract_version=version, bill_rates=rates, envelope=envelope("contract"))


def card_time(project: str, entry: str, day: date, hours: str) -> TimeEntry:
    return time_entry(project, entry_id=entry, work_date=day, hours=Decimal(hours))


def feed() -> list[tuple[str, ProjectContract | TimeEntry]]:
    """P-A runs on the wrong card until v2 corrects it from March 1; P-B is right throughout."""
    return [
        ("P-A", card_contract("P-A", 1, WRONG)),
        ("P-B", card_contract("P-B", 1, RIGHT)),
        ("P-A", card_time("P-A", "TE-A1", date(2026, 2, 27), "8.00")),  # before March: 150, right
        ("P-A", card_time("P-A", "TE-A2", date(2026, 3, 2), "8.00")),  # 1500 charged, 165 right
        ("P-B", card_time("P-B", "TE-B1", date(2026, 3, 2), "8.00")),
        ("P-A", card_time("P-A", "TE-A3", date(2026, 3, 3), "4.00")),  # 1500 charged, 165 right
        ("P-A", card_contract("P-A", 2, RIGHT)),  # the approved correction, effective March 1
        ("P-A", card_time("P-A", "TE-A4", date(2026, 3, 4), "2.00")),  # after v2: 165, right
    ]


def clean_run_sums(records: list[tuple[str, ProjectContract | TimeEntry]]) -> dict[str, Decimal]:
    """Return what the domain posts per project had the right card been in force from the start."""
    out: dict[str, Decimal] = {}
    for project in ("P-A", "P-B"):
        mine = [r for key, r in records if key == project]
        mine = [
            r.model_copy(update={"bill_rates": RIGHT}) if isinstance(r, ProjectContract) else r for r in mine
        ]
        out[project] = sum((c.amount for c in play(*mine).commands), Decimal("0.00"))
    return out


async def send(kafka_io: KafkaIO, records: list[tuple[str, ProjectContract | TimeEntry]]) -> None:
    for key, record in records:
        spec = PSA_PROJECTS if isinstance(record, ProjectContract) else PSA_TIME_ENTRIES
        await kafka_io.send(spec, key, record)


def cli(kafka_io: KafkaIO, *args: str, operator: str | None = "ana") -> subprocess.CompletedProcess[str]:
    """Run `psflow replay ...` as `operator` would (see tests.support.operators), in the test's namespace."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("PSFLOW_")}
    env.update(kafka_io.environment)
    env.update(credential(operator))
    env.update(
        PSFLOW_TOPIC_PREFIX=kafka_io.prefix,
        PSFLOW_APP_ID=f"psflow-{kafka_io.prefix.rstrip('.')}",
    )
    return subprocess.run(
        [sys.executable, "-m", "app.cli", "replay", *args],
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )


def state_of(worker: WorkerProcess, project: str, expected: dict[str, Any], timeout_s: float = 60) -> Any:
    deadline = time.monotonic() + timeout_s
    body: Any = None
    while time.monotonic() < deadline:
        status, body = worker.get(f"/projects/{project}")
        if status == 200 and {k: body.get(k) for k in expected} == expected:
            return body
        time.sleep(0.3)  # polling interval
    raise AssertionError(f"{project} never reached {expected}; last {body}")


async def stopped(worker: WorkerProcess, env: ReplayEnv) -> None:
    assert worker.stop(signal.SIGTERM) == 0
    deadline = time.monotonic() + 60
    while await members(env.kafka, env.group):
        assert time.monotonic() < deadline, "the stopped worker never left the group"
        await asyncio.sleep(0.3)  # polling interval


async def commit_group_at_end(env: ReplayEnv) -> None:
    """Commit the worker group's offsets at the inputs' ends, as a drained worker leaves them."""
    tps = [TopicPartition(env.name(s), p) for s in LEDGER_INPUTS for p in range(s.partitions)]
    async with Reader(env.kafka) as reader:
        ends = {tp: b[1] for tp, b in (await reader.bounds(tps)).items()}
    await commit(env.kafka, env.group, ends)
