"""Recompute a project's forecast from its history in memory and diff it against forecast.deltas.

Pure: no Kafka, no table, no clock. The rules are the ones the worker's `project-forecast` agent runs
(`domain.forecast.project`), fed in the worker's event-time merge order (`SourceEvent.order`) with today's
`ForecastContext`. Today's rate card goes into every approved contract version exactly as in the billing
sandbox (`replay.sandbox.with_reference`), so both diffs answer the same question: what would have been
emitted had today's code and reference data always been in force.

The live worker settles at the end of each batch and wherever a subject's changes move to another month
(`domain.forecast.runs`); its batches are not known here. The recompute applies every event in order and
settles by the same month rule only: each month's last settle is the one at its last changing event on
both sides, so point-in-time metrics (recognized revenue, backlog, ETC, EAC), which a month keeps from its
last settle, and the final values agree whatever the worker's batches were.

The recomputed value of a metric is the `current` of the last delta the recompute emitted for it (what the
state remembers as emitted); the live value is the `current` of the last delta on forecast.deltas, by offset.
Batched settling leaves each side's last emitted value less than the threshold from the value it stands
for, so values that differ by less than the threshold are equal, and a metric only one side has is equal
while its value is under the threshold (a key is only emitted once it moves that far from zero). Only
project subjects are compared: resource subjects come from another agent and are out of scope. The diff is
informational: `apply` emits billing commands only and never corrects a forecast.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from decimal import Decimal

from domain.forecast import ForecastContext, MemoryProjectForecast, ProjectForecastView
from domain.forecast import project as rules
from domain.forecast.runs import SettleRun
from domain.forecast.values import key_of
from domain.moves import MovedAway
from domain.records.forecast import ForecastDelta, SubjectType
from domain.records.psa import MilestoneEvent, ProjectContract, ResourceAssignment, TimeEntry
from replay.sandbox import AssignmentEvent, LedgerEvent, latest_approved, with_reference
from replay.selection import Frozen

ForecastRecord = ProjectContract | TimeEntry | MilestoneEvent | ResourceAssignment | MovedAway
CENT = Decimal("0.01")


class MetricDiff(Frozen):
    """One metric of one month on which live and recomputed disagree; None where a side has no value."""

    period: str
    metric: str
    live: Decimal | None = None
    live_unit: str | None = None
    recomputed: Decimal | None = None
    recomputed_unit: str | None = None

    def describe(self) -> str:
        """Render the metric and both sides for an operator."""
        live, recomputed = _shown(self.live, self.live_unit), _shown(self.recomputed, self.recomputed_unit)
        return f"{self.period} {self.metric}: live {live}, recomputed {recomputed}"


def _shown(value: Decimal | None, unit: str | None) -> str:
    if value is None:
        return "-"
    # Avro carries forecast values at 4 decimals: show 2 where that loses nothing, as the rules round to.
    cents = value.quantize(CENT)
    return f"{cents if cents == value else value} {unit}"


class ForecastDiff(Frozen):
    """A project's forecast metrics that differ, that were never emitted live, or that only live has."""

    project_id: str
    events: int = 0
    compared: int = 0
    differing: tuple[MetricDiff, ...] = ()
    missing_live: tuple[MetricDiff, ...] = ()
    live_only: tuple[MetricDiff, ...] = ()

    def is_empty(self) -> bool:
        """Tell whether live and recomputed agree on every metric."""
        return not (self.differing or self.missing_live or self.live_only)


@dataclass(frozen=True)
class RecomputedForecast:
    """The recompute's last delta per snapshot key, how many input events it replayed, and the threshold
    under which a difference is settling's residue."""

    project_id: str
    latest: dict[str, ForecastDelta]
    events: int
    threshold: Decimal = Decimal(0)


