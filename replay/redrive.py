"""`redrive`: re-publish the original records of selected exceptions, once, and mark them resolved.

An exception is selected from ops.exceptions by reason, project and time, if its latest record there is
OPEN. Its original bytes (kept in the exception, else read back at its coordinates) go to the original
topic under the original key, with lineage headers. A record already re-driven for an exception (found by
its header on the original partition) is not sent again, so a second redrive of a selection posts nothing.
An exception counts as resolved once the worker group has committed past its re-driven record, i.e.
processed it; redrive then appends a RESOLVED copy of it to ops.exceptions.
"""

from __future__ import annotations

import asyncio
import hashlib
import time
from collections import defaultdict
from dataclasses import dataclass
from datetime import UTC, datetime

from aiokafka import AIOKafkaProducer
from aiokafka.structs import TopicPartition

from app.codec import DecodeError
from app.topics import OPS_EXCEPTIONS
from domain.records.common import Envelope
from domain.records.governance import ReplayAction, ReplayResult
from domain.records.ops import BusinessException, ExceptionReason, ExceptionState
from replay.audit import Action, ReplayEnv, publish
from replay.kafka_read import Raw, Reader, Slice, committed
from replay.pacing import Throttle
from replay.selection import Frozen, partition_for

REPLAY_ID = "psflow-replay-id"
REDRIVE_OF = "psflow-redrive-of"
ORIGINAL = "psflow-original"  # topic:partition:offset of the record as first read


class ExceptionFilter(Frozen):
    """Which exceptions to re-drive; empty fields select everything."""

    reason: ExceptionReason | None = None
    projects: tuple[str, ...] = ()
    since: datetime | None = None
    until: datetime | None = None

    def matches(self, exc: BusinessException, timestamp_ms: int) -> bool:
        """Tell whether an exception (raised at the record's Kafka timestamp) is selected."""
        if self.reason is not None and exc.reason is not self.reason:
            return False
        if self.projects and exc.project_id not in self.projects:
            return False
        if self.since is not None and timestamp_ms < self.since.timestamp() * 1000:
            return False
        return self.until is None or timestamp_ms < self.until.timestamp() * 1000


@dataclass(frozen=True)
class Redriven:
    """What a redrive did."""

    replay_id: str
    selected: int
    sent: int
    already: int
    resolved: int


def replay_id_of(selection: ExceptionFilter) -> str:
    """Return the redrive's id: the same selection always has the same id."""
    return "rdr-" + hashlib.sha256(selection.model_dump_json().encode()).hexdigest()[:16]


def _coordinates(exc: BusinessException) -> tuple[str, int, int] | None:
    src = exc.source
    return None if src is None else (src.topic, src.partition, src.offset)


async def _open_exceptions(
    env: ReplayEnv, reader: Reader, selection: ExceptionFilter
) -> list[BusinessException]:
    spec = OPS_EXCEPTIONS
    parts = sorted({partition_for(p, spec.partitions) for p in selection.projects}) or range(spec.partitions)
    tps = [TopicPartition(env.name(spec), p) for p in parts]
    bounds = await reader.bounds(tps)
    latest: dict[str, tuple[BusinessException, int]] = {}
    for record in await reader.read(Slice(tp.topic, tp.partition, *bounds[tp]) for tp in tps):
        try:
            exc = env.codec.decode(record.value or b"", BusinessException)
        except DecodeError:
            continue
        latest[exc.exception_id] = (exc, record.timestamp)
    return [
        exc
        for exc, ms in latest.values()
        if exc.state is ExceptionState.OPEN and _coordinates(exc) is not None and selection.matches(exc, ms)
    ]


async def _scan(
    reader: Reader, wanted: dict[TopicPartition, set[int]]
) -> tuple[dict[tuple[str, int, int], Raw], dict[str, tuple[TopicPartition, int]]]:
    """Read the original partitions from the oldest wanted offset: originals, and earlier re-drives."""
    bounds = await reader.bounds(list(wanted))
    slices = [Slice(tp.topic, tp.partition, min(offsets), bounds[tp][1]) for tp, offsets in wanted.items()]
    originals: dict[tuple[str, int, int], Raw] = {}
    redriven: dict[str, tuple[TopicPartition, int]] = {}
    for record in await reader.read(slices):
        if record.offset in wanted[TopicPartition(record.topic, record.partition)]:
            originals[(record.topic, record.partition, record.offset)] = record
        for name, value in record.headers or ():
            if name == REDRIVE_OF:
                redriven[value.decode()] = (TopicPartition(record.topic, record.partition), record.offset)
    return originals, redriven


