"""Build emitted records: every field comes from the ledger and the source event, never from a clock."""

from __future__ import annotations

from collections.abc import Set

from domain.cutoff import Posting, day_of, posting
from domain.ledger import ids
from domain.ledger.state import ZERO, Charge, CommandState
from domain.records.common import Envelope, SourceRef
from domain.records.erp import BillingCommand, BillingCommandType, BillingLine, BillingSchedule
from domain.records.psa import ProjectContract

SOURCE_SYSTEM = "psflow"


def command(
    command_id: str,
    command_type: BillingCommandType,
    contract: ProjectContract,
    cause: Envelope,
    lineage: tuple[SourceRef, ...],
    posted: Posting,
    lines: tuple[BillingLine, ...] = (),
    reverses: str | None = None,
    schedule: BillingSchedule | None = None,
) -> BillingCommand:
    """Return a billing command whose amount is the sum of its lines, posted as the cut-off policy says."""
    return BillingCommand(
        envelope=Envelope.caused_by(command_id, "billing_command.issued", cause),
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
        accounting_date=posted.accounting_date,
        natural_date=posted.natural_date,
    )


def negated(line: BillingLine) -> BillingLine:
    """Return the exact negation of a line: same facts, opposite hours and amount."""
    hours = None if line.hours is None else -line.hours
    return line.model_copy(update={"hours": hours, "amount": -line.amount})


def issued(cmd: BillingCommand, corrects: tuple[str, ...] = ()) -> CommandState:
    """Return the ledger's record of a command just issued (`corrects`: rejected commands it replaces)."""
    return CommandState(
        command_type=cmd.command_type,
        amount=cmd.amount,
        source_event_ids=tuple(ref.event_id for ref in cmd.lineage),
        corrects=corrects,
    )


def reversal(
    contract: ProjectContract, charge: Charge, cause: Envelope, source: SourceRef, closed: Set[str]
) -> BillingCommand:
    """Return the exact reversal of a live charge, posted as of its work date by the cut-off policy."""
    natural = charge.line.work_date or day_of(cause.occurred_at)
    return command(
        ids.reversal_id(charge.command_id),
        BillingCommandType.REVERSE_TIME_CHARGE,
        contract,
        cause,
        (*charge.lineage, source),
        posting(natural, closed),
        (negated(charge.line),),
        reverses=charge.command_id,
    )
