"""The forecast topology: time repartitioned by resource, assignments by project, and the two rule agents.

    psa.time-entries ─► time-by-resource ─► psflow.time-by-resource (by resource) ─┐
    psa.resource-assignments (by resource) ───────────────────────────────────────┴─► resource-plan
    psa.resource-assignments ─► assignments-by-project ─► psflow.assignments-by-project ─┐
    psa.projects, psa.time-entries, psa.milestones (by project) ────────────────────────┴─► project-forecast

Per-key order holds across the repartition: every revision of an entry comes from one project partition in
offset order and is forwarded, in that order, inside that partition's transaction, to the one partition of
its resource; the same goes for an assignment's revisions and its project.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from typing import Any

from agents.commit import batches
from agents.forecasting import register_forecast_agent
from app.contracts.codec import DecodeError
from app.contracts.topics import PSA_RESOURCE_ASSIGNMENTS
from app.contracts.topology import (
    ASSIGNMENTS_BY_PROJECT_FORWARDER,
    PROJECT_FORECAST,
    RESOURCE_PLAN,
    TIME_BY_RESOURCE_FORWARDER,
    AgentSpec,
)
from app.faust_workarounds.side_producer import SideProducer
from app.runtime.runtime import Runtime
from domain.forecast import ProjectForecastState, ResourcePlan
from domain.forecast import project as project_rules
from domain.forecast import resource as resource_rules
from domain.records.common import Event
from domain.records.psa import MilestoneEvent, ProjectContract, ResourceAssignment, TimeEntry
from tables.forecasts import ProjectForecasts, ResourcePlans, project_forecasts, resource_plans


def register(runtime: Runtime) -> tuple[ResourcePlans, ProjectForecasts]:
    """Declare the repartition agents, the forecast tables and every forecast agent."""
    _repartition(runtime, TIME_BY_RESOURCE_FORWARDER, TimeEntry, "resource_id")
    _repartition(runtime, ASSIGNMENTS_BY_PROJECT_FORWARDER, ResourceAssignment, "project_id")
    plans = resource_plans(runtime.app)
    register_forecast_agent(
        runtime,
        RESOURCE_PLAN,
        {ResourceAssignment: resource_rules.on_assignment, TimeEntry: resource_rules.on_actual_time},
        plans,
        lambda record: _field(record, "resource_id"),
        lambda resource_id: ResourcePlan(resource_id=resource_id),
        quarantined=(PSA_RESOURCE_ASSIGNMENTS,),
    )
    forecasts = project_forecasts(runtime.app)
    register_forecast_agent(
        runtime,
        PROJECT_FORECAST,
        {
            ProjectContract: project_rules.on_contract,
            TimeEntry: project_rules.on_time_actual,
            MilestoneEvent: project_rules.on_milestone,
            ResourceAssignment: project_rules.on_assignment,
        },
        forecasts,
        lambda record: _field(record, "project_id"),
        lambda project_id: ProjectForecastState(project_id=project_id),
        quarantined=(),
    )
    return plans, forecasts


def _field(record: Event, name: str) -> str:
    value: str = getattr(record, name)
    return value


def _repartition(runtime: Runtime, spec: AgentSpec, model: type[Event], key_field: str) -> None:
    """Forward each record's raw bytes to `target`, keyed by one of its fields.

    A batch's forwards are acknowledged before its source records are acked (see
    app/faust_workarounds/side_producer.py for why they cannot join Faust's transaction); a forward repeated
    after a crash is a revision the reader ignores.
    """
    assert spec.forwards_to is not None, f"{spec.name} is not a forwarder"
    target = runtime.topic(spec.forwards_to)
    producer = SideProducer(runtime.app, runtime.settings.broker, f"psflow-{spec.name}")

    @runtime.app.agent(runtime.topic(*spec.inputs), name=spec.name)
    async def forward(stream: Any) -> AsyncIterator[int]:
        async for events in batches(stream, runtime.settings):
            sent = []
            for event in events:
                try:
                    record = runtime.codec.decode(event.value or b"", model)
                except DecodeError:
                    continue  # reported once, by the agent that owns this topic's quarantine
                key = _field(record, key_field).encode()
                sent.append(await producer.send(target.get_topic_name(), event.value, key=key))
            await asyncio.gather(*sent)
            yield len(sent)
