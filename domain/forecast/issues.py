"""Open and resolve business exceptions: one per business problem while it lasts, same id when closed."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime

from domain.forecast.state import Issue
from domain.forecast.values import SOURCE_SYSTEM
from domain.records.common import Envelope
from domain.records.ops import BusinessException, ExceptionReason, ExceptionState


def exception_id(reason: ExceptionReason, *identity: str) -> str:
    """Return an exception id from its reason and the business identity of the problem, never an event."""
    return ":".join(("exc", reason.value, *identity))


def reconcile(
    open_issues: Mapping[str, Issue], found: Mapping[str, Issue], cause: Envelope | None, as_of: datetime
) -> tuple[dict[str, Issue], tuple[BusinessException, ...]]:
    """Return the issues open now and the exceptions to emit: OPEN for new ones, RESOLVED for gone ones.

    An issue still present is not raised again, and keeps the facts it was raised with.
    """
    still = {key: open_issues[key] for key in sorted(open_issues) if key in found}
    opened = {key: found[key] for key in sorted(found) if key not in open_issues}
    resolved = [open_issues[key] for key in sorted(open_issues) if key not in found]
    emitted = [_record(issue, ExceptionState.OPEN, cause, as_of) for issue in opened.values()]
    emitted += [_record(issue, ExceptionState.RESOLVED, cause, as_of) for issue in resolved]
    return {**still, **opened}, tuple(emitted)


def _record(
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
