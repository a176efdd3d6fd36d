"""Records of the replay audit trail."""

from __future__ import annotations

from enum import StrEnum

from pydantic import AwareDatetime

from domain.records.common import Event, Money, NonEmpty


class ReplayAction(StrEnum):
    """Replay command that was run."""

    UNKNOWN = "UNKNOWN"
    PREVIEW = "PREVIEW"
    APPLY = "APPLY"
    REDRIVE = "REDRIVE"
    RESET = "RESET"
    PLAN = "PLAN"


class ReplayResult(StrEnum):
    """Outcome of a replay command."""

    UNKNOWN = "UNKNOWN"
    SUCCEEDED = "SUCCEEDED"
    FAILED = "FAILED"
    REFUSED = "REFUSED"
    DRY_RUN = "DRY_RUN"


class ReplayAudit(Event):
    """One operator action of the replay CLI."""

    replay_id: NonEmpty
    action: ReplayAction
    operator: NonEmpty
    reason: NonEmpty
    plan_hash: str | None = None
    selection: str
    counts: dict[str, int] = {}
    diff_totals: dict[str, Money] = {}
    result: ReplayResult
    started_at: AwareDatetime
    finished_at: AwareDatetime | None = None
    message: str | None = None
