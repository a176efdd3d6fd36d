"""Business exceptions, in one home: their ids, raising one for an event, quarantining an unreadable record,
and opening and resolving a problem that lasts (a conflict, a missing rate) under one id.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from decimal import Decimal

from pydantic import AwareDatetime, BaseModel, ConfigDict, Field

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
    invoice_ids: tuple[str, ...] = (),
) -> BusinessException:
    """Return an open business exception raised because of `cause`, read at `source`.

    The record's bytes are attached by whoever holds them (`with_bytes`); first seen is the cause's time.
    """
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
        first_seen_at=cause.occurred_at,
        command_ids=() if command_id is None else (command_id,),
        invoice_ids=invoice_ids,
    )


def resolved(
    exc_id: str,
    reason: ExceptionReason,
    resolution: str,
    cause: Envelope,
    source: SourceRef | None,
    project_id: str,
    *,
    command_ids: tuple[str, ...] = (),
    amount: Decimal | None = None,
    currency: str | None = None,
    details: dict[str, str] | None = None,
) -> BusinessException:
    """Return the RESOLVED record of an exception psflow clears itself, saying what cleared it.

    Emitted only if the id is open (the ledger's lifecycle drops it otherwise), under the same id, with an
    event id of its own: the same id may be resolved, opened and resolved again.
    """
    return BusinessException(
        envelope=Envelope.caused_by(
            f"{exc_id}:RESOLVED:{cause.event_id}", "business_exception.resolved", cause
        ),
        exception_id=exc_id,
        reason=reason,
        message=f"resolved: {resolution}",
        state=ExceptionState.RESOLVED,
        source=None
        if source is None
        else SourceRecord(topic=source.topic, partition=source.partition, offset=source.offset),
        project_id=project_id,
        command_id=command_ids[0] if command_ids else None,
        source_event_ids=(cause.event_id,),
        amount=amount,
        currency=currency,
        details={**(details or {}), "resolved_by": cause.event_id},
        command_ids=command_ids,
        resolution=resolution,
    )


def with_bytes(exc: BusinessException, records: Mapping[str, SourceRecord]) -> BusinessException:
    """Return the exception with the raw bytes of its source record, when they are at hand by coordinates."""
    source = exc.source
    if source is None or source.raw_value is not None:
        return exc
    found = records.get(f"{source.topic}:{source.partition}:{source.offset}")
    return exc if found is None else exc.model_copy(update={"source": found})


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
        first_seen_at=seen_at,
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
    # When the issue was opened (None: opened before this was kept; then not written, as before).
    first_seen: AwareDatetime | None = Field(default=None, exclude_if=lambda value: value is None)


def reconcile(
    open_issues: Mapping[str, Issue],
    found: Mapping[str, Issue],
    cause: Envelope | None,
    as_of: datetime,
    source: SourceRecord | None = None,
) -> tuple[dict[str, Issue], tuple[BusinessException, ...]]:
    """Return the issues open now and the exceptions to emit: OPEN for new ones, RESOLVED for gone ones.

    An issue still present is not raised again, and keeps the facts it was raised with. `source` is the
    record that caused the change, with its bytes: what an operator opens to see why.
    """
    still = {key: open_issues[key] for key in sorted(open_issues) if key in found}
    opened = {
        key: found[key].model_copy(update={"first_seen": as_of})
        for key in sorted(found)
        if key not in open_issues
    }
    gone = [open_issues[key] for key in sorted(open_issues) if key not in found]
    emitted = [_issue_record(issue, ExceptionState.OPEN, cause, as_of, source) for issue in opened.values()]
    emitted += [_issue_record(issue, ExceptionState.RESOLVED, cause, as_of, source) for issue in gone]
    return {**still, **opened}, tuple(emitted)


def _issue_record(
    issue: Issue,
    state: ExceptionState,
    cause: Envelope | None,
    as_of: datetime,
    source: SourceRecord | None,
) -> BusinessException:
    """Return the exception record of an issue in a state, caused by an event or by time passing."""
    cause_id = cause.event_id if cause is not None else f"as_of:{as_of.isoformat()}"
    verb = "raised" if state == ExceptionState.OPEN else "resolved"
    resolution = None
    if state == ExceptionState.RESOLVED:
        why = f"event {cause.event_id}" if cause is not None else f"time passing to {as_of.isoformat()}"
        resolution = f"its cause is gone: recomputed after {why}, the condition no longer holds"
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
        source=source,
        project_id=issue.project_id,
        resource_id=issue.resource_id,
        source_event_ids=issue.source_event_ids or (() if cause is None else (cause.event_id,)),
        amount=issue.amount,
        currency=issue.currency,
        details=dict(issue.details) if resolution is None else {**issue.details, "resolved_by": cause_id},
        first_seen_at=issue.first_seen or as_of,
        resolution=resolution,
    )
