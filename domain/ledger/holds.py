"""The not-to-exceed cap: how much of a charge may post, releasing held amounts, and clearing the holds."""

from __future__ import annotations

from collections.abc import Set
from decimal import Decimal

from domain.cutoff import posting
from domain.exceptions import exception_id, resolved
from domain.ledger import ids
from domain.ledger.decision import NOTHING, Emitted
from domain.ledger.emit import command, issued
from domain.ledger.state import ZERO, Charge, EntryState, Work
from domain.ledger.view import LedgerView
from domain.records.common import Envelope, SourceRef
from domain.records.erp import BillingCommand, BillingCommandType, BillingLine
from domain.records.ops import BusinessException, ExceptionReason
from domain.records.psa import ProjectContract, ProjectStatus


def exposure(ledger: LedgerView) -> Decimal:
    """Return the net amount of live time charges, which is what the cap limits.

    Every charge issued counts, whether the ERP still has it pending, invoiced it or rejected it (a rejected
    command is fixed and re-driven under the same id, so its amount stays committed).
    """
    return ledger.exposure


def split(amount: Decimal, cap: Decimal | None, committed: Decimal) -> tuple[Decimal, Decimal]:
    """Return (postable, held) parts of a charge given the cap and the amount already committed."""
    if cap is None:
        return amount, ZERO
    postable = min(amount, max(cap - committed, ZERO))
    return postable, amount - postable


def cap_raised(old: ProjectContract, new: ProjectContract) -> bool:
    """Tell whether an amendment raises or removes the not-to-exceed cap."""
    if old.not_to_exceed is None:
        return False
    return new.not_to_exceed is None or new.not_to_exceed > old.not_to_exceed


def release_holds(ledger: LedgerView, cause: Envelope, source: SourceRef, closed: Set[str]) -> Emitted:
    """Post held amounts as new charges, up to the ledger contract's cap, oldest work date first.

    Each release is a POST_TIME_CHARGE with its own id (the entry's charge id suffixed with the contract
    version) and one line at the original rate with 0.00 hours, since the hours were charged on the capped
    line; it posts by the cut-off policy like the charge it completes (as of the work date, rolled forward
    out of a closed period). An entry's hold released in full is RESOLVED under its BILLING_HOLD id. Nothing
    is released on a project that is not ACTIVE. Only the entries that hold something are read (the held
    index), in the order they are released.
    """
    contract = ledger.contract
    if contract is None or contract.project_status is not ProjectStatus.ACTIVE:
        return NOTHING
    cap = contract.not_to_exceed
    room = None if cap is None else cap - exposure(ledger)
    commands: list[BillingCommand] = []
    exceptions: list[BusinessException] = []
    for entry_id, state in list(ledger.held_entries()):
        if state.held <= 0 or state.work is None or state.rate is None:
            continue
        amount = state.held if room is None else min(state.held, room)
        if amount <= 0:
            break
        cmd = _release(
            contract, entry_id, state, state.work, state.rate, amount, cause, (state.source, source), closed
        )
        commands.append(cmd)
        ledger.put_command(cmd.command_id, issued(cmd))
        ledger.put_entry(
            entry_id,
            state.model_copy(
                update={
                    "held": state.held - amount,
                    "charges": (
                        *state.charges,
                        Charge(command_id=cmd.command_id, line=cmd.lines[0], lineage=cmd.lineage),
                    ),
                }
            ),
        )
        if amount == state.held:
            why = f"released in full by {cmd.command_id} (contract v{contract.contract_version})"
            exceptions.append(hold_cleared(ledger, contract, entry_id, state, why, cause, source))
        room = None if room is None else room - amount
    return Emitted(commands=tuple(commands), exceptions=tuple(exceptions))


def hold_cleared(
    ledger: LedgerView,
    contract: ProjectContract,
    entry_id: str,
    held: EntryState,
    why: str,
    cause: Envelope,
    source: SourceRef,
) -> BusinessException:
    """Return the RESOLVED record of an entry's BILLING_HOLD: what was held no longer waits."""
    return resolved(
        exception_id(ExceptionReason.BILLING_HOLD, entry_id, f"r{held.applied_revision}"),
        ExceptionReason.BILLING_HOLD,
        f"{held.held} {contract.currency} held on time entry {entry_id} r{held.applied_revision}: {why}",
        cause,
        source,
        ledger.project_id,
        command_ids=(ids.charge_id(entry_id, held.applied_revision),),
        amount=held.held,
        currency=contract.currency,
    )


def _release(
    contract: ProjectContract,
    entry_id: str,
    state: EntryState,
    work: Work,
    rate: Decimal,
    amount: Decimal,
    cause: Envelope,
    lineage: tuple[SourceRef, ...],
    closed: Set[str],
) -> BillingCommand:
    line = BillingLine(
        resource_id=work.resource_id,
        role=work.role,
        work_date=work.work_date,
        hours=ZERO,
        rate=rate,
        amount=amount,
        source_id=entry_id,
        task_id=work.task_id,
    )
    cmd_id = ids.charge_id(entry_id, state.applied_revision, contract.contract_version)
    posted = posting(work.work_date, closed)
    return command(cmd_id, BillingCommandType.POST_TIME_CHARGE, contract, cause, lineage, posted, (line,))
