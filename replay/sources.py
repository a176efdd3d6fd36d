"""Read what the sandboxes and diffs need: subjects' inputs as the worker consumed them, live outputs."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Generic, TypeVar, cast

from aiokafka.structs import TopicPartition

from app.contracts.codec import DecodeError
from app.contracts.subjects import CONTRACTS
from app.contracts.topics import (
    ASSIGNMENTS_BY_PROJECT,
    ENTRY_MOVES,
    ERP_ACCOUNTING_PERIODS,
    ERP_BILLING_COMMANDS,
    FORECAST_DELTAS,
    TopicSpec,
    partition_for,
)
from domain.ledger.decision import InboundRecord
from domain.moves import MovedAway
from domain.periods import AccountingCalendar
from domain.records.common import Event, SourceRef
from domain.records.erp import AccountingPeriod, BillingCommand
from domain.records.forecast import ForecastDelta, SubjectType
from domain.records.psa import ResourceAssignment, TimeEntry
from replay.env import ReplayEnv
from replay.kafka_read import Reader, Slice, committed
from replay.sandbox import SourceEvent
from replay.selection import LEDGER_INPUTS

R = TypeVar("R", bound=Event)


@dataclass(frozen=True)
class Inputs(Generic[R]):
    """The subjects' input events up to the worker group's committed offsets, and that cut."""

    events: dict[str, list[SourceEvent[R]]]
    cut: dict[str, int]
    undecodable: int
    unconsumed: int


def _tp_name(tp: TopicPartition) -> str:
    return f"{tp.topic}:{tp.partition}"


def subject_partitions(env: ReplayEnv, spec: TopicSpec, subjects: Iterable[str]) -> list[TopicPartition]:
    """Return the partitions of a project-keyed topic that hold the subjects."""
    parts = sorted({partition_for(s, spec.partitions) for s in subjects})
    return [TopicPartition(env.name(spec), p) for p in parts]


async def read_inputs(
    env: ReplayEnv, reader: Reader, subjects: tuple[str, ...], to_end: bool = False
) -> Inputs[InboundRecord]:
    """Read the subjects' full input history, up to what the worker group has committed (or all of it).

    Cutting at the group's committed offsets compares like with like: the worker acknowledges a record's
    outputs before committing past it, so every command of the inputs before the cut is on the topic. The
    subjects' records past the cut are counted as `unconsumed`: their commands may or may not be out yet,
    so `apply` refuses a preview that saw any. Undecodable records are already on ops.exceptions.
    """
    # Every ledger input's record type is an InboundRecord (app/contracts/subjects.py maps each subject).
    # The moves of the subjects' entries to other projects too: the worker's ledger reverses them.
    specs = (*LEDGER_INPUTS, ENTRY_MOVES)
    return cast(Inputs[InboundRecord], await _read_to_cut(env, reader, specs, subjects, to_end))


async def read_assignments(
    env: ReplayEnv, reader: Reader, subjects: tuple[str, ...], to_end: bool = False
) -> Inputs[ResourceAssignment]:
    """Read the subjects' assignments from psflow.assignments-by-project, up to the group's committed offsets.

    The project-forecast agent reads assignments from this repartition topic, not psa.resource-assignments:
    its records, offsets and timestamps are the ones the worker merged with the project's other inputs.
    """
    found = await _read_to_cut(env, reader, (ASSIGNMENTS_BY_PROJECT,), subjects, to_end)
    return cast(Inputs[ResourceAssignment], found)


async def _read_to_cut(
    env: ReplayEnv, reader: Reader, specs: tuple[TopicSpec, ...], subjects: tuple[str, ...], to_end: bool
) -> Inputs[Event]:
    """Read the subjects' records of project-keyed topics up to the group's committed offsets."""
    models = {c.subject: c.model for c in CONTRACTS}
    tps = [tp for spec in specs for tp in subject_partitions(env, spec, subjects)]
    bounds = await reader.bounds(tps)
    done = {tp: b[1] for tp, b in bounds.items()} if to_end else await committed(env.kafka, env.group, tps)
    cut = {tp: min(done[tp], bounds[tp][1]) for tp in tps}
    raw = await reader.read(Slice(tp.topic, tp.partition, *bounds[tp]) for tp in tps)
    expected = {env.name(spec): models[spec.value_subject] for spec in specs}
    moves = env.name(ENTRY_MOVES)
    wanted = set(subjects)
    events: dict[str, list[SourceEvent[Event]]] = defaultdict(list)
    undecodable = unconsumed = 0
    for record in raw:
        if record.offset >= cut[TopicPartition(record.topic, record.partition)]:
            unconsumed += (record.key or b"").decode(errors="replace") in wanted
            continue
        try:
            value: Event | None = env.codec.decode(record.value or b"", expected[record.topic])
        except DecodeError:
            undecodable += 1
            continue
        if record.topic == moves and isinstance(value, TimeEntry):
            value = MovedAway.of(value)  # what the entry's previous project learns (domain.moves)
        if value is None:
            continue
        project = getattr(value, "project_id", None)
        if project not in wanted:
            continue
        source = SourceRef(
            event_id=value.event_id, topic=record.topic, partition=record.partition, offset=record.offset
        )
        events[str(project)].append(SourceEvent(value, source, record.timestamp))
    return Inputs(dict(events), {_tp_name(tp): c for tp, c in cut.items()}, undecodable, unconsumed)


async def read_commands(
    env: ReplayEnv, reader: Reader, subjects: tuple[str, ...], since: dict[str, int] | None = None
) -> tuple[dict[str, list[BillingCommand]], dict[str, int]]:
    """Return the subjects' committed commands in issue order (from `since`, else the start), and ends."""
    tps = subject_partitions(env, ERP_BILLING_COMMANDS, subjects)
    bounds = await reader.bounds(tps)
    starts = {tp: (since or {}).get(_tp_name(tp), bounds[tp][0]) for tp in tps}
    raw = await reader.read(Slice(tp.topic, tp.partition, starts[tp], bounds[tp][1]) for tp in tps)
    wanted = set(subjects)
    by_project: dict[str, list[BillingCommand]] = defaultdict(list)
    for record in sorted(raw, key=lambda r: (r.partition, r.offset)):
        try:
            command = env.codec.decode(record.value or b"", BillingCommand)
        except DecodeError:
            continue
        if command.project_id in wanted:
            by_project[command.project_id].append(command)
    return dict(by_project), {_tp_name(tp): b[1] for tp, b in bounds.items()}


