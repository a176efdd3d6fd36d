"""Build emitted records: every field comes from the ledger and the source event, never from a clock."""

from __future__ import annotations

from decimal import Decimal

from domain.ledger.state import ZERO, CommandState
from domain.records.common import Envelope, SourceRef
from domain.records.erp import BillingCommand, BillingCommandType, BillingLine, BillingSchedule
from domain.records.ops import BusinessException, ExceptionReason, SourceRecord
from domain.records.psa import ProjectContract

SOURCE_SYSTEM = "psflow"


def envelope(event_id: str, event_type: str, cause: Envelope) -> Envelope:
    """Return the envelope of a record emitted because of `cause`, timed at the cause's event time."""
    return Envelope(
        event_id=event_id,
        event_type=event_type,
        occurred_at=cause.occurred_at,
        source_system=SOURCE_SYSTEM,
        correlation_id=cause.correlation_id,
        causation_id=cause.event_id,
    )


def command(
    command_id: str,
    command_type: BillingCommandType,
    contract: ProjectContract,
    cause: Envelope,
    lineage: tuple[SourceRef, ...],
    lines: tuple[BillingLine, ...] = (),
    reverses: str | None = None,
    schedule: BillingSchedule | None = None,
) -> BillingCommand:
    """Return a billing command whose amount is the sum of its lines."""
    return BillingCommand(
        envelope=envelope(command_id, "billing_command.issued", cause),
        command_id=command_id,
        command_type=command_type,
        project_id=contract.project_id,
        legal_entity=contract.legal_entity,
        customer_id=contract.customer_id,
        currency=contract.currency,
        amount=sum((line.amount for line in lines), ZERO),
        lines=lines,
        reverses_command_id=reverses,
        lineage=lineage,
        schedule=schedule,
    )


def negated(line: BillingLine) -> BillingLine:
    """Return the exact negation of a line: same facts, opposite hours and amount."""
    hours = None if line.hours is None else -line.hours
    return line.model_copy(update={"hours": hours, "amount": -line.amount})


def issued(cmd: BillingCommand) -> CommandState:
    """Return the ledger's record of a command just issued."""
    return CommandState(
        command_type=cmd.command_type,
        amount=cmd.amount,
        source_event_ids=tuple(ref.event_id for ref in cmd.lineage),
    )


def exception(
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
        envelope=envelope(exc_id, "business_exception.raised", cause),
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
