"""Drill: a wrong rate card was in force; plan, preview, apply, apply again, history — through real Kafka."""

from __future__ import annotations

import json
from collections.abc import Callable
from datetime import UTC, date, datetime
from decimal import Decimal
from pathlib import Path

import pytest

from app.contracts.topics import (
    ASSIGNMENTS_BY_PROJECT,
    PSA_RESOURCE_ASSIGNMENTS,
)
from domain.records.governance import ReplayAction, ReplayResult
from domain.records.psa import ProjectContract, TimeEntry
from replay import plan as plans
from replay import preview as previews
from replay.apply import Refused, apply
from replay.audit import history
from replay.kafka_read import Reader
from replay.selection import Selection
from tests.support.factories import envelope, resource_assignment
from tests.support.kafka_io import KafkaIO, wait_until_consumed
from tests.support.replay_drills import (
    RIGHT,
    WRONG,
    card_contract,
    card_time,
    clean_run_sums,
    cli,
    commands_of,
    feed,
    replay_env,
    send,
    sums,
    wait_consumed,
)
from tests.support.workers import WorkerProcess

pytestmark = pytest.mark.integration


async def test_wrong_rate_card_is_corrected_once_and_audited(
    kafka_io: KafkaIO, start_worker: Callable[..., WorkerProcess], tmp_path: Path
) -> None:
    records = feed()
    await send(kafka_io, records)
    start_worker()
    env = replay_env(kafka_io)
    live = await commands_of(kafka_io, 7)  # 2 schedules, 5 charges
    await wait_consumed(env)
    assert sums(live) == {"P-A": Decimal("19530.00"), "P-B": Decimal("1320.00")}

    plan_file = tmp_path / "plan.json"
    planned = cli(kafka_io, "plan", "--project", "P-A", "--project", "P-B", "--out", str(plan_file))
    assert planned.returncode == 0, planned.stderr
    plan = plans.load(plan_file)
    assert plan.subjects == ("P-A", "P-B")
    assert plan.matched == {"psa.projects": 3, "psa.time-entries": 5}

    previewed = cli(
        kafka_io, "preview", "--plan", str(plan_file), "--operator", "ana", "--reason", "rate typo"
    )
    assert previewed.returncode == 1, previewed.stderr  # the diff is not empty
    preview = previews.load(previews.preview_path(plan_file))
    by_project = {p.project_id: p for p in preview.projects}
    assert by_project["P-B"].corrections == ()
    expected = [
        ("cmd:TE-A2:r1:REVERSE_TIME_CHARGE", Decimal("-12000.00")),
        ("cmd:TE-A2:r1:POST_TIME_CHARGE:fix-", Decimal("1320.00")),
        ("cmd:TE-A3:r1:REVERSE_TIME_CHARGE", Decimal("-6000.00")),
        ("cmd:TE-A3:r1:POST_TIME_CHARGE:fix-", Decimal("660.00")),
    ]
    got = [(c.command_id, c.amount) for c in preview.commands()]
    assert [(cid[: len(e)], amount) for (cid, amount), (e, _) in zip(got, expected, strict=True)] == expected
    assert all(c.replay_id == plan.replay_id for c in preview.commands())
    assert by_project["P-A"].net == Decimal("-16020.00")
    # v2 came in the month the wrong card was used: the live forecast repriced March then, nothing differs.
    assert [(f.project_id, f.is_empty(), f.compared > 0) for f in preview.forecasts] == [
        ("P-A", True, True),
        ("P-B", True, True),
    ]
    assert "forecast.deltas: 0 metric(s) differ, 0 missing live, 0 live only" in previewed.stdout

    refused = cli(kafka_io, "apply", "--plan", str(plan_file), "--operator", "ana")
    assert refused.returncode == 2 and "--reason" in refused.stderr

    applied = cli(kafka_io, "apply", "--plan", str(plan_file), "--operator", "ana", "--reason", "rate typo")
    assert applied.returncode == 0, applied.stderr
    after = await commands_of(kafka_io, 11)
    assert sums(after) == clean_run_sums(records) == {"P-A": Decimal("3510.00"), "P-B": Decimal("1320.00")}

    again = cli(kafka_io, "apply", "--plan", str(plan_file), "--operator", "ana", "--reason", "rate typo")
    assert again.returncode == 0, again.stderr
    assert "0 emitted" in again.stdout
    assert len(await commands_of(kafka_io, 11)) == 11

    listed = cli(kafka_io, "history", "--json")
    runs = [json.loads(line) for line in listed.stdout.splitlines()]
    assert [(r["action"], r["result"], r["counts"].get("emitted")) for r in runs] == [
        ("PLAN", "SUCCEEDED", None),  # plan is audited too
        ("PREVIEW", "DRY_RUN", None),
        ("APPLY", "SUCCEEDED", 4),
        ("APPLY", "SUCCEEDED", 0),
    ]
    assert {r["operator"] for r in runs[1:]} == {"ana"} and runs[2]["plan_hash"] == plan.content_hash


