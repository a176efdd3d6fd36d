"""The worker's topology as data: what each agent reads, the tables it keeps, the group's own topics.

Declared here, not in agents/ or tables/, so that replay and reset read the very facts the worker runs on
without importing the worker: which topics the group consumes (and so rewinds), which of those it writes
itself (repartitions, regenerated rather than replayed), and the changelog topic of each table.
"""

from __future__ import annotations

from dataclasses import dataclass

from app.contracts.topics import (
    ASSIGNMENTS_BY_PROJECT,
    ERP_BILLING_STATUS,
    LEDGER_CORRECTIONS,
    PROJECT_PARTITIONS,
    PSA_MILESTONES,
    PSA_PROJECTS,
    PSA_RESOURCE_ASSIGNMENTS,
    PSA_TIME_ENTRIES,
    RESOURCE_PARTITIONS,
    TIME_BY_RESOURCE,
    TopicSpec,
)

EXTERNAL_OWNERS = frozenset({"PSA", "ERP"})


@dataclass(frozen=True, kw_only=True)
class AgentSpec:
    """One agent: its name (also its redrive header value) and the catalog topics it reads."""

    name: str
    inputs: tuple[TopicSpec, ...]
    # A forwarder only re-keys its input onto this repartition topic.
    forwards_to: TopicSpec | None = None

    def external_inputs(self) -> tuple[TopicSpec, ...]:
        """Return the inputs the PSA or the ERP publish (not the ones psflow writes for itself)."""
        return tuple(spec for spec in self.inputs if spec.owner in EXTERNAL_OWNERS)


@dataclass(frozen=True, kw_only=True)
class TableSpec:
    """One table: its name, partition count and purpose."""

    name: str
    partitions: int
    help: str

    def changelog_topic(self, app_id: str) -> str:
        """Return the table's changelog topic: Faust names it "<app id>-<table>-changelog".

        tests/unit/contracts/test_topology.py checks that Faust still names it so.
        """
        return f"{app_id}-{self.name}-changelog"


# One agent for every project-keyed input: a project's events are then handled one at a time, in partition
# order, by the worker that owns the project's table partition. Replay corrections are an input too: a later
# revision must reverse the charge a replay put live, not the one it already reversed.
PROJECT_LEDGER = AgentSpec(
    name="project-ledger",
    inputs=(PSA_PROJECTS, PSA_TIME_ENTRIES, PSA_MILESTONES, ERP_BILLING_STATUS, LEDGER_CORRECTIONS),
)
TIME_BY_RESOURCE_FORWARDER = AgentSpec(
    name="time-by-resource", inputs=(PSA_TIME_ENTRIES,), forwards_to=TIME_BY_RESOURCE
)
ASSIGNMENTS_BY_PROJECT_FORWARDER = AgentSpec(
    name="assignments-by-project", inputs=(PSA_RESOURCE_ASSIGNMENTS,), forwards_to=ASSIGNMENTS_BY_PROJECT
)
RESOURCE_PLAN = AgentSpec(name="resource-plan", inputs=(PSA_RESOURCE_ASSIGNMENTS, TIME_BY_RESOURCE))
PROJECT_FORECAST = AgentSpec(
    name="project-forecast",
    inputs=(PSA_PROJECTS, PSA_TIME_ENTRIES, PSA_MILESTONES, ASSIGNMENTS_BY_PROJECT),
)
AGENTS: tuple[AgentSpec, ...] = (
    PROJECT_LEDGER,
    TIME_BY_RESOURCE_FORWARDER,
    ASSIGNMENTS_BY_PROJECT_FORWARDER,
    RESOURCE_PLAN,
    PROJECT_FORECAST,
)

PROJECT_LEDGERS = TableSpec(
    name="project-ledgers", partitions=PROJECT_PARTITIONS, help="Financial state per project."
)
# The project-ledger agent's applied-offset guard; `replay reset --to-datetime` clears it.
LEDGER_APPLIED_OFFSETS = TableSpec(
    name="project-ledger-offsets",
    partitions=PROJECT_PARTITIONS,
    help="Last applied offset per source partition of the project ledger.",
)
RESOURCE_PLANS = TableSpec(
    name="resource-plans", partitions=RESOURCE_PARTITIONS, help="Plan and actuals per resource."
)
PROJECT_FORECASTS = TableSpec(
    name="project-forecasts", partitions=PROJECT_PARTITIONS, help="Forecast inputs per project."
)
TABLES: tuple[TableSpec, ...] = (PROJECT_LEDGERS, LEDGER_APPLIED_OFFSETS, RESOURCE_PLANS, PROJECT_FORECASTS)

# Ticks drive the parked-item sweep, one partition per project partition (see agents/parking_sweeper.py).
TICKS_PARTITIONS = PROJECT_PARTITIONS
TICKS_RETENTION_MS = 3_600_000


def ticks_topic(app_id: str) -> str:
    """Return the name of the worker group's internal tick topic (the worker creates it before Faust)."""
    return f"{app_id}-ticks"


def consumed() -> tuple[TopicSpec, ...]:
    """Return every catalog topic some agent reads, in declaration order."""
    return tuple(dict.fromkeys(spec for agent in AGENTS for spec in agent.inputs))


def repartitions() -> tuple[TopicSpec, ...]:
    """Return the topics the group writes for itself and reads back: a reset regenerates them."""
    return tuple(agent.forwards_to for agent in AGENTS if agent.forwards_to is not None)


def given() -> tuple[TopicSpec, ...]:
    """Return the consumed topics the group does not derive itself: the ones a reset replays."""
    derived = set(repartitions())
    return tuple(spec for spec in consumed() if spec not in derived)


def external() -> tuple[TopicSpec, ...]:
    """Return the consumed topics the PSA or the ERP publish: what an operator may select for a replay."""
    return tuple(spec for spec in consumed() if spec.owner in EXTERNAL_OWNERS)
