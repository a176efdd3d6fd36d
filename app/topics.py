"""The topic catalog: every topic psflow reads or writes, declared once, with its contract.

Co-partitioning: every project-keyed topic has PROJECT_PARTITIONS partitions so that one worker
owns all of a project's inputs, its table partition and its outputs; resource-keyed topics share
RESOURCE_PARTITIONS for the same reason on the resource side.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

PROJECT_PARTITIONS = 6
RESOURCE_PARTITIONS = 6
FOREVER = -1
DAY_MS = 24 * 3600 * 1000

Compatibility = Literal["BACKWARD_TRANSITIVE", "FORWARD_TRANSITIVE", "FULL_TRANSITIVE"]


@dataclass(frozen=True)
class TopicSpec:
    """One topic: name, layout, retention, key, value contract, owner and purpose."""

    name: str
    partitions: int
    replication: int
    cleanup_policy: Literal["delete", "compact"]
    retention_ms: int
    retention_why: str
    key: str
    value_subject: str
    compatibility: Compatibility
    compatibility_why: str
    owner: str
    description: str

    def configs(self) -> dict[str, str]:
        """Return the broker-side topic configs this spec pins."""
        return {"cleanup.policy": self.cleanup_policy, "retention.ms": str(self.retention_ms)}


_INPUT_RETENTION = (
    "Kept forever: replay rebuilds any slice of history from it, and finance needs the source of every "
    "posting for audit. Not compacted: every revision matters."
)
_CONSUMED = "FULL_TRANSITIVE: the PSA/ERP may upgrade before or after psflow, and replay reads all history."
_PUBLISHED = "FULL_TRANSITIVE: downstream teams upgrade on their own schedule; replay diffs old records."

PSA_PROJECTS = TopicSpec(
    "psa.projects", PROJECT_PARTITIONS, 3, "delete", FOREVER, _INPUT_RETENTION,
    "project_id", "project_contract", "FULL_TRANSITIVE", _CONSUMED, "PSA",
    "Contract versions of each project (terms, rate card, milestones) with their approval state.",
)  # fmt: skip
PSA_TIME_ENTRIES = TopicSpec(
    "psa.time-entries", PROJECT_PARTITIONS, 3, "delete", FOREVER, _INPUT_RETENTION,
    "project_id", "time_entry", "FULL_TRANSITIVE", _CONSUMED, "PSA",
    "Every revision of every time entry, keyed by project so a project's time is processed in order.",
)  # fmt: skip
PSA_MILESTONES = TopicSpec(
    "psa.milestones", PROJECT_PARTITIONS, 3, "delete", FOREVER, _INPUT_RETENTION,
    "project_id", "milestone_event", "FULL_TRANSITIVE", _CONSUMED, "PSA",
    "Milestone completions (delivery) and acceptances (client).",
)  # fmt: skip
PSA_RESOURCE_ASSIGNMENTS = TopicSpec(
    "psa.resource-assignments", RESOURCE_PARTITIONS, 3, "delete", FOREVER, _INPUT_RETENTION,
    "resource_id", "resource_assignment", "FULL_TRANSITIVE", _CONSUMED, "PSA",
    "Revisions of resource assignments: the plan behind capacity and forecasts.",
)  # fmt: skip
ERP_BILLING_STATUS = TopicSpec(
    "erp.billing-status", PROJECT_PARTITIONS, 3, "delete", FOREVER, _INPUT_RETENTION,
    "project_id", "billing_status", "FULL_TRANSITIVE", _CONSUMED, "ERP",
    "ERP feedback per billing command: accepted, rejected, invoiced, paid.",
)  # fmt: skip
ERP_BILLING_COMMANDS = TopicSpec(
    "erp.billing-commands", PROJECT_PARTITIONS, 3, "delete", FOREVER,
    "Kept forever: the ledger of what was asked of the ERP; replay previews diff against it.",
    "project_id", "billing_command", "FULL_TRANSITIVE", _PUBLISHED, "psflow",
    "Billing commands to the ERP; corrections are reversing commands with deterministic ids.",
)  # fmt: skip
FORECAST_DELTAS = TopicSpec(
    "forecast.deltas", PROJECT_PARTITIONS, 3, "delete", 400 * DAY_MS,
    "400 days: a fiscal year of changes plus a month; the planner bootstraps from snapshots, not deltas.",
    "subject_id", "forecast_delta", "FULL_TRANSITIVE", _PUBLISHED, "psflow",
    "Changes of forecast metrics per subject (project or resource) and month.",
)  # fmt: skip
FORECAST_SNAPSHOTS = TopicSpec(
    "forecast.snapshots", PROJECT_PARTITIONS, 3, "compact", FOREVER,
    "Compacted: the latest value per subject, month and metric, so a planner bootstraps without history.",
    "subject_type:subject_id:period:metric", "forecast_snapshot", "FULL_TRANSITIVE", _PUBLISHED, "psflow",
    "Latest forecast value per (subject, period, metric); read from the start it equals the current state.",
)  # fmt: skip
_REPARTITION = (
    "Kept forever for now: a worker may be down for long and must not lose unread records; purging what "
    "the group has committed (as Kafka Streams does) is the planned optimisation."
)
TIME_BY_RESOURCE = TopicSpec(
    "psflow.time-by-resource", RESOURCE_PARTITIONS, 3, "delete", FOREVER, _REPARTITION,
    "resource_id", "time_entry", "FULL_TRANSITIVE", _CONSUMED, "psflow",
    "Internal: psa.time-entries repartitioned by resource for utilization (same bytes, new key).",
)  # fmt: skip
ASSIGNMENTS_BY_PROJECT = TopicSpec(
    "psflow.assignments-by-project", PROJECT_PARTITIONS, 3, "delete", FOREVER, _REPARTITION,
    "project_id", "resource_assignment", "FULL_TRANSITIVE", _CONSUMED, "psflow",
    "Internal: psa.resource-assignments repartitioned by project for project forecasts.",
)  # fmt: skip
LEDGER_CORRECTIONS = TopicSpec(
    "psflow.ledger-corrections", PROJECT_PARTITIONS, 3, "delete", FOREVER,
    "Kept forever: a reset rebuilds every ledger from the inputs plus these corrections.",
    "project_id", "billing_command", "FULL_TRANSITIVE", _CONSUMED, "psflow",
    "Internal: the corrective commands `replay apply` sent to erp.billing-commands, written in the same "
    "transaction, so each project's ledger learns them in order with its other inputs.",
)  # fmt: skip
ERP_ACCOUNTING_PERIODS = TopicSpec(
    "erp.accounting-periods", 1, 3, "delete", FOREVER,
    "Kept forever and tiny: every worker reads it whole at start to know which periods are closed.",
    "period", "accounting_period", "FULL_TRANSITIVE", _CONSUMED, "ERP",
    "Accounting periods closed (or reopened) for posting; read whole by every worker, not partitioned.",
)  # fmt: skip
OPS_EXCEPTIONS = TopicSpec(
    "ops.exceptions", PROJECT_PARTITIONS, 3, "delete", FOREVER,
    "Kept forever: each exception holds the raw record that must be re-driven, and nothing is lost.",
    "project_id, else the source record's key", "business_exception", "FULL_TRANSITIVE", _PUBLISHED,
    "psflow", "Business exception queue: whatever could not be processed, with raw bytes and coordinates.",
)  # fmt: skip
GOVERNANCE_REPLAY_AUDIT = TopicSpec(
    "governance.replay-audit", 1, 3, "delete", FOREVER,
    "Kept forever: the audit trail of operator actions. One partition: one total order for auditors.",
    "replay_id", "replay_audit", "FULL_TRANSITIVE",
    "FULL_TRANSITIVE: auditors' tools read it on their own schedule; the newest CLI reads all history.",
    "psflow", "Audit records of replay runs: who, why, what was selected, what changed.",
)  # fmt: skip

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
)


TICKS_RETENTION_MS = 3_600_000


def ticks_topic(app_id: str) -> str:
    """Return the name of the worker group's internal tick topic (app/worker.py creates it first)."""
    return f"{app_id}-ticks"


def by_subject(subject: str) -> tuple[TopicSpec, ...]:
    """Return the topics whose values follow an Avro subject."""
    return tuple(t for t in CATALOG if t.value_subject == subject)