def recompute_forecast(
    project_id: str,
    history: Sequence[LedgerEvent],
    assignments: Sequence[AssignmentEvent],
    ctx: ForecastContext,
) -> RecomputedForecast:
    """Replay a project's forecast inputs through the project-forecast rules from an empty state."""
    kinds = ProjectContract | TimeEntry | MilestoneEvent | MovedAway
    mine = [e for e in history if isinstance(e.record, kinds)]
    mine = [e for e in mine if e.record.project_id == project_id]
    reference_event = latest_approved(mine)
    reference = None if reference_event is None else reference_event.record
    card = reference if isinstance(reference, ProjectContract) else None
    inputs: list[LedgerEvent | AssignmentEvent] = [*mine]
    inputs += [a for a in assignments if a.record.project_id == project_id]
    records = [
        event.record if isinstance(event.record, ResourceAssignment) else _forecast_record(event, card)
        for event in sorted(inputs, key=lambda e: e.order())
    ]
    state = MemoryProjectForecast(project_id)
    latest: dict[str, ForecastDelta] = {}
    view, run = ProjectForecastView(project_id, state), None
    for record in records:
        # The worker's rule for when a forecast settles (domain.forecast.runs), without its batch ends.
        if run is not None and run.ends_before(record):
            latest.update((_key(d), d) for d in _settled(view, run, ctx))
            state.apply(view.changes())
            view, run = ProjectForecastView(project_id, state), None
        run = run or SettleRun.starting(record)
        if rules.apply(view, record, ctx):
            run.caused(record)
    if run is not None:
        latest.update((_key(d), d) for d in _settled(view, run, ctx))
    return RecomputedForecast(project_id, latest, len(inputs), ctx.threshold)


def _settled(view: ProjectForecastView, run: SettleRun, ctx: ForecastContext) -> list[ForecastDelta]:
    if not run.causes:
        return []
    settled = rules.settle(view, ctx, as_of=run.as_of, cause=run.cause, causes=run.causes)
    return list(settled.deltas)


def _forecast_record(event: LedgerEvent, card: ProjectContract | None) -> ForecastRecord:
    record = with_reference(event.record, card)
    if not isinstance(record, ProjectContract | TimeEntry | MilestoneEvent | MovedAway):
        raise TypeError(f"{type(record).__name__} is not a forecast input")  # filtered out above
    return record


def _key(delta: ForecastDelta) -> str:
    return key_of(delta.subject_type, delta.subject_id, delta.period, delta.metric)


def latest_live(project_id: str, deltas: Iterable[ForecastDelta]) -> dict[str, ForecastDelta]:
    """Return the project subject's last delta per snapshot key; `deltas` come in offset order."""
    return {
        _key(d): d for d in deltas if d.subject_type is SubjectType.PROJECT and d.subject_id == project_id
    }


def diff_forecast(recomputed: RecomputedForecast, live: Mapping[str, ForecastDelta]) -> ForecastDiff:
    """Compare the recomputed final value of every metric with its latest live value, up to the threshold."""
    differing: list[MetricDiff] = []
    missing: list[MetricDiff] = []
    only: list[MetricDiff] = []
    for key in sorted(recomputed.latest.keys() | live.keys()):
        ours, theirs = recomputed.latest.get(key), live.get(key)
        if _agree(ours, theirs, recomputed.threshold):
            continue
        shown = ours if ours is not None else live[key]
        line = MetricDiff(
            period=shown.period,
            metric=shown.metric,
            live=None if theirs is None else theirs.current,
            live_unit=None if theirs is None else theirs.unit,
            recomputed=None if ours is None else ours.current,
            recomputed_unit=None if ours is None else ours.unit,
        )
        (missing if theirs is None else only if ours is None else differing).append(line)
    return ForecastDiff(
        project_id=recomputed.project_id,
        events=recomputed.events,
        compared=len(recomputed.latest.keys() & live.keys()),
        differing=tuple(differing),
        missing_live=tuple(missing),
        live_only=tuple(only),
    )


def _agree(ours: ForecastDelta | None, theirs: ForecastDelta | None, threshold: Decimal) -> bool:
    """Tell whether two last values stand for the same one: equal, or apart by settling's residue only."""
    if ours is None or theirs is None:
        shown = theirs if ours is None else ours
        # A key never emitted on one side reads zero there: it is under the threshold or it would be.
        return shown is not None and abs(shown.current) < threshold
    if ours.unit != theirs.unit:
        return False
    return ours.current == theirs.current or abs(ours.current - theirs.current) < threshold


def forecast_diff(
    project_id: str,
    history: Sequence[LedgerEvent],
    assignments: Sequence[AssignmentEvent],
    live: Iterable[ForecastDelta],
    ctx: ForecastContext,
) -> ForecastDiff:
    """Recompute a project's forecast and diff it against its live deltas (given in offset order)."""
    recomputed = recompute_forecast(project_id, history, assignments, ctx)
    return diff_forecast(recomputed, latest_live(project_id, live))