def _resolved(exc: BusinessException, replay_id: str, at: tuple[TopicPartition, int]) -> BusinessException:
    tp, offset = at
    now = datetime.now(UTC)
    return exc.model_copy(
        update={
            "state": ExceptionState.RESOLVED,
            "envelope": Envelope(
                event_id=f"{exc.exception_id}:resolved",
                event_type="business_exception.resolved",
                occurred_at=now,
                source_system="psflow",
                correlation_id=replay_id,
                causation_id=exc.event_id,
            ),
            "details": {
                **exc.details,
                "resolved_by": replay_id,
                "redriven_as": f"{tp.topic}:{tp.partition}:{offset}",
            },
        }
    )


async def redrive(
    env: ReplayEnv,
    selection: ExceptionFilter,
    operator: str,
    reason: str,
    rate: float | None = None,
    dry_run: bool = False,
    wait_s: float = 0.0,
) -> Redriven:
    """Re-publish the selected open exceptions' records; mark the processed ones RESOLVED; audit it."""
    replay_id = replay_id_of(selection)
    action = Action(replay_id, ReplayAction.REDRIVE, operator, reason, selection=selection.model_dump_json())
    async with Reader(env.bootstrap) as reader:
        selected = await _open_exceptions(env, reader, selection)
        wanted: dict[TopicPartition, set[int]] = defaultdict(set)
        for exc in selected:
            topic, partition, offset = _coordinates(exc) or ("", 0, 0)
            wanted[TopicPartition(topic, partition)].add(offset)
        originals, redriven = await _scan(reader, wanted) if wanted else ({}, {})
    todo = [e for e in selected if e.exception_id not in redriven]
    producer = AIOKafkaProducer(bootstrap_servers=env.bootstrap, acks="all", enable_idempotence=True)
    await producer.start()
    try:
        if not dry_run:
            redriven |= await _send(producer, todo, originals, replay_id, Throttle(rate))
        mine = {e.exception_id: redriven[e.exception_id] for e in selected if e.exception_id in redriven}
        done = await _processed(env, mine, wait_s)
        for exc in selected:
            if exc.exception_id in done and not dry_run:
                key = exc.project_id.encode() if exc.project_id else None
                resolved = _resolved(exc, replay_id, redriven[exc.exception_id])
                await producer.send_and_wait(env.name(OPS_EXCEPTIONS), env.codec.encode(resolved), key=key)
    finally:
        await producer.stop()
    sent = 0 if dry_run else len(todo)
    already = len(selected) - len(todo)
    counts = {"selected": len(selected), "redriven": sent, "already_redriven": already, "resolved": len(done)}
    await publish(env, action.record(ReplayResult.DRY_RUN if dry_run else ReplayResult.SUCCEEDED, counts))
    return Redriven(replay_id, len(selected), sent, already, len(done))


async def _send(
    producer: AIOKafkaProducer,
    todo: list[BusinessException],
    originals: dict[tuple[str, int, int], Raw],
    replay_id: str,
    throttle: Throttle,
) -> dict[str, tuple[TopicPartition, int]]:
    sent: dict[str, tuple[TopicPartition, int]] = {}
    for exc in todo:
        coords = _coordinates(exc) or ("", 0, 0)
        src, original = exc.source, originals.get(coords)
        # Quarantined records carry their bytes; rule exceptions only coordinates, so read the original.
        kept = src is not None and src.raw_value is not None
        key = src.raw_key if kept and src is not None else (original.key if original else None)
        value = src.raw_value if kept and src is not None else (original.value if original else None)
        if value is None:
            continue  # the original is gone (retention) and the exception kept no bytes: nothing to send
        headers = [
            (REPLAY_ID, replay_id.encode()),
            (REDRIVE_OF, exc.exception_id.encode()),
            (ORIGINAL, ":".join(map(str, coords)).encode()),
        ]
        meta = await producer.send_and_wait(coords[0], value=value, key=key, headers=headers)
        sent[exc.exception_id] = (TopicPartition(meta.topic, meta.partition), meta.offset)
        await throttle.passed(1)
    return sent


async def _processed(
    env: ReplayEnv, redriven: dict[str, tuple[TopicPartition, int]], wait_s: float
) -> set[str]:
    """Return the exceptions whose re-driven record the worker group committed past (waits up to wait_s)."""
    deadline = time.monotonic() + wait_s
    tps = sorted({tp for tp, _ in redriven.values()}, key=str)
    while True:
        offsets = await committed(env.bootstrap, env.group, tps) if tps else {}
        done = {exc_id for exc_id, (tp, offset) in redriven.items() if offsets.get(tp, 0) > offset}
        if len(done) == len(redriven) or time.monotonic() >= deadline:
            return done
        await asyncio.sleep(0.5)  # polling interval while the worker catches up
