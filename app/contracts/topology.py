"""The worker's topology as data: the stages of its pipeline and what each reads, its tables, its topics.

One Faust agent (the pipeline) reads every input and runs the stages an input concerns: the project
ledger, the project forecast, the resource plan, and the forwards that re-key time by resource and
assignments by project. Declared here, not in agents/ or tables/, so that replay and reset read the very
facts the worker runs on without importing the worker: which topics the group consumes (and so rewinds),
which of those it writes itself (repartitions, regenerated rather than replayed), and each table's changelog.
"""

from __future__ import annotations

from dataclasses import dataclass

from app.contracts.topics import (
    ASSIGNMENTS_BY_PROJECT,
    ENTRY_MOVES,
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
class Stage:
    """One stage of the pipeline: its name (the redrive header value) and the catalog topics it reads."""

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


# A project's events are handled one at a time, in partition order, by the worker that owns the project's
# partition. Replay corrections are an input too: a later revision must reverse the charge a replay put
# live, not the one it already reversed. So are entry moves: the revision that took an entry to another
# project, decided there and written to the entry's previous project (domain.moves).
PROJECT_LEDGER = Stage(
    name="project-ledger",
    inputs=(
        PSA_PROJECTS,
        PSA_TIME_ENTRIES,
        PSA_MILESTONES,
        ERP_BILLING_STATUS,
        LEDGER_CORRECTIONS,
        ENTRY_MOVES,
    ),
)
# The ledger's moves of entries between projects: written by the new project's decision, derived from the
# PSA's time entries like a repartition (a reset regenerates it rather than replaying it).
ENTRY_MOVES_FORWARDER = Stage(name="entry-moves", inputs=(PSA_TIME_ENTRIES,), forwards_to=ENTRY_MOVES)
TIME_BY_RESOURCE_FORWARDER = Stage(
    name="time-by-resource", inputs=(PSA_TIME_ENTRIES,), forwards_to=TIME_BY_RESOURCE
)
ASSIGNMENTS_BY_PROJECT_FORWARDER = Stage(
    name="assignments-by-project", inputs=(PSA_RESOURCE_ASSIGNMENTS,), forwards_to=ASSIGNMENTS_BY_PROJECT
)
RESOURCE_PLAN = Stage(name="resource-plan", inputs=(PSA_RESOURCE_ASSIGNMENTS, TIME_BY_RESOURCE))
PROJECT_FORECAST = Stage(
    name="project-forecast",
    inputs=(PSA_PROJECTS, PSA_TIME_ENTRIES, PSA_MILESTONES, ASSIGNMENTS_BY_PROJECT, ENTRY_MOVES),
)
STAGES: tuple[Stage, ...] = (
    PROJECT_LEDGER,
    ENTRY_MOVES_FORWARDER,
    TIME_BY_RESOURCE_FORWARDER,
    ASSIGNMENTS_BY_PROJECT_FORWARDER,
    RESOURCE_PLAN,
    PROJECT_FORECAST,
)

PROJECT_LEDGER_ITEMS = TableSpec(
    name="project-ledger-items",
    partitions=PROJECT_PARTITIONS,
    help="Each project's ledger: totals, entries, commands, milestones, parked events, raised exceptions.",
)
PROJECT_FORECAST_ITEMS = TableSpec(
    name="project-forecast-items",
    partitions=PROJECT_PARTITIONS,
    help="Each project's forecast: terms, plan, monthly sums and emitted values, actuals per entry.",
)
RESOURCE_PLAN_ITEMS = TableSpec(
    name="resource-plan-items",
    partitions=RESOURCE_PARTITIONS,
    help="Each resource's plan: assignments, actuals per entry, months.",
)
# Written by versions before keyed items (one growing value per subject): read once and split on first use.
PROJECT_LEDGERS = TableSpec(
    name="project-ledgers", partitions=PROJECT_PARTITIONS, help="Legacy: financial state per project."
)
# The pipeline's applied-offset guard (its name is historical); `replay reset --to-datetime` clears it.
LEDGER_APPLIED_OFFSETS = TableSpec(
    name="project-ledger-offsets",
    partitions=PROJECT_PARTITIONS,
    help="Last applied offset per source partition of the pipeline.",
)
RESOURCE_PLANS = TableSpec(
    name="resource-plans", partitions=RESOURCE_PARTITIONS, help="Legacy: plan and actuals per resource."
)
PROJECT_FORECASTS = TableSpec(
    name="project-forecasts", partitions=PROJECT_PARTITIONS, help="Legacy: forecast inputs per project."
)
TABLES: tuple[TableSpec, ...] = (
    PROJECT_LEDGER_ITEMS,
    PROJECT_FORECAST_ITEMS,
    RESOURCE_PLAN_ITEMS,
    LEDGER_APPLIED_OFFSETS,
    PROJECT_LEDGERS,
    RESOURCE_PLANS,
    PROJECT_FORECASTS,
)
PIPELINE = "pipeline"

# Ticks drive the parked-item sweep, one partition per project partition (see agents/sweep.py).
TICKS_PARTITIONS = PROJECT_PARTITIONS
TICKS_RETENTION_MS = 3_600_000


def ticks_topic(app_id: str) -> str:
    """Return the name of the worker group's internal tick topic (the worker creates it before Faust)."""
    return f"{app_id}-ticks"


def consumed() -> tuple[TopicSpec, ...]:
    """Return every catalog topic some agent reads, in declaration order."""
    return tuple(dict.fromkeys(spec for agent in STAGES for spec in agent.inputs))


def repartitions() -> tuple[TopicSpec, ...]:
    """Return the topics the group writes for itself and reads back: a reset regenerates them."""
    return tuple(agent.forwards_to for agent in STAGES if agent.forwards_to is not None)


def given() -> tuple[TopicSpec, ...]:
    """Return the consumed topics the group does not derive itself: the ones a reset replays."""
    derived = set(repartitions())
    return tuple(spec for spec in consumed() if spec not in derived)


def external() -> tuple[TopicSpec, ...]:
    """Return the consumed topics the PSA or the ERP publish: what an operator may select for a replay."""
    return tuple(spec for spec in consumed() if spec.owner in EXTERNAL_OWNERS)
