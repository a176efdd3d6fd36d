"""`redrive`: re-publish the original records of selected exceptions, once, and report how each ended.

An exception is selected from ops.exceptions by reason, project and time if its latest record there is OPEN
and its reason is one a re-drive can cure (domain.redrive.REDRIVABLE). Its original bytes (kept in the
exception, else read back at its coordinates) go to the original topic under the original key, with lineage
headers. The worker that processes the copy settles the exception: RESOLVED, or OPEN again with the failed
attempt in its details. A copy already sent for an exception (found by its header on the original
partition) is not sent again unless the worker reported that copy as failed, so a second redrive of a
selection posts nothing new, while an exception whose cause was fixed only after a failed re-drive can be
re-driven again. Redrive waits (up to --wait) for the worker's verdicts and counts them.
"""

from __future__ import annotations

import asyncio
import hashlib
import time
from collections import defaultdict
from dataclasses import dataclass
from datetime import datetime

from aiokafka.structs import TopicPartition

from app.contracts.codec import DecodeError
from app.contracts.topics import OPS_EXCEPTIONS, partition_for
from domain.records.governance import ReplayAction, ReplayResult
from domain.records.ops import BusinessException, ExceptionReason, ExceptionState
from domain.redrive import REDRIVABLE, REDRIVE_OF, Redrive
from replay.audit import Action, publish
from replay.env import ReplayEnv
from replay.kafka_read import Raw, Reader, Slice
from replay.pacing import Throttle
from replay.selection import Frozen

Copies = dict[str, tuple[TopicPartition, int]]  # exception id -> its latest re-driven copy


class NotRedrivable(ValueError):
    """The selected reason is not cured by re-driving records."""


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
    """What a redrive did, and how the worker settled what it sent."""

    replay_id: str
    selected: int
    sent: int
    already: int
    resolved: int
    failed: int = 0


def replay_id_of(selection: ExceptionFilter) -> str:
    """Return the redrive's id: the same selection always has the same id."""
    return "rdr-" + hashlib.sha256(selection.model_dump_json().encode()).hexdigest()[:16]


def _coordinates(exc: BusinessException) -> tuple[str, int, int] | None:
    src = exc.source
    return None if src is None else (src.topic, src.partition, src.offset)


def _where(copy: tuple[TopicPartition, int]) -> str:
    tp, offset = copy
    return f"{tp.topic}:{tp.partition}:{offset}"


async def _latest_exceptions(
    env: ReplayEnv, reader: Reader, projects: tuple[str, ...]
) -> dict[str, tuple[BusinessException, int]]:
    """Return the latest record (and its timestamp) of every exception on the projects' partitions."""
    spec = OPS_EXCEPTIONS
    parts = sorted({partition_for(p, spec.partitions) for p in projects}) or range(spec.partitions)
    tps = [TopicPartition(env.name(spec), p) for p in parts]
    bounds = await reader.bounds(tps)
    latest: dict[str, tuple[BusinessException, int]] = {}
    for record in await reader.read(Slice(tp.topic, tp.partition, *bounds[tp]) for tp in tps):
        try:
            exc = env.codec.decode(record.value or b"", BusinessException)
        except DecodeError:
            continue
        latest[exc.exception_id] = (exc, record.timestamp)
    return latest


def _selected(
    latest: dict[str, tuple[BusinessException, int]], selection: ExceptionFilter
) -> list[BusinessException]:
    return [
        exc
        for exc, ms in latest.values()
        if exc.state is ExceptionState.OPEN
        and exc.reason in REDRIVABLE
        and _coordinates(exc) is not None
        and selection.matches(exc, ms)
    ]


async def _scan(
    reader: Reader, wanted: dict[TopicPartition, set[int]]
) -> tuple[dict[tuple[str, int, int], Raw], Copies]:
    """Read the original partitions from the oldest wanted offset: originals, and the latest re-drives."""
    bounds = await reader.bounds(list(wanted))
    slices = [Slice(tp.topic, tp.partition, min(offsets), bounds[tp][1]) for tp, offsets in wanted.items()]
    originals: dict[tuple[str, int, int], Raw] = {}
    copies: Copies = {}
    for record in await reader.read(slices):
        if record.offset in wanted[TopicPartition(record.topic, record.partition)]:
            originals[(record.topic, record.partition, record.offset)] = record
        for name, value in record.headers or ():
            if name == REDRIVE_OF:
                copies[value.decode()] = (TopicPartition(record.topic, record.partition), record.offset)
    return originals, copies


