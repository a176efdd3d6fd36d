"""Housekeeping through real Kafka: v1 and v2 time entries side by side, an audited plan, an exact reset."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest

from app.contracts.topics import ERP_BILLING_COMMANDS, PSA_PROJECTS, PSA_TIME_ENTRIES
from app.contracts.topology import PROJECT_LEDGER_ITEMS
from domain.records.erp import BillingCommand, BillingCommandType
from domain.records.governance import ReplayAction, ReplayResult
from replay.audit import history
from replay.reset import prepare
from tests.support.factories import contract, time_entry
from tests.support.kafka_io import KafkaIO
from tests.support.replay_drills import cli, commands_of, replay_env, stopped, wait_consumed
from tests.support.workers import WorkerProcess

pytestmark = pytest.mark.integration


async def test_v1_and_v2_records_process_and_replay_plan_is_audited_and_reset_touches_only_its_own(
    kafka_io: KafkaIO, start_worker: Callable[..., WorkerProcess], tmp_path: Path
) -> None:
    v1 = next(v for v in kafka_io.codec.versions() if (v.subject, v.version) == ("time_entry", 1))
    await kafka_io.send(PSA_PROJECTS, "P-EV", contract("P-EV"))
    old = time_entry("P-EV", entry_id="TE-OLD")
    await kafka_io.send_raw(PSA_TIME_ENTRIES, b"P-EV", kafka_io.codec.encode_with(v1, old.model_dump()))
    await kafka_io.send(PSA_TIME_ENTRIES, "P-EV", time_entry("P-EV", entry_id="TE-NEW", task_id="WP-42"))
    worker = start_worker("w1")
    env = replay_env(kafka_io)

    commands = await commands_of(kafka_io, count=3)
    tasks = {
        c.lines[0].source_id: c.lines[0].task_id
        for c in commands
        if isinstance(c, BillingCommand) and c.command_type is BillingCommandType.POST_TIME_CHARGE
    }
    assert tasks == {"TE-OLD": None, "TE-NEW": "WP-42"}  # the v1 record posts; the v2 task reaches the line
    await wait_consumed(env)

    plan_file = tmp_path / "plan.json"
    planned = cli(kafka_io, "plan", "--project", "P-EV", "--out", str(plan_file), "--operator", "ana")
    assert planned.returncode == 0, planned.stderr
    previewed = cli(kafka_io, "preview", "--plan", str(plan_file))
    assert previewed.returncode == 0, previewed.stdout + previewed.stderr  # v1 history: nothing to correct
    actions = [(a.action, a.result, a.operator) for a in await history(env)]
    assert actions[:2] == [
        (ReplayAction.PLAN, ReplayResult.SUCCEEDED, "ana"),
        (ReplayAction.PREVIEW, ReplayResult.DRY_RUN, actions[1][2]),
    ]

    # Another app whose id begins like this one's: its changelog must not be touched by this app's reset.
    other = f"{env.group}-eu-{PROJECT_LEDGER_ITEMS.name}-changelog"
    await kafka_io.ensure_topic(other, PROJECT_LEDGER_ITEMS.partitions, compacted=True)
    await kafka_io.producer.send_and_wait(other, key=b"P-EU\x1ftotals\x1f", value=b"{}", partition=0)
    await stopped(worker, env)

    plan = await prepare(env, [tmp_path / "w1"], None)

    touched = {tp.topic for tp, _ in plan.tombstones}
    assert other not in touched and f"{env.group}-{PROJECT_LEDGER_ITEMS.name}-changelog" in touched
    assert plan.state_dirs and all(p.parent.name == "tables" for p in plan.state_dirs)
    all_ours = {p.name.rsplit("-", 1)[0] for p in plan.state_dirs}
    assert PROJECT_LEDGER_ITEMS.name in all_ours
    lines = await kafka_io.read_to_end(ERP_BILLING_COMMANDS)
    assert len(lines) == 3  # plan, preview and a dry reset wrote nothing but audit records
