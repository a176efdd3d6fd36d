"""`reset`: rebuild the worker group's state, as Faust needs it; a dry run unless told to execute.

Every topic the group consumes is reset, not only the ledger's: the PSA and ERP inputs, replay corrections,
and the internal topics psflow derives from them (repartitions, ticks).

From the start (the default): the group's committed source offsets go to each partition's first offset,
derived topics go to their end (the forwarders write them anew from the sources, so the old copies must
not be read twice), each key of each table changelog of the group gets a tombstone (changelogs are
compacted, so delete-records is refused; a tombstone is how Faust itself deletes a key on recovery) and the
local RocksDB tables are removed, so restarted workers recover empty tables and rebuild every ledger and
forecast from the inputs. Commands re-emitted on the way carry the ids they had, which the ERP drops.

From a time: source offsets move back to each partition's first record at or after the time (never forward,
past records the group has not processed yet); derived topics keep theirs (a copy forwarded before the stop
but not yet read must not be skipped; one read twice is ignored as a stale revision). Tables keep their
state (a compacted changelog holds no history to rewind to), except the project ledger's applied-offset
guard, which is tombstoned, its local state removed with the rest so every table is recovered from its
changelog: otherwise the ledger would skip every record it had applied. The records since the time are then
decided again: what was refused is re-evaluated (after a fix of configuration or code), what was applied
changes nothing (same revision, same version, same status), and outputs keep their ids.

Refused while the group has members, like kafka-consumer-groups --reset-offsets: a live worker would
overwrite the offsets and keep serving the state being deleted. Local state lives on each worker host:
pass every host's data dir, or run reset on each. Only what is the group's own is touched, by exact name:
its committed offsets, its tables' changelogs ("<app id>-<table>-changelog") and, in a data dir, the local
stores of its tables ("<table>-<partition>.db"), never a topic or a store whose name merely begins alike.
A reset that fails part-way writes a FAILED audit record saying how far it got, then fails.
"""

from __future__ import annotations

import re
import shutil
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any

from aiokafka.structs import TopicPartition

from app.contracts import topology
from app.security.kafka_clients import KafkaClients
from domain.records.governance import ReplayAction, ReplayResult
from replay.audit import Action, publish, publish_failure
from replay.env import ReplayEnv
from replay.kafka_read import Raw, Reader, Slice, commit, committed

# What the group reads as given (replayed on reset) and what it writes for itself (regenerated).
SOURCES = topology.given()
DERIVED = topology.repartitions()


class GroupActive(Exception):
    """The worker group has members; reset must wait for every worker to stop."""


@dataclass
class ResetPlan:
    """What a reset does (or would do)."""

    group: str
    offsets: dict[TopicPartition, tuple[int, int]] = field(default_factory=dict)  # (committed, target)
    tombstones: list[tuple[TopicPartition, bytes]] = field(default_factory=list)  # changelog keys to delete
    state_dirs: list[Path] = field(default_factory=list)

    def lines(self) -> list[str]:
        """Render the plan like kafka-consumer-groups does."""
        out = [f"group {self.group}"]
        for tp, (now, target) in sorted(self.offsets.items(), key=lambda i: (i[0].topic, i[0].partition)):
            if now != target:
                out.append(f"  offset {tp.topic}:{tp.partition} {now} -> {target}")
        for topic in sorted({tp.topic for tp, _ in self.tombstones}):
            keys = sum(1 for tp, _ in self.tombstones if tp.topic == topic)
            out.append(f"  tombstone {keys} key(s) of {topic}")
        out += [f"  remove local state {d}" for d in self.state_dirs]
        return out


async def members(kafka: KafkaClients, group: str) -> list[str]:
    """Return the member ids of a consumer group (empty when no worker runs)."""
    admin = kafka.admin(client_id="psflow-replay")
    await admin.start()
    try:
        responses = await admin.describe_consumer_groups([group])
    finally:
        await admin.close()
    found: list[str] = []
    for response in responses:
        for described in response.to_object()["groups"]:
            found += [m["member_id"] for m in described["members"]]
    return found


_STORE = re.compile(r"(?P<table>.+)-(?P<partition>\d+)\.db")
_OURS = {table.name for table in topology.TABLES}


def state_dirs(data_dirs: list[Path]) -> list[Path]:
    """Return the local stores of the group's tables under the data dirs, by exact table name.

    Faust keeps a table's partition in <data dir>/v<app version>/tables/<table>-<partition>.db; anything
    else there (another app's tables, a table whose name only starts like one of ours) is left alone.
    """
    found = []
    for folder in (p for d in data_dirs for p in d.glob("v*/tables") if p.is_dir()):
        for store in folder.iterdir():
            named = _STORE.fullmatch(store.name)
            if named is not None and named.group("table") in _OURS:
                found.append(store)
    return sorted(found)


