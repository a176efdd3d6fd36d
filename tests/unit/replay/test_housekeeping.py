"""Replay housekeeping: reset touches only its app's state, by exact name; failures and plans are audited."""

from __future__ import annotations

import argparse
import asyncio
import contextlib
from collections.abc import AsyncIterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from aiokafka.structs import TopicPartition

import replay.apply
import replay.audit
import replay.reset
from app.cli import replay as cli
from app.contracts.codec import AvroCodec, load_versions
from app.security.authorization import Operator, Role
from domain.records.governance import ReplayAction, ReplayAudit, ReplayResult
from replay.audit import Action
from replay.env import ReplayEnv
from replay.plan import Plan, SchemaIndex
from replay.preview import Preview
from replay.reset import ResetPlan, state_dirs
from replay.selection import Selection
from tests.support.factories import contract, play, time_entry


class _Clients:
    """Kafka clients whose producer is given (the test's failing one)."""

    def __init__(self, producer: Any = None):
        self._producer = producer

    def producer(self, **_: Any) -> Any:
        return self._producer


def _env(producer: Any = None) -> ReplayEnv:
    versions = load_versions()
    return ReplayEnv(
        kafka=_Clients(producer),  # type: ignore[arg-type]
        prefix="",
        group="psflow",
        codec=AvroCodec(versions),
        index=SchemaIndex(versions),
    )


@pytest.fixture
def audited(monkeypatch: pytest.MonkeyPatch) -> list[ReplayAudit]:
    """Capture every audit record instead of writing it to Kafka."""
    records: list[ReplayAudit] = []

    async def publish(env: ReplayEnv, audit: ReplayAudit) -> None:
        records.append(audit)

    monkeypatch.setattr(replay.audit, "publish", publish)
    monkeypatch.setattr(replay.reset, "publish", publish)
    return records


class _Producer:
    """An aiokafka producer whose n-th send fails, as a broker going away mid-run."""

    def __init__(self, fail_at: int, **_: Any):
        self.fail_at, self.sends = fail_at, 0

    async def start(self) -> None:
        return None

    async def stop(self) -> None:
        return None

    async def flush(self) -> None:
        return None

    @contextlib.asynccontextmanager
    async def transaction(self) -> AsyncIterator[None]:
        yield

    async def send(self, *args: Any, **kwargs: Any) -> Any:
        self.sends += 1
        if self.sends >= self.fail_at:
            raise ConnectionError("broker went away")
        done: Any = asyncio.get_running_loop().create_future()
        done.set_result(None)
        return done


def test_reset_removes_only_the_local_stores_of_its_own_tables_by_exact_name(tmp_path: Path) -> None:
    tables = tmp_path / "v1" / "tables"
    tables.mkdir(parents=True)
    ours = [tables / "project-ledger-items-0.db", tables / "project-ledger-offsets-5.db"]
    others = [tables / "project-ledger-items-archive-0.db", tables / "billing-cache-1.db", tables / "notes"]
    for path in (*ours, *others):
        path.mkdir()

    assert state_dirs([tmp_path]) == sorted(ours)


async def test_a_reset_failing_part_way_writes_a_failed_audit_saying_how_far_it_got(
    monkeypatch: pytest.MonkeyPatch, audited: list[ReplayAudit], tmp_path: Path
) -> None:
    plan = ResetPlan(
        "psflow",
        offsets={TopicPartition("psa.projects", 0): (7, 0)},
        tombstones=[
            (TopicPartition("psflow-project-ledger-items-changelog", 0), f"k{i}".encode()) for i in range(3)
        ],
    )

    async def no_members(bootstrap: str, group: str) -> list[str]:
        return []

    async def prepared(env: ReplayEnv, data_dirs: list[Path], to: datetime | None) -> ResetPlan:
        return plan

    async def committed(bootstrap: str, group: str, offsets: Any) -> None:
        return None

    monkeypatch.setattr(replay.reset, "members", no_members)
    monkeypatch.setattr(replay.reset, "prepare", prepared)
    monkeypatch.setattr(replay.reset, "commit", committed)
    with pytest.raises(ConnectionError):
        await replay.reset.reset(_env(_Producer(fail_at=3)), [tmp_path], None, True, "ops", "rebuild")

    (failed,) = audited
    assert (failed.action, failed.result) == (ReplayAction.RESET, ReplayResult.FAILED)
    assert failed.counts["offsets_committed"] == 1 and failed.counts["tombstones_written"] == 2
    assert (
        failed.message is not None
        and "failed part-way" in failed.message
        and "broker went away" in failed.message
    )


