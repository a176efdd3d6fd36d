"""Run forecast events as batches on in-memory state: one event a batch (as the rules ran before), or many."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import datetime
from typing import NamedTuple, TypeVar

from domain.forecast import (
    PROJECT_KINDS,
    RESOURCE_KINDS,
    ForecastContext,
    MemoryProjectForecast,
    MemoryResourcePlan,
    ProjectForecastView,
    ResourcePlanView,
)
from domain.forecast import project as project_rules
from domain.forecast import resource as resource_rules
from domain.records.forecast import ForecastDelta
from domain.records.ops import BusinessException
from domain.records.psa import MilestoneEvent, ProjectContract, ResourceAssignment, TimeEntry
from domain.state import MemoryState

ProjectEvent = ProjectContract | TimeEntry | ResourceAssignment | MilestoneEvent
ResourceEvent = TimeEntry | ResourceAssignment
S = TypeVar("S", MemoryProjectForecast, MemoryResourcePlan)


class Step(NamedTuple):
    """The state after some batches and everything they emitted, in order."""

    state: MemoryProjectForecast
    deltas: tuple[ForecastDelta, ...]
    exceptions: tuple[BusinessException, ...]


class PlanStep(NamedTuple):
    """A resource's plan after some batches and everything they emitted, in order."""

    state: MemoryResourcePlan
    deltas: tuple[ForecastDelta, ...]
    exceptions: tuple[BusinessException, ...]


def project_batch(
    state: MemoryProjectForecast, events: Sequence[ProjectEvent], ctx: ForecastContext, as_of: datetime
) -> Step:
    """Apply one batch of a project's events to a copy of its state, settle once as of `as_of`."""
    current = state.copy()
    view = ProjectForecastView(current.project_id, current)
    for event in events:
        project_rules.apply(view, event, ctx)
    last = events[-1].envelope if events else None
    causes = tuple(e.event_id for e in events)
    settled = project_rules.settle(view, ctx, as_of=as_of, cause=last, causes=causes)
    return Step(current.apply(view.changes()), settled.deltas, settled.exceptions)


def feed_project(
    events: Iterable[ProjectEvent],
    ctx: ForecastContext,
    as_of: datetime,
    state: MemoryProjectForecast | None = None,
) -> Step:
    """Apply events one batch each to P-1 (or `state`); return the last state and everything emitted."""
    current = state if state is not None else MemoryProjectForecast("P-1")
    deltas: list[ForecastDelta] = []
    exceptions: list[BusinessException] = []
    for event in events:
        step = project_batch(current, [event], ctx, as_of)
        current = step.state
        deltas += step.deltas
        exceptions += step.exceptions
    return Step(current, tuple(deltas), tuple(exceptions))


def reforecast(state: MemoryProjectForecast, ctx: ForecastContext, as_of: datetime) -> Step:
    """Settle a project with no event: time passed or the context changed."""
    return project_batch(state, [], ctx, as_of)


def resource_batch(
    state: MemoryResourcePlan, events: Sequence[ResourceEvent], ctx: ForecastContext, as_of: datetime
) -> PlanStep:
    """Apply one batch of a resource's events to a copy of its plan, settle once as of `as_of`."""
    current = state.copy()
    view = ResourcePlanView(current.resource_id, current)
    for event in events:
        resource_rules.apply(view, event, ctx)
    last = events[-1].envelope if events else None
    causes = tuple(e.event_id for e in events)
    settled = resource_rules.settle(view, ctx, as_of=as_of, cause=last, causes=causes)
    return PlanStep(current.apply(view.changes()), settled.deltas, settled.exceptions)


def feed_resource(
    events: Iterable[ResourceEvent],
    ctx: ForecastContext,
    as_of: datetime,
    state: MemoryResourcePlan | None = None,
    resource_id: str = "R-ANA",
) -> PlanStep:
    """Apply events one batch each to a resource's plan; return the last plan and everything emitted."""
    current = state if state is not None else MemoryResourcePlan(resource_id)
    deltas: list[ForecastDelta] = []
    exceptions: list[BusinessException] = []
    for event in events:
        step = resource_batch(current, [event], ctx, as_of)
        current = step.state
        deltas += step.deltas
        exceptions += step.exceptions
    return PlanStep(current, tuple(deltas), tuple(exceptions))


def read_back(state: S) -> S:
    """Return the state with every item read back from its JSON, as the worker's tables hold it."""
    kinds = PROJECT_KINDS if isinstance(state, MemoryProjectForecast) else RESOURCE_KINDS
    items = {
        key: kinds[key[0]].model_validate_json(value.model_dump_json())
        for key, value in state.state.items.items()
    }
    return type(state)(state.subject_id, MemoryState(items))