def _failed_copy(exc: BusinessException, copies: Copies) -> bool:
    """Tell whether the worker reported the exception's latest re-driven copy as failed."""
    copy = copies.get(exc.exception_id)
    return (
        copy is not None
        and "redrive_failed" in exc.details
        and exc.details.get("redriven_as") == _where(copy)
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
    """Re-publish the selected open exceptions' records; wait for the worker's verdicts; audit it."""
    replay_id = replay_id_of(selection)
    action = Action(replay_id, ReplayAction.REDRIVE, operator, reason, selection=selection.model_dump_json())
    if selection.reason is not None and selection.reason not in REDRIVABLE:
        message = f"{selection.reason.value} is not cured by re-driving records: psflow settles it itself"
        await publish(env, action.record(ReplayResult.REFUSED, message=message))
        raise NotRedrivable(message)
    async with Reader(env.kafka) as reader:
        selected = _selected(await _latest_exceptions(env, reader, selection.projects), selection)
        wanted: dict[TopicPartition, set[int]] = defaultdict(set)
        for exc in selected:
            topic, partition, offset = _coordinates(exc) or ("", 0, 0)
            wanted[TopicPartition(topic, partition)].add(offset)
        originals, copies = await _scan(reader, wanted) if wanted else ({}, {})
    todo = [e for e in selected if e.exception_id not in copies or _failed_copy(e, copies)]
    if not dry_run:
        copies |= await _send(env, todo, originals, replay_id, Throttle(rate))
    mine = {e.exception_id: copies[e.exception_id] for e in selected if e.exception_id in copies}
    resolved, failed = (
        await _verdicts(env, selection.projects, mine, wait_s) if not dry_run else (set(), set())
    )
    sent = 0 if dry_run else len(todo)
    counts = {
        "selected": len(selected),
        "redriven": sent,
        "already_redriven": len(selected) - len(todo),
        "resolved": len(resolved),
        "failed": len(failed),
        "pending": len(mine) - len(resolved) - len(failed),
    }
    await publish(env, action.record(ReplayResult.DRY_RUN if dry_run else ReplayResult.SUCCEEDED, counts))
    return Redriven(replay_id, len(selected), sent, len(selected) - len(todo), len(resolved), len(failed))


async def _send(
    env: ReplayEnv,
    todo: list[BusinessException],
    originals: dict[tuple[str, int, int], Raw],
    replay_id: str,
    throttle: Throttle,
) -> Copies:
    sent: Copies = {}
    producer = env.kafka.producer(acks="all", enable_idempotence=True)
    await producer.start()
    try:
        for exc in todo:
            coords = _coordinates(exc) or ("", 0, 0)
            src, original = exc.source, originals.get(coords)
            # Quarantined records carry their bytes; rule exceptions only coordinates, so read the original.
            kept = src is not None and src.raw_value is not None
            key = src.raw_key if kept and src is not None else (original.key if original else None)
            value = src.raw_value if kept and src is not None else (original.value if original else None)
            if value is None:
                continue  # the original is gone (retention) and the exception kept no bytes: nothing to send
            lineage = Redrive(
                exception_id=exc.exception_id,
                reason=exc.reason,
                replay_id=replay_id,
                original=exc.details.get("original") or ":".join(map(str, coords)),
                agent=exc.details.get("agent", ""),
            )
            meta = await producer.send_and_wait(coords[0], value=value, key=key, headers=lineage.headers())
            sent[exc.exception_id] = (TopicPartition(meta.topic, meta.partition), meta.offset)
            await throttle.passed(1)
    finally:
        await producer.stop()
    return sent


async def _verdicts(
    env: ReplayEnv, projects: tuple[str, ...], copies: Copies, wait_s: float
) -> tuple[set[str], set[str]]:
    """Return the exceptions the worker resolved and those it raised again, for their latest copies.

    Polls ops.exceptions for up to wait_s: only the worker that processed a copy knows whether it cured the
    problem, and it says so there (domain.redrive.settle).
    """
    deadline = time.monotonic() + wait_s
    while True:
        resolved: set[str] = set()
        failed: set[str] = set()
        async with Reader(env.kafka) as reader:
            latest = await _latest_exceptions(env, reader, projects)
        for exc_id, copy in copies.items():
            exc = latest[exc_id][0] if exc_id in latest else None
            if exc is None or exc.details.get("redriven_as") != _where(copy):
                continue
            (resolved if exc.state is ExceptionState.RESOLVED else failed).add(exc_id)
        if len(resolved) + len(failed) == len(copies) or time.monotonic() >= deadline:
            return resolved, failed
        await asyncio.sleep(0.5)  # polling interval while the worker catches up