async def test_an_apply_failing_part_way_writes_a_failed_audit_saying_how_far_it_got(
    monkeypatch: pytest.MonkeyPatch, audited: list[ReplayAudit]
) -> None:
    commands = [c for c in play(contract(), *(time_entry() for _ in range(4))).commands if c.amount]
    producer = _Producer(fail_at=5)  # the 3rd command of a run in chunks of 2: the 2nd chunk fails
    preview = Preview(
        plan_hash="h",
        replay_id="rpl-x",
        previewed_at=datetime(2026, 3, 3, tzinfo=UTC),
        consumed={},
        commands_end={},
        projects=(),
        events_replayed=0,
        undecodable=0,
        unconsumed=0,
    )
    action = Action("rpl-x", ReplayAction.APPLY, "ops", "fix rates", selection="{}")

    with pytest.raises(ConnectionError):
        await replay.apply.emit(
            _env(producer), "rpl-x", commands, action, {"commands": 4}, preview, 10.0, False
        )

    (failed,) = audited
    assert (failed.action, failed.result) == (ReplayAction.APPLY, ReplayResult.FAILED)
    assert (failed.counts["emitted"], failed.counts["chunks_committed"], failed.counts["chunks"]) == (2, 1, 2)
    assert failed.message is not None and "2 of 4 command(s) committed" in failed.message


async def test_plan_is_audited(
    monkeypatch: pytest.MonkeyPatch, audited: list[ReplayAudit], tmp_path: Path
) -> None:
    sealed = Plan(
        created_at=datetime(2026, 3, 3, tzinfo=UTC),
        topic_prefix="",
        selection=Selection(topics=("psa.time-entries",), projects=("P-1",)),
        ranges=(),
        scanned={"psa.time-entries": 3},
        matched={"psa.time-entries": 2},
        schema_versions={},
        subjects=("P-1",),
    ).sealed()

    class _Reader:
        def __init__(self, kafka: Any):
            pass

        async def __aenter__(self) -> _Reader:
            return self

        async def __aexit__(self, *exc: object) -> None:
            return None

    async def build(*args: Any) -> Plan:
        return sealed

    monkeypatch.setattr(cli, "Reader", _Reader)
    monkeypatch.setattr(cli.plans, "build", build)
    monkeypatch.setattr(cli, "environment", lambda avro_dir: _env())

    async def ana(*args: Any) -> Operator:
        return Operator("ana", frozenset({Role.VIEWER}))

    monkeypatch.setattr(cli, "operator_for", ana)
    args = argparse.Namespace(
        avro_dir=None, out=tmp_path / "plan.json", topics="psa.time-entries", since=None, until=None,
        last=None, offsets=None, project=["P-1"], resource=None, operator="ana", reason="incident 42",
    )  # fmt: skip

    assert await cli._plan(args) == cli.OK  # noqa: SLF001 - the command itself, without its argument parser

    (planned,) = audited
    assert (planned.action, planned.result, planned.replay_id) == (
        ReplayAction.PLAN,
        ReplayResult.SUCCEEDED,
        sealed.replay_id,
    )
    assert (planned.operator, planned.reason, planned.plan_hash) == (
        "ana",
        "incident 42",
        sealed.content_hash,
    )
    assert planned.counts == {"subjects": 1, "matched.psa.time-entries": 2}