async def test_apply_refuses_an_edited_plan_and_new_outputs_since_the_preview(
    kafka_io: KafkaIO, start_worker: Callable[..., WorkerProcess], tmp_path: Path
) -> None:
    await send(kafka_io, feed())
    start_worker()
    env = replay_env(kafka_io)
    await commands_of(kafka_io, 7)
    await wait_consumed(env)
    async with Reader(env.kafka) as reader:
        selection = Selection(topics=("psa.time-entries",), projects=("P-A",))
        plan = await plans.build(reader, selection, env.prefix, env.codec, env.index, datetime.now(UTC))
    plan_file = tmp_path / "plan.json"
    plans.save(plan, plan_file)
    previews.save(await previews.compute(env, plan), previews.preview_path(plan_file))

    edited = tmp_path / "edited.json"
    edited.write_text(plan_file.read_text().replace('"P-A"', '"P-B"'))
    with pytest.raises(Refused, match="content hash"):
        await apply(env, edited, "ana", "why", preview_file=previews.preview_path(plan_file))

    await send(kafka_io, [("P-A", card_time("P-A", "TE-A5", date(2026, 3, 5), "1.00"))])
    await commands_of(kafka_io, 8)
    with pytest.raises(Refused, match="new commands since the preview"):
        await apply(env, plan_file, "ana", "why")

    refusals = await history(env)
    assert [(a.action, a.result) for a in refusals] == [(ReplayAction.APPLY, ReplayResult.REFUSED)] * 2


def _at(month: int, day: int) -> datetime:
    return datetime(2026, month, day, 9, 0, tzinfo=UTC)


async def test_preview_diffs_the_forecast_where_the_wrong_card_outlived_its_month(
    kafka_io: KafkaIO, start_worker: Callable[..., WorkerProcess], tmp_path: Path
) -> None:
    def dated(record: ProjectContract | TimeEntry, month: int, day: int) -> ProjectContract | TimeEntry:
        return record.model_copy(update={"envelope": envelope("psa", occurred_at=_at(month, day))})

    # P-A priced March on the wrong card during March; the correction came in April. P-B is right.
    await send(
        kafka_io,
        [
            ("P-A", dated(card_contract("P-A", 1, WRONG), 2, 20)),
            ("P-B", dated(card_contract("P-B", 1, RIGHT), 2, 20)),
            ("P-A", dated(card_time("P-A", "TE-A1", date(2026, 2, 27), "8.00"), 2, 27)),
            ("P-A", dated(card_time("P-A", "TE-A2", date(2026, 3, 2), "8.00"), 3, 2)),
            ("P-B", dated(card_time("P-B", "TE-B1", date(2026, 3, 2), "8.00"), 3, 2)),
            ("P-A", dated(card_contract("P-A", 2, RIGHT), 4, 1)),
        ],
    )
    worker = start_worker()
    env = replay_env(kafka_io)
    await wait_consumed(env)
    # P-B's April plan reaches its forecast through psflow.assignments-by-project; sent last so the
    # worker surely merges it after the project's other inputs, as the preview does by timestamp.
    assignment = resource_assignment("R-BEA", assignment_id="A-B1", project_id="P-B", envelope=envelope("a"))
    await kafka_io.send(PSA_RESOURCE_ASSIGNMENTS, "R-BEA", assignment)
    topics = [kafka_io.name(s) for s in (PSA_RESOURCE_ASSIGNMENTS, ASSIGNMENTS_BY_PROJECT)]
    await wait_until_consumed(kafka_io.kafka, worker.env["PSFLOW_APP_ID"], topics, partitions=6)

    plan_file = tmp_path / "plan.json"
    planned = cli(kafka_io, "plan", "--project", "P-A", "--project", "P-B", "--out", str(plan_file))
    assert planned.returncode == 0, planned.stderr
    previewed = cli(kafka_io, "preview", "--plan", str(plan_file))
    assert previewed.returncode == 1, previewed.stderr  # exit status: billing corrections (TE-A2 at 1500)
    preview = previews.load(previews.preview_path(plan_file))
    forecasts = {f.project_id: f for f in preview.forecasts}

    # Recognized revenue and backlog stay under the month they were computed in: March kept the wrong card.
    got = {(m.period, m.metric): (m.live, m.recomputed) for m in forecasts["P-A"].differing}
    assert got == {
        ("2026-03", "recognized_revenue"): (Decimal("13200.00"), Decimal("2520.00")),
        ("2026-03", "backlog"): (Decimal("86800.00"), Decimal("97480.00")),
    }
    assert not forecasts["P-A"].missing_live and not forecasts["P-A"].live_only
    p_b = forecasts["P-B"]
    assert p_b.is_empty() and p_b.events == 3 and p_b.compared > 0  # contract, time and the assignment
    assert preview.counts()["forecast_differing"] == 2 and preview.forecast_unconsumed == 0
    assert (
        "differs: 2026-03 recognized_revenue: live 13200.00 USD, recomputed 2520.00 USD" in previewed.stdout
    )
    assert "forecast: 2 metric(s) differ (informational, not applied)" in previewed.stdout