async def prepare(env: ReplayEnv, data_dirs: list[Path], to: datetime | None) -> ResetPlan:
    """Work out the reset without changing anything."""
    plan = ResetPlan(env.group)
    sources = [TopicPartition(env.name(s), p) for s in SOURCES for p in range(s.partitions)]
    derived = [TopicPartition(env.name(s), p) for s in DERIVED for p in range(s.partitions)]
    ticks = topology.ticks_topic(env.group)
    derived += [TopicPartition(ticks, p) for p in range(topology.TICKS_PARTITIONS)]
    existing = await _topics(env)
    derived = [tp for tp in derived if tp.topic in existing]
    async with Reader(env.kafka) as reader:
        bounds = await reader.bounds(sources + derived)
        now = await committed(env.kafka, env.group, sources + derived)
        if to is not None:  # back to the time, never forward: an unprocessed record must not be skipped
            targets = {tp: min(o, now[tp]) for tp, o in (await reader.offset_at(sources, to)).items()}
        else:
            targets = {tp: bounds[tp][0] for tp in sources} | {tp: bounds[tp][1] for tp in derived}
        # From the start every table is rebuilt; from a time only the ledger's applied-offset guard is.
        wiped = topology.TABLES if to is None else (topology.LEDGER_APPLIED_OFFSETS,)
        logs = [
            TopicPartition(table.changelog_topic(env.group), p)
            for table in wiped
            if table.changelog_topic(env.group) in existing
            for p in range(table.partitions)
        ]
        live = await reader.read(
            Slice(tp.topic, tp.partition, *b) for tp, b in (await reader.bounds(logs)).items()
        )
        plan.tombstones = _live_keys(live)
        plan.state_dirs = state_dirs(data_dirs)
    plan.offsets = {tp: (now[tp], targets.get(tp, now[tp])) for tp in sources + derived}
    return plan


def _live_keys(records: list[Raw]) -> list[tuple[TopicPartition, bytes]]:
    """Return the (partition, key) of every key whose latest changelog record is not a tombstone."""
    latest: dict[tuple[TopicPartition, bytes], bool] = {}
    for record in records:
        if record.key is not None:
            latest[(TopicPartition(record.topic, record.partition), record.key)] = record.value is not None
    return sorted((k for k, alive in latest.items() if alive), key=lambda k: (k[0].partition, k[1]))


async def _topics(env: ReplayEnv) -> set[str]:
    """Return the names of every topic on the cluster."""
    admin = env.kafka.admin(client_id="psflow-replay")
    await admin.start()
    try:
        return set(await admin.list_topics())
    finally:
        await admin.close()


async def execute(env: ReplayEnv, plan: ResetPlan, done: dict[str, int] | None = None) -> None:
    """Apply a reset plan: offsets, changelog, local state (refused if a worker joined meanwhile).

    `done` counts each step as it completes, so a failure can say how far the reset got.
    """
    done = {} if done is None else done
    if await members(env.kafka, env.group):
        raise GroupActive(f"group {env.group} has active members: stop every worker first")
    await commit(env.kafka, env.group, {tp: target for tp, (_, target) in plan.offsets.items()})
    done["offsets_committed"] = len(plan.offsets)
    producer = env.kafka.producer(acks="all", enable_idempotence=True)
    await producer.start()
    sent: list[Any] = []
    try:
        # Same partition as the value it deletes: Faust recovers each table partition from its own.
        for tp, key in plan.tombstones:
            sent.append(await producer.send(tp.topic, value=None, key=key, partition=tp.partition))
        await producer.flush()
    finally:
        done["tombstones_written"] = sum(
            1 for f in sent if f.done() and not f.cancelled() and not f.exception()
        )
        await producer.stop()
    for store in plan.state_dirs:
        if store.is_dir():
            shutil.rmtree(store)
        else:
            store.unlink(missing_ok=True)
        done["stores_removed"] = done.get("stores_removed", 0) + 1


async def reset(
    env: ReplayEnv, data_dirs: list[Path], to: datetime | None, run: bool, operator: str, reason: str
) -> ResetPlan:
    """Check the group is idle, print the reset, execute it if `run`, and audit it."""
    scope = f'{{"group": "{env.group}", "to": "{"start" if to is None else to.isoformat()}"}}'
    action = Action(f"rst-{env.group}", ReplayAction.RESET, operator, reason, selection=scope)
    active = await members(env.kafka, env.group)
    if active:
        message = f"group {env.group} has {len(active)} active member(s): stop every worker first"
        await publish(env, action.record(ReplayResult.REFUSED, {"members": len(active)}, message=message))
        raise GroupActive(message)
    plan = await prepare(env, data_dirs, to)
    print("\n".join(plan.lines()))
    counts = {
        "partitions_reset": sum(1 for now, target in plan.offsets.values() if now != target),
        "table_keys_deleted": len(plan.tombstones),
        "state_dirs_removed": len(plan.state_dirs),
    }
    if run:
        done: dict[str, int] = {}
        try:
            await execute(env, plan, done)
        except Exception as exc:
            got = ", ".join(f"{k} {v}" for k, v in done.items()) or "nothing done"
            message = f"failed part-way ({got}; planned {counts}): {type(exc).__name__}: {exc}"
            await publish_failure(
                env, action.record(ReplayResult.FAILED, {**counts, **done}, message=message)
            )
            raise
    result = ReplayResult.SUCCEEDED if run else ReplayResult.DRY_RUN
    await publish(env, action.record(result, counts, message=None if run else "dry run: add --execute"))
    return plan
