"""ERP feedback: advance an issued command's status, raise what an operator must see."""

from __future__ import annotations

from domain.exceptions import exception_id, raised
from domain.ledger.decision import NOTHING, Context, Emitted
from domain.ledger.state import CommandState, CommandStatus
from domain.ledger.view import LedgerView
from domain.records.common import SourceRef
from domain.records.erp import BillingStatus, BillingStatusCode
from domain.records.ops import BusinessException, ExceptionReason

# A status only moves forward, so duplicates and late arrivals of an earlier status change nothing.
# REJECTED ranks below INVOICED: an ERP may invoice a rejected command once it has been fixed and re-driven.
_RANK = {
    CommandStatus.SENT: 0,
    CommandStatus.ACCEPTED: 1,
    CommandStatus.REJECTED: 2,
    CommandStatus.INVOICED: 3,
    CommandStatus.PAID: 4,
}


def on_status(ledger: LedgerView, status: BillingStatus, source: SourceRef, ctx: Context) -> Emitted:
    """Apply ERP feedback on one command.

    A status for a command this project never issued raises UNKNOWN_COMMAND (once per command and status).
    A status not ahead of the current one (a duplicate, or one arriving late) changes nothing; UNKNOWN is
    ignored. REJECTED raises ERP_REJECTED with the command and its source events. INVOICED with an amount
    other than the command's raises VALIDATION_FAILED (invoiced_amount); the figures keep the command's.
    """
    cmd = ledger.command(status.command_id)
    if cmd is None:
        return Emitted(exceptions=(_unknown_command(ledger, status, source),))
    if status.status is BillingStatusCode.UNKNOWN:
        return NOTHING
    new = CommandStatus(status.status.value)
    if _RANK[new] <= _RANK[cmd.status]:
        return NOTHING
    ledger.put_command(status.command_id, cmd.model_copy(update={"status": new}))
    exceptions: tuple[BusinessException, ...] = ()
    if new is CommandStatus.REJECTED:
        exceptions = (_rejected(ledger, cmd, status, source),)
    elif new is CommandStatus.INVOICED and status.amount is not None and status.amount != cmd.amount:
        exceptions = (_amount_mismatch(ledger, cmd, status, source),)
    return Emitted(exceptions=exceptions)


def _currency(ledger: LedgerView) -> str | None:
    return None if ledger.contract is None else ledger.contract.currency


def _unknown_command(ledger: LedgerView, status: BillingStatus, source: SourceRef) -> BusinessException:
    return raised(
        exception_id(ExceptionReason.UNKNOWN_COMMAND, status.command_id, status.status.value),
        ExceptionReason.UNKNOWN_COMMAND,
        f"ERP reported {status.status.value} for command {status.command_id}, "
        f"which psflow never issued for project {ledger.project_id}",
        status.envelope,
        source,
        ledger.project_id,
        command_id=status.command_id,
        details={"status": status.status.value},
    )


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
    )