async def read_calendar(env: ReplayEnv, reader: Reader) -> AccountingCalendar:
    """Return the closed periods: configured ones plus everything the ERP published."""
    calendar = AccountingCalendar(env.closed_periods)
    tp = TopicPartition(env.name(ERP_ACCOUNTING_PERIODS), 0)
    first, end = (await reader.bounds([tp]))[tp]
    for record in await reader.read([Slice(tp.topic, 0, first, end)]):
        try:
            calendar.apply(env.codec.decode(record.value or b"", AccountingPeriod))
        except DecodeError:
            continue
    return calendar


async def read_deltas(
    env: ReplayEnv, reader: Reader, subjects: tuple[str, ...]
) -> dict[str, list[ForecastDelta]]:
    """Return the subjects' project deltas on forecast.deltas in offset order (what retention kept)."""
    tps = subject_partitions(env, FORECAST_DELTAS, subjects)
    bounds = await reader.bounds(tps)
    raw = await reader.read(Slice(tp.topic, tp.partition, *bounds[tp]) for tp in tps)
    wanted = set(subjects)
    by_project: dict[str, list[ForecastDelta]] = defaultdict(list)
    for record in sorted(raw, key=lambda r: (r.partition, r.offset)):
        try:
            delta = env.codec.decode(record.value or b"", ForecastDelta)
        except DecodeError:
            continue
        # Resource subjects share the partitions (keyed by resource id) and are not diffed.
        if delta.subject_type is SubjectType.PROJECT and delta.subject_id in wanted:
            by_project[delta.subject_id].append(delta)
    return dict(by_project)
