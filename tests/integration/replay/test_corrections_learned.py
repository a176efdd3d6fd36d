"""Drill: after `replay apply`, the worker's ledger knows the corrections, so later revisions bill right."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, date, datetime
from decimal import Decimal
from pathlib import Path

import pytest

from app.contracts.topics import LEDGER_CORRECTIONS, PSA_TIME_ENTRIES
from replay import plan as plans
from replay import preview as previews
from replay.apply import apply
from replay.kafka_read import Reader
from replay.selection import Selection
from tests.support.factories import play, time_entry
from tests.support.kafka_io import KafkaIO, wait_until_consumed
from tests.support.replay_drills import (
    RIGHT,
    clean_run_sums,
    commands_of,
    feed,
    replay_env,
    send,
    sums,
    wait_consumed,
)
from tests.support.workers import WorkerProcess

pytestmark = pytest.mark.integration


async def test_a_revision_after_apply_reverses_the_corrected_charge_not_the_reversed_one(
    kafka_io: KafkaIO, start_worker: Callable[..., WorkerProcess], tmp_path: Path
) -> None:
    records = feed()
    await send(kafka_io, records)
    worker = start_worker()
    env = replay_env(kafka_io)
    await commands_of(kafka_io, 7)
    await wait_consumed(env)
    async with Reader(env.kafka) as reader:
        selection = Selection(topics=("psa.projects", "psa.time-entries"), projects=("P-A",))
        plan = await plans.build(reader, selection, env.prefix, env.codec, env.index, datetime.now(UTC))
    plan_file = tmp_path / "plan.json"
    plans.save(plan, plan_file)
    previews.save(await previews.compute(env, plan), previews.preview_path(plan_file))
    applied = await apply(env, plan_file, "ana", "rate typo")
    assert applied.emitted == 4
    await wait_until_consumed(env.kafka, env.group, [env.name(LEDGER_CORRECTIONS)], 6)

    status, body = worker.get("/projects/P-A")
    assert status == 200 and isinstance(body, dict)
    assert Decimal(str(body["posted"])) == clean_run_sums(records)["P-A"]

    # TE-A2 is cut to 4 h: the worker must reverse the replay's 1320.00 charge, not its own reversed 12000.00.
    revised = time_entry(
        "P-A", entry_id="TE-A2", revision=2, work_date=date(2026, 3, 2), hours=Decimal("4.00")
    )
    await kafka_io.send(PSA_TIME_ENTRIES, "P-A", revised)
    after = await commands_of(kafka_io, 13)
    fixed = next(c for c in after if c.command_id.startswith("cmd:TE-A2:r1:POST_TIME_CHARGE:fix-"))
    newest = [c for c in after if c.lineage and c.lineage[-1].event_id == revised.event_id]
    assert [(c.command_id, c.reverses_command_id, c.amount) for c in newest] == [
        (fixed.command_id.replace("POST_TIME_CHARGE", "REVERSE_TIME_CHARGE", 1), fixed.command_id,
         Decimal("-1320.00")),
        ("cmd:TE-A2:r2:POST_TIME_CHARGE", None, Decimal("660.00")),
    ]  # fmt: skip
    clean = [r.model_copy(update={"bill_rates": RIGHT}) if key == "P-A" and hasattr(r, "bill_rates") else r
             for key, r in records if key == "P-A"]  # fmt: skip
    assert sums(after)["P-A"] == sum((c.amount for c in play(*clean, revised).commands), Decimal("0.00"))
