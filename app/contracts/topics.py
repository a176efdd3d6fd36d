"""The topic catalog: every topic psflow reads or writes, declared once, with its contract.

Co-partitioning: every project-keyed topic has PROJECT_PARTITIONS partitions so that one worker
owns all of a project's inputs, its table partition and its outputs; resource-keyed topics share
RESOURCE_PARTITIONS for the same reason on the resource side.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

from aiokafka.partitioner import murmur2

PROJECT_PARTITIONS = 6
RESOURCE_PARTITIONS = 6
FOREVER = -1
DAY_MS = 24 * 3600 * 1000

Compatibility = Literal["BACKWARD_TRANSITIVE", "FORWARD_TRANSITIVE", "FULL_TRANSITIVE"]

_INPUT_RETENTION = (
    "Kept forever: replay rebuilds any slice of history from it, and finance needs the source of every "
    "posting for audit. Not compacted: every revision matters."
)
_CONSUMED = "FULL_TRANSITIVE: the PSA/ERP may upgrade before or after psflow, and replay reads all history."
_PUBLISHED = "FULL_TRANSITIVE: downstream teams upgrade on their own schedule; replay diffs old records."
_REPARTITION = (
    "Kept forever for now: a worker may be down for long and must not lose unread records; purging what "
    "the group has committed (as Kafka Streams does) is the planned optimisation."
)


@dataclass(frozen=True, kw_only=True)
class TopicSpec:
    """One topic: name, layout, retention, key, value contract, owner and purpose."""

    name: str
    partitions: int
    key: str
    value_subject: str
    owner: str
    description: str
    replication: int = 3
    cleanup_policy: Literal["delete", "compact"] = "delete"
    retention_ms: int = FOREVER
    retention_why: str = _INPUT_RETENTION
    compatibility: Compatibility = "FULL_TRANSITIVE"
    compatibility_why: str = _CONSUMED

    def configs(self) -> dict[str, str]:
        """Return the broker-side topic configs this spec pins."""
        return {"cleanup.policy": self.cleanup_policy, "retention.ms": str(self.retention_ms)}


@dataclass(frozen=True)
class TopicNames:
    """The prefix rule: a catalog topic's concrete name is the namespace prefix plus its catalog name."""

    prefix: str = ""

    def of(self, spec: TopicSpec) -> str:
        """Return the concrete name of a catalog topic."""
        return self.prefix + spec.name


def partition_for(key: str | bytes, partitions: int) -> int:
    """Return the partition Kafka's default partitioner (the PSA's, the worker's, Faust's) gives a key."""
    raw = key.encode() if isinstance(key, str) else key
    hashed: int = murmur2(raw)
    return (hashed & 0x7FFFFFFF) % partitions


