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

import faust

from agents.batching import batches
from agents.forecasting import register_forecast_agent
from app.codec import DecodeError
from app.faust_app import Runtime
from app.side_producer import SideProducer
from app.topics import (
    ASSIGNMENTS_BY_PROJECT,
    PSA_MILESTONES,
    PSA_PROJECTS,
    PSA_RESOURCE_ASSIGNMENTS,
    PSA_TIME_ENTRIES,
    TIME_BY_RESOURCE,
    TopicSpec,
)
from domain.forecast import ProjectForecastState, ResourcePlan
from domain.forecast import project as project_rules
from domain.forecast import resource as resource_rules
from domain.records.common import Event
from domain.records.psa import MilestoneEvent, ProjectContract, ResourceAssignment, TimeEntry
from tables.forecasts import ProjectForecasts, ResourcePlans, project_forecasts, resource_plans


def register(runtime: Runtime) -> tuple[ResourcePlans, ProjectForecasts]:
    """Declare the repartition topics, the forecast tables and every forecast agent."""
    app = runtime.app
    time_by_resource = runtime.topic(TIME_BY_RESOURCE)
    assignments_by_project = runtime.topic(ASSIGNMENTS_BY_PROJECT)
    _repartition(runtime, "time-by-resource", PSA_TIME_ENTRIES, TimeEntry, time_by_resource, "resource_id")
    _repartition(
        runtime, "assignments-by-project", PSA_RESOURCE_ASSIGNMENTS, ResourceAssignment,
        assignments_by_project, "project_id",
    )  # fmt: skip

    plans = resource_plans(app)
    assignments = runtime.topic_name(PSA_RESOURCE_ASSIGNMENTS)
    register_forecast_agent(
        runtime,
        "resource-plan",
        app.topic(
            assignments, time_by_resource.get_topic_name(), key_serializer="raw", value_serializer="raw"
        ),
        {assignments: ResourceAssignment, time_by_resource.get_topic_name(): TimeEntry},
        {ResourceAssignment: resource_rules.on_assignment, TimeEntry: resource_rules.on_actual_time},
        plans,
        lambda record: _field(record, "resource_id"),
        lambda resource_id: ResourcePlan(resource_id=resource_id),
        quarantined=frozenset({assignments}),
    )

    forecasts = project_forecasts(app)
    project_topics = [runtime.topic_name(s) for s in (PSA_PROJECTS, PSA_TIME_ENTRIES, PSA_MILESTONES)]
    register_forecast_agent(
        runtime,
        "project-forecast",
        app.topic(
            *project_topics,
            assignments_by_project.get_topic_name(),
            key_serializer="raw",
            value_serializer="raw",
        ),
        {
            **dict(zip(project_topics, (ProjectContract, TimeEntry, MilestoneEvent), strict=True)),
            assignments_by_project.get_topic_name(): ResourceAssignment,
        },
        {
            ProjectContract: project_rules.on_contract,
            TimeEntry: project_rules.on_time_actual,
            MilestoneEvent: project_rules.on_milestone,
            ResourceAssignment: project_rules.on_assignment,
        },
        forecasts,
        lambda record: _field(record, "project_id"),
        lambda project_id: ProjectForecastState(project_id=project_id),
        quarantined=frozenset(),
    )
    return plans, forecasts


def _field(record: Event, name: str) -> str:
    value: str = getattr(record, name)
    return value


def _repartition(
    runtime: Runtime, name: str, source: TopicSpec, model: type[Event], target: faust.TopicT, key_field: str
) -> None:
    """Forward each record's raw bytes to `target`, keyed by one of its fields.

    A batch's forwards are acknowledged before its source records are acked (app/side_producer.py says why
    they cannot join Faust's transaction); a forward repeated after a crash is a revision the reader ignores.
    """
    producer = SideProducer(runtime.app, runtime.settings.broker, f"psflow-{name}")

    @runtime.app.agent(runtime.topic(source), name=name)
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
