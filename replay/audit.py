"""The audit trail on governance.replay-audit: one record per operator action, and reading it back."""

from __future__ import annotations

import json
import sys
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from decimal import Decimal

from aiokafka.structs import TopicPartition

from app.contracts.codec import DecodeError
from app.contracts.topics import GOVERNANCE_REPLAY_AUDIT
from domain.ledger.emit import SOURCE_SYSTEM
from domain.records.common import Envelope
from domain.records.governance import ReplayAction, ReplayAudit, ReplayResult
from replay.env import ReplayEnv
from replay.kafka_read import Reader, Slice


@dataclass
class Action:
    """One operator action being audited: who, why, what, and when it started."""

    replay_id: str
    action: ReplayAction
    operator: str
    reason: str
    selection: str
    plan_hash: str | None = None
    started_at: datetime | None = None

    def __post_init__(self) -> None:
        self.started_at = self.started_at or datetime.now(UTC)

    def record(
        self,
        result: ReplayResult,
        counts: Mapping[str, int] | None = None,
        totals: Mapping[str, Decimal] | None = None,
        message: str | None = None,
    ) -> ReplayAudit:
        """Return the audit record of this action finishing now with `result`."""
        started = self.started_at or datetime.now(UTC)
        event_id = f"audit:{self.replay_id}:{self.action.value}:{started.isoformat()}"
        return ReplayAudit(
            envelope=Envelope(
                event_id=event_id,
                event_type=f"replay.{self.action.value.lower()}",
                occurred_at=started,
                source_system=SOURCE_SYSTEM,
                correlation_id=self.replay_id,
            ),
            replay_id=self.replay_id,
            action=self.action,
            operator=self.operator,
            reason=self.reason,
            plan_hash=self.plan_hash,
            selection=self.selection,
            counts=dict(counts or {}),
            diff_totals=dict(totals or {}),
            result=result,
            started_at=started,
            finished_at=datetime.now(UTC),
            message=message,
        )


def encoded(env: ReplayEnv, audit: ReplayAudit) -> tuple[str, bytes, bytes]:
    """Return (topic, key, value) of an audit record."""
    return env.name(GOVERNANCE_REPLAY_AUDIT), audit.replay_id.encode(), env.codec.encode(audit)


async def publish(env: ReplayEnv, audit: ReplayAudit) -> None:
    """Write one audit record (outside any transaction) and print it."""
    producer = env.kafka.producer(acks="all", enable_idempotence=True)
    await producer.start()
    try:
        topic, key, value = encoded(env, audit)
        await producer.send_and_wait(topic, value=value, key=key)
    finally:
        await producer.stop()
    print(render(audit))


async def publish_failure(env: ReplayEnv, audit: ReplayAudit) -> None:
    """Write the FAILED record of an action that failed part-way; if even that fails, print it and go on.

    The caller re-raises what failed: a lost audit record must not hide the failure itself.
    """
    try:
        await publish(env, audit)
    except Exception as exc:  # the broker may be what failed
        print(f"could not audit the failure ({type(exc).__name__}: {exc}): {render(audit)}", file=sys.stderr)


def render(audit: ReplayAudit) -> str:
    """Return an audit record as one JSON line."""
    return json.dumps(audit.model_dump(mode="json"), sort_keys=True)


async def history(env: ReplayEnv, replay_id: str | None = None) -> list[ReplayAudit]:
    """Return every audit record (of one replay, if given), oldest first."""
    tp = TopicPartition(env.name(GOVERNANCE_REPLAY_AUDIT), 0)
    async with Reader(env.kafka) as reader:
        first, end = (await reader.bounds([tp]))[tp]
        raw = await reader.read([Slice(tp.topic, 0, first, end)])
    audits = []
    for record in raw:
        try:
            audit = env.codec.decode(record.value or b"", ReplayAudit)
        except DecodeError:
            continue
        if replay_id is None or audit.replay_id == replay_id:
            audits.append(audit)
    return audits


def table(audits: list[ReplayAudit]) -> list[str]:
    """Render audit records as aligned lines for a terminal."""
    lines = [
        f"{'started (UTC)':20} {'replay id':22} {'action':8} {'result':9} {'operator':12} counts / reason"
    ]
    for a in audits:
        counts = ",".join(f"{k}={v}" for k, v in sorted(a.counts.items()))
        lines.append(
            f"{a.started_at:%Y-%m-%d %H:%M:%S} {a.replay_id:22} {a.action.value:8} {a.result.value:9} "
            f"{a.operator:12} {counts} / {a.reason}"
        )
    return lines
