"""ERP feedback: a command's status is the ERP's latest word on it; what an operator must see is raised."""

from __future__ import annotations

from datetime import datetime

from domain.exceptions import exception_id, raised, resolved
from domain.ledger.decision import NOTHING, Context, Emitted
from domain.ledger.state import CommandState, CommandStatus, Parked
from domain.ledger.view import LedgerView
from domain.records.common import SourceRef
from domain.records.erp import BillingStatus, BillingStatusCode
from domain.records.ops import BusinessException, ExceptionReason

# Only to order two words the ERP said at the same instant without a sequence: the later stage wins, so the
# outcome does not depend on which of the two arrived first.
_STAGE = {
    CommandStatus.SENT: 0,
    CommandStatus.ACCEPTED: 1,
    CommandStatus.REJECTED: 2,
    CommandStatus.INVOICED: 3,
    CommandStatus.PAID: 4,
}
_TAKEN = frozenset({CommandStatus.ACCEPTED, CommandStatus.INVOICED, CommandStatus.PAID})


def on_status(ledger: LedgerView, status: BillingStatus, source: SourceRef, ctx: Context) -> Emitted:
    """Apply ERP feedback on one command.

    The status is the ERP's latest word: a report later than the one applied (by the ERP's sequence when
    both carry one, else by the ERP's event time) replaces it, whatever its status, so a command rejected
    and then accepted after a fix is accepted, and payment reported before the invoice stays paid; an
    older report or a duplicate changes nothing. The figures follow the status. UNKNOWN is ignored.
    REJECTED raises ERP_REJECTED with the command and its source events; a later acceptance (ACCEPTED,
    INVOICED or PAID) of the command, or of a command correcting it, resolves it. INVOICED with an amount
    other than the command's raises VALIDATION_FAILED (invoiced_amount); the figures keep the command's.
    A report on a command this project has not issued (yet) is parked until it is (see decide), and
    raised as UNKNOWN_COMMAND only if it waits past the park limit.
    """
    cmd = ledger.command(status.command_id)
    if cmd is None:
        if not ledger.is_parked(status.event_id):
            ledger.park_early(status.command_id, Parked(record=status, source=source, parked_at=ctx.now))
        return NOTHING
    if status.status is BillingStatusCode.UNKNOWN:
        return NOTHING
    new = CommandStatus(status.status.value)
    if not _later(status, new, cmd):
        return NOTHING
    word = {"status": new, "status_at": status.occurred_at, "status_seq": status.sequence}
    ledger.put_command(status.command_id, cmd.model_copy(update=word))
    exceptions: list[BusinessException] = []
    if new is CommandStatus.REJECTED:
        exceptions.append(_rejected(ledger, cmd, status, source))
    elif new in _TAKEN:
        for rejected in (status.command_id, *cmd.corrects):
            exceptions.append(_accepted(ledger, rejected, status, source))
    if new is CommandStatus.INVOICED and status.amount is not None and status.amount != cmd.amount:
        exceptions.append(_amount_mismatch(ledger, cmd, status, source))
    return Emitted(exceptions=tuple(exceptions))


def order(status: BillingStatus) -> tuple[int, datetime, int]:
    """Return the order in which the ERP said its reports (for reports kept before their command)."""
    known = status.status.value in CommandStatus.__members__
    stage = _STAGE[CommandStatus(status.status.value)] if known else -1
    return (status.sequence if status.sequence is not None else -1, status.occurred_at, stage)


def _later(status: BillingStatus, new: CommandStatus, cmd: CommandState) -> bool:
    """Tell whether the ERP said `status` after the word the command holds."""
    if cmd.status is CommandStatus.SENT:
        return True
    if cmd.status_at is None:
        # Applied by a version that only moved forward and kept no time: only a further stage is later.
        return _STAGE[new] > _STAGE[cmd.status]
    if status.sequence is not None and cmd.status_seq is not None:
        return status.sequence > cmd.status_seq
    return (status.occurred_at, _STAGE[new]) > (cmd.status_at, _STAGE[cmd.status])


def _currency(ledger: LedgerView) -> str | None:
    return None if ledger.contract is None else ledger.contract.currency


def _rejected(
    ledger: LedgerView, cmd: CommandState, status: BillingStatus, source: SourceRef
) -> BusinessException:
    reason = status.reason or "no reason given"
    return raised(
        exception_id(ExceptionReason.ERP_REJECTED, status.command_id),
        ExceptionReason.ERP_REJECTED,
        f"ERP rejected {cmd.command_type.value} {status.command_id} of project {ledger.project_id}: {reason}",
        status.envelope,
        source,
        ledger.project_id,
        command_id=status.command_id,
        source_event_ids=cmd.source_event_ids,
        amount=cmd.amount,
        currency=_currency(ledger),
        details={
            "command_type": cmd.command_type.value,
            "erp_reason": reason,
            "status_event_id": status.event_id,
        },
    )


def _accepted(
    ledger: LedgerView, rejected: str, status: BillingStatus, source: SourceRef
) -> BusinessException:
    """Return the RESOLVED record of a rejection the ERP took back, itself or by taking its correction."""
    how = "itself" if rejected == status.command_id else f"its correction {status.command_id}"
    found = ledger.command(rejected)
    return resolved(
        exception_id(ExceptionReason.ERP_REJECTED, rejected),
        ExceptionReason.ERP_REJECTED,
        f"the ERP reported {status.status.value} for {how} (status event {status.event_id})",
        status.envelope,
        source,
        ledger.project_id,
        command_ids=tuple(dict.fromkeys((rejected, status.command_id))),
        amount=None if found is None else found.amount,
        currency=_currency(ledger),
        details={"status_event_id": status.event_id, "status": status.status.value},
    )


def _amount_mismatch(
    ledger: LedgerView, cmd: CommandState, status: BillingStatus, source: SourceRef
) -> BusinessException:
    return raised(
        exception_id(ExceptionReason.VALIDATION_FAILED, status.command_id, status.status.value),
        ExceptionReason.VALIDATION_FAILED,
        f"ERP invoiced {status.amount} for command {status.command_id} of {cmd.amount}",
        status.envelope,
        source,
        ledger.project_id,
        command_id=status.command_id,
        source_event_ids=cmd.source_event_ids,
        amount=status.amount,
        currency=_currency(ledger),
        details={
            "failed_checks": "invoiced_amount",
            "invoiced_amount": str(status.amount),
            "command_amount": str(cmd.amount),
            "invoice_id": status.invoice_id or "",
        },
        invoice_ids=() if status.invoice_id is None else (status.invoice_id,),
    )
