"""Settle a re-driven record: its exception is resolved when the record goes through, else raised again.

`replay redrive` re-publishes an exception's original record with lineage headers. The worker that owns the
record decides it like any other, then settles the exception from what happened: RESOLVED when the record
was processed without the problem recurring, OPEN again (same id, with the failed attempt in its details)
when the same problem came back or the record is parked again. Only the worker can tell, so redrive itself
never marks anything resolved.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime

from pydantic import BaseModel, ConfigDict

from domain.records.common import Envelope
from domain.records.ops import BusinessException, ExceptionReason, ExceptionState, SourceRecord

# Lineage headers of a re-driven record (bytes values).
REPLAY_ID = "psflow-replay-id"
REDRIVE_OF = "psflow-redrive-of"
REDRIVE_REASON = "psflow-redrive-reason"
ORIGINAL = "psflow-original"  # topic:partition:offset of the record as first read
AGENT = "psflow-redrive-agent"  # the agent that raised the exception; empty: the project ledger
LEDGER_AGENT = "project-ledger"

# Problems a record causes, cured by fixing the cause (a schema, a contract, a project, a period, a bug) and
# re-driving the record. The others are states psflow settles by itself when their cause changes: a billing
# hold is released when the cap is raised, an ERP rejection by the ERP re-processing the command, capacity
# conflicts and missing FX rates by the forecast on its next input. Re-driving a record cures none of them.
REDRIVABLE: frozenset[ExceptionReason] = frozenset(
    {
        ExceptionReason.DECODE_BAD_MAGIC,
        ExceptionReason.DECODE_UNKNOWN_FINGERPRINT,
        ExceptionReason.DECODE_MALFORMED_BODY,
        ExceptionReason.DECODE_WRONG_RECORD_TYPE,
        ExceptionReason.INVALID_RECORD,
        ExceptionReason.VALIDATION_FAILED,
        ExceptionReason.UNKNOWN_PROJECT,
        ExceptionReason.PERIOD_CLOSED,
        ExceptionReason.UNKNOWN_COMMAND,
        ExceptionReason.PROCESSING_ERROR,
    }
)


class Redrive(BaseModel):
    """What a re-driven record's headers say: which exception it should cure, under which replay."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    exception_id: str
    reason: ExceptionReason
    replay_id: str
    original: str
    agent: str = ""

    def is_for(self, agent: str) -> bool:
        """Tell whether `agent` raised the exception, so it alone may say how the re-drive ended."""
        return self.agent == agent or (not self.agent and agent == LEDGER_AGENT)

    @classmethod
    def from_headers(cls, headers: Mapping[str, bytes]) -> Redrive | None:
        """Return the redrive a record's headers describe, or None for an ordinary record."""
        of, reason = headers.get(REDRIVE_OF), headers.get(REDRIVE_REASON)
        if of is None or reason is None:
            return None
        known = reason.decode(errors="replace") in ExceptionReason.__members__
        return cls(
            exception_id=of.decode(errors="replace"),
            reason=ExceptionReason(reason.decode()) if known else ExceptionReason.UNKNOWN,
            replay_id=headers.get(REPLAY_ID, b"").decode(errors="replace"),
            original=headers.get(ORIGINAL, b"").decode(errors="replace"),
            agent=headers.get(AGENT, b"").decode(errors="replace"),
        )

    def headers(self) -> list[tuple[str, bytes]]:
        """Return the headers that carry this redrive on the re-published record."""
        return [
            (REPLAY_ID, self.replay_id.encode()),
            (REDRIVE_OF, self.exception_id.encode()),
            (REDRIVE_REASON, self.reason.value.encode()),
            (ORIGINAL, self.original.encode()),
            (AGENT, self.agent.encode()),
        ]


def coordinates(source: SourceRecord) -> str:
    """Return "topic:partition:offset", how exceptions and headers name a record."""
    return f"{source.topic}:{source.partition}:{source.offset}"


def settle(
    redrive: Redrive,
    raised: tuple[BusinessException, ...],
    *,
    parked: bool,
    at: SourceRecord,
    occurred_at: datetime,
    project_id: str | None,
) -> tuple[BusinessException, ...]:
    """Return the exceptions to emit for a re-driven record: `raised`, plus how its redrive ended.

    The problem recurred when an exception with the re-driven id, or with its reason at this very record (a
    decode failure is identified by coordinates, which are new), was raised, or when the record is parked
    again. That exception then goes out under the original id, so the queue keeps one exception per problem.
    """
    where = coordinates(at)
    details = {"redrive_failed": redrive.replay_id, "redriven_as": where, "original": redrive.original}
    again = [e for e in raised if _recurs(redrive, e, where)]
    others = tuple(e for e in raised if e not in again)
    if again:
        first = again[0]
        return (*others, _reraised(first, redrive, {**first.details, **details}, where))
    if parked:
        message = f"re-drive {redrive.replay_id} did not go through: the record is parked again"
        return (*others, _record(redrive, ExceptionState.OPEN, message, at, occurred_at, project_id, details))
    done = {"resolved_by": redrive.replay_id, "redriven_as": where, "original": redrive.original}
    message = f"resolved: re-drive {redrive.replay_id} processed the record at {where}"
    return (*raised, _record(redrive, ExceptionState.RESOLVED, message, None, occurred_at, project_id, done))


def _recurs(redrive: Redrive, exc: BusinessException, where: str) -> bool:
    here = exc.source is not None and coordinates(exc.source) == where
    return exc.exception_id == redrive.exception_id or (exc.reason is redrive.reason and here)


def _reraised(
    exc: BusinessException, redrive: Redrive, details: dict[str, str], where: str
) -> BusinessException:
    event_id = f"{redrive.exception_id}:redrive-failed:{where}"
    return exc.model_copy(
        update={
            "exception_id": redrive.exception_id,
            "envelope": exc.envelope.model_copy(update={"event_id": event_id}),
            "details": details,
        }
    )


def _record(
    redrive: Redrive,
    state: ExceptionState,
    message: str,
    source: SourceRecord | None,
    occurred_at: datetime,
    project_id: str | None,
    details: dict[str, str],
) -> BusinessException:
    verb = "resolved" if state is ExceptionState.RESOLVED else "redrive_failed"
    return BusinessException(
        envelope=Envelope(
            event_id=f"{redrive.exception_id}:{verb}:{details['redriven_as']}",
            event_type=f"business_exception.{verb}",
            occurred_at=occurred_at,
            source_system="psflow",
            correlation_id=redrive.replay_id,
            causation_id=redrive.exception_id,
        ),
        exception_id=redrive.exception_id,
        reason=redrive.reason,
        message=message,
        state=state,
        source=source,
        project_id=project_id,
        details=details,
    )
