"""Business exceptions, in one home: their ids, raising one for an event, quarantining an unreadable record,
and opening and resolving a problem that lasts (a conflict, a missing rate) under one id.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from decimal import Decimal

from pydantic import BaseModel, ConfigDict

from domain.records.common import Envelope, Money, NonEmpty, SourceRef
from domain.records.ops import BusinessException, ExceptionReason, ExceptionState, SourceRecord

SOURCE_SYSTEM = "psflow"


def exception_id(reason: ExceptionReason, *identity: str) -> str:
    """Return an exception id from its reason and the business identity of the problem."""
    return ":".join(("exc", reason.value, *identity))


def at_source(reason: ExceptionReason, source: SourceRef | SourceRecord) -> str:
    """Return an exception id from its reason and the Kafka coordinates of the record behind it.

    Derived from where the record sits, so a re-emission carries the same id.
    """
    return exception_id(reason, source.topic, str(source.partition), str(source.offset))


def raised(
    exc_id: str,
    reason: ExceptionReason,
    message: str,
    cause: Envelope,
    source: SourceRef,
    project_id: str,
    *,
    resource_id: str | None = None,
    command_id: str | None = None,
    source_event_ids: tuple[str, ...] | None = None,
    amount: Decimal | None = None,
    currency: str | None = None,
    details: dict[str, str] | None = None,
) -> BusinessException:
    """Return an open business exception raised because of `cause`, read at `source`."""
    return BusinessException(
        envelope=Envelope.caused_by(exc_id, "business_exception.raised", cause),
        exception_id=exc_id,
        reason=reason,
        message=message,
        source=SourceRecord(topic=source.topic, partition=source.partition, offset=source.offset),
        project_id=project_id,
        resource_id=resource_id,
        command_id=command_id,
        source_event_ids=(cause.event_id,) if source_event_ids is None else source_event_ids,
        amount=amount,
        currency=currency,
        details=details or {},
    )


def quarantine(
    source: SourceRecord,
    reason: ExceptionReason,
    message: str,
    *,
    seen_at: datetime,
    project_id: str | None = None,
    details: Mapping[str, str] | None = None,
) -> BusinessException:
    """Raise an exception for an unprocessable Kafka record, keeping its raw bytes and coordinates.

    ``seen_at`` should be the Kafka record timestamp, not the wall clock: the same record must
    always produce the same exception, byte for byte.
    """
    exc_id = at_source(reason, source)
    return BusinessException(
        envelope=Envelope(
            event_id=exc_id,
            event_type=f"exception.{reason.value.lower()}",
            occurred_at=seen_at,
            source_system=SOURCE_SYSTEM,
        ),
        exception_id=exc_id,
        reason=reason,
        message=message,
        state=ExceptionState.OPEN,
        source=source,
        project_id=project_id,
        details=dict(details or {}),
    )


class Issue(BaseModel):
    """An open business exception, remembered so it is raised once and resolved under the same id."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    exception_id: NonEmpty
    reason: ExceptionReason
    message: str
    project_id: str | None = None
    resource_id: str | None = None
    source_event_ids: tuple[str, ...] = ()
    amount: Money | None = None
    currency: str | None = None
    details: Mapping[str, str] = {}


def reconcile(
    open_issues: Mapping[str, Issue], found: Mapping[str, Issue], cause: Envelope | None, as_of: datetime
) -> tuple[dict[str, Issue], tuple[BusinessException, ...]]:
    """Return the issues open now and the exceptions to emit: OPEN for new ones, RESOLVED for gone ones.

    An issue still present is not raised again, and keeps the facts it was raised with.
    """
    still = {key: open_issues[key] for key in sorted(open_issues) if key in found}
    opened = {key: found[key] for key in sorted(found) if key not in open_issues}
    resolved = [open_issues[key] for key in sorted(open_issues) if key not in found]
    emitted = [_issue_record(issue, ExceptionState.OPEN, cause, as_of) for issue in opened.values()]
    emitted += [_issue_record(issue, ExceptionState.RESOLVED, cause, as_of) for issue in resolved]
    return {**still, **opened}, tuple(emitted)


def _issue_record(
    issue: Issue, state: ExceptionState, cause: Envelope | None, as_of: datetime
) -> BusinessException:
    """Return the exception record of an issue in a state, caused by an event or by time passing."""
    cause_id = cause.event_id if cause is not None else f"as_of:{as_of.isoformat()}"
    verb = "raised" if state == ExceptionState.OPEN else "resolved"
    envelope = Envelope(
        # Distinct per state and cause: a conflict opened, resolved and opened again is three events.
        event_id=f"{issue.exception_id}:{state.value}:{cause_id}",
        event_type=f"business_exception.{verb}",
        occurred_at=as_of,
        source_system=SOURCE_SYSTEM,
        correlation_id=None if cause is None else cause.correlation_id,
        causation_id=None if cause is None else cause.event_id,
    )
    return BusinessException(
        envelope=envelope,
        exception_id=issue.exception_id,
        reason=issue.reason,
        message=issue.message if state == ExceptionState.OPEN else f"resolved: {issue.message}",
        state=state,
        project_id=issue.project_id,
        resource_id=issue.resource_id,
        source_event_ids=issue.source_event_ids,
        amount=issue.amount,
        currency=issue.currency,
        details=dict(issue.details),
    )