PSA_PROJECTS = TopicSpec(
    name="psa.projects",
    partitions=PROJECT_PARTITIONS,
    key="project_id",
    value_subject="project_contract",
    owner="PSA",
    description="Contract versions of each project (terms, rate card, milestones) with their approval state.",
)
PSA_TIME_ENTRIES = TopicSpec(
    name="psa.time-entries",
    partitions=PROJECT_PARTITIONS,
    key="project_id",
    value_subject="time_entry",
    owner="PSA",
    description=(
        "Every revision of every time entry, keyed by project so a project's time is processed in order."
    ),
)
PSA_MILESTONES = TopicSpec(
    name="psa.milestones",
    partitions=PROJECT_PARTITIONS,
    key="project_id",
    value_subject="milestone_event",
    owner="PSA",
    description="Milestone completions (delivery) and acceptances (client).",
)
PSA_RESOURCE_ASSIGNMENTS = TopicSpec(
    name="psa.resource-assignments",
    partitions=RESOURCE_PARTITIONS,
    key="resource_id",
    value_subject="resource_assignment",
    owner="PSA",
    description="Revisions of resource assignments: the plan behind capacity and forecasts.",
)
ERP_BILLING_STATUS = TopicSpec(
    name="erp.billing-status",
    partitions=PROJECT_PARTITIONS,
    key="project_id",
    value_subject="billing_status",
    owner="ERP",
    description="ERP feedback per billing command: accepted, rejected, invoiced, paid.",
)
ERP_BILLING_COMMANDS = TopicSpec(
    name="erp.billing-commands",
    partitions=PROJECT_PARTITIONS,
    retention_why="Kept forever: the ledger of what was asked of the ERP; replay previews diff against it.",
    key="project_id",
    value_subject="billing_command",
    compatibility_why=_PUBLISHED,
    owner="psflow",
    description="Billing commands to the ERP; corrections are reversing commands with deterministic ids.",
)
FORECAST_DELTAS = TopicSpec(
    name="forecast.deltas",
    partitions=PROJECT_PARTITIONS,
    retention_ms=400 * DAY_MS,
    retention_why=(
        "400 days: a fiscal year of changes plus a month; the planner bootstraps from snapshots, not deltas."
    ),
    key="subject_id",
    value_subject="forecast_delta",
    compatibility_why=_PUBLISHED,
    owner="psflow",
    description="Changes of forecast metrics per subject (project or resource) and month.",
)
FORECAST_SNAPSHOTS = TopicSpec(
    name="forecast.snapshots",
    partitions=PROJECT_PARTITIONS,
    cleanup_policy="compact",
    retention_why=(
        "Compacted: the latest value per subject, month and metric, so a planner bootstraps without history."
    ),
    key="subject_type:subject_id:period:metric",
    value_subject="forecast_snapshot",
    compatibility_why=_PUBLISHED,
    owner="psflow",
    description=(
        "Latest forecast value per (subject, period, metric); read from the start it equals the current "
        "state."
    ),
)
TIME_BY_RESOURCE = TopicSpec(
    name="psflow.time-by-resource",
    partitions=RESOURCE_PARTITIONS,
    retention_why=_REPARTITION,
    key="resource_id",
    value_subject="time_entry",
    owner="psflow",
    description="Internal: psa.time-entries repartitioned by resource for utilization (same bytes, new key).",
)
ASSIGNMENTS_BY_PROJECT = TopicSpec(
    name="psflow.assignments-by-project",
    partitions=PROJECT_PARTITIONS,
    retention_why=_REPARTITION,
    key="project_id",
    value_subject="resource_assignment",
    owner="psflow",
    description="Internal: psa.resource-assignments repartitioned by project for project forecasts.",
)
LEDGER_CORRECTIONS = TopicSpec(
    name="psflow.ledger-corrections",
    partitions=PROJECT_PARTITIONS,
    retention_why="Kept forever: a reset rebuilds every ledger from the inputs plus these corrections.",
    key="project_id",
    value_subject="billing_command",
    owner="psflow",
    description=(
        "Internal: the corrective commands `replay apply` sent to erp.billing-commands, written in the same "
        "transaction, so each project's ledger learns them in order with its other inputs."
    ),
)
ENTRY_MOVES = TopicSpec(
    name="psflow.entry-moves",
    partitions=PROJECT_PARTITIONS,
    retention_why=_REPARTITION,
    key="previous project_id",
    value_subject="time_entry",
    owner="psflow",
    description=(
        "Internal: time entry revisions that moved an entry to another project, keyed by the project it left "
        "and written in the same transaction as the new project's decision, so the old one reverses it."
    ),
)
ERP_ACCOUNTING_PERIODS = TopicSpec(
    name="erp.accounting-periods",
    partitions=1,
    retention_why=(
        "Kept forever and tiny: every worker reads it whole at start to know which periods are closed."
    ),
    key="period",
    value_subject="accounting_period",
    owner="ERP",
    description=(
        "Accounting periods closed (or reopened) for posting; read whole by every worker, not partitioned."
    ),
)
OPS_EXCEPTIONS = TopicSpec(
    name="ops.exceptions",
    partitions=PROJECT_PARTITIONS,
    retention_why=(
        "Kept forever: each exception holds the raw record that must be re-driven, and nothing is lost."
    ),
    key="project_id, else the source record's key",
    value_subject="business_exception",
    compatibility_why=_PUBLISHED,
    owner="psflow",
    description="Business exception queue: whatever could not be processed, with raw bytes and coordinates.",
)
GOVERNANCE_REPLAY_AUDIT = TopicSpec(
    name="governance.replay-audit",
    partitions=1,
    retention_why=(
        "Kept forever: the audit trail of operator actions. One partition: one total order for auditors."
    ),
    key="replay_id",
    value_subject="replay_audit",
    compatibility_why=(
        "FULL_TRANSITIVE: auditors' tools read it on their own schedule; the newest CLI reads all history."
    ),
    owner="psflow",
    description="Audit records of replay runs: who, why, what was selected, what changed.",
)

CATALOG: tuple[TopicSpec, ...] = (
    PSA_PROJECTS,
    PSA_TIME_ENTRIES,
    PSA_MILESTONES,
    PSA_RESOURCE_ASSIGNMENTS,
    ERP_BILLING_STATUS,
    ERP_ACCOUNTING_PERIODS,
    ERP_BILLING_COMMANDS,
    FORECAST_DELTAS,
    FORECAST_SNAPSHOTS,
    OPS_EXCEPTIONS,
    GOVERNANCE_REPLAY_AUDIT,
    TIME_BY_RESOURCE,
    ASSIGNMENTS_BY_PROJECT,
    LEDGER_CORRECTIONS,
    ENTRY_MOVES,
)


def by_subject(subject: str) -> tuple[TopicSpec, ...]:
    """Return the topics whose values follow an Avro subject."""
    return tuple(t for t in CATALOG if t.value_subject == subject)
