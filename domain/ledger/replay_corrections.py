"""Learn the corrections a replay sent to the ERP, so later revisions reverse the right charge."""

from __future__ import annotations

from datetime import date

from domain.cutoff import day_of, posting
from domain.exceptions import exception_id, raised
from domain.ledger import ids
from domain.ledger.decision import NOTHING, Context, Emitted
from domain.ledger.emit import command, issued, negated
from domain.ledger.state import Charge
from domain.ledger.view import LedgerView
from domain.records.common import SourceRef
from domain.records.erp import BillingCommand, BillingCommandType
from domain.records.ops import ExceptionReason

_POST = BillingCommandType.POST_TIME_CHARGE
_REVERSE = BillingCommandType.REVERSE_TIME_CHARGE


def on_correction(ledger: LedgerView, correction: BillingCommand, source: SourceRef, ctx: Context) -> Emitted:
    """Apply a corrective command that `replay apply` already sent to the ERP.

    The command is out: the ledger only records it. A reversal takes its charge off the entry; a corrected
    charge becomes the entry's live charge (and its rate the entry's rate, for later hold releases). Seen
    twice, it changes nothing. A corrected charge of a revision the entry has since replaced (a revision
    processed between preview and apply) would bill on top of the new one, so it is reversed at once.
    Commands of other types, or of an entry the ledger never saw, are reported, not guessed at.
    """
    if ledger.command(correction.command_id) is not None:
        return NOTHING
    entry_id = next((line.source_id for line in correction.lines if line.source_id), None)
    state = None if entry_id is None else ledger.entry(entry_id)
    if correction.command_type not in (_POST, _REVERSE) or entry_id is None or state is None:
        return _unknown(ledger, correction, source)
    ledger.put_command(correction.command_id, issued(correction))
    if correction.command_type is _REVERSE:
        kept = tuple(c for c in state.charges if c.command_id != correction.reverses_command_id)
        ledger.put_entry(entry_id, state.model_copy(update={"charges": kept}))
        return NOTHING
    if state.source.event_id not in {ref.event_id for ref in correction.lineage}:
        return _reverse_stale(ledger, correction, source, ctx)
    charge = Charge(command_id=correction.command_id, line=correction.lines[0], lineage=correction.lineage)
    corrected = state.model_copy(update={"charges": (*state.charges, charge), "rate": charge.line.rate})
    ledger.put_entry(entry_id, corrected)
    return NOTHING


def _reverse_stale(
    ledger: LedgerView, correction: BillingCommand, source: SourceRef, ctx: Context
) -> Emitted:
    contract = ledger.contract
    if contract is None:  # an entry with live state always has a contract; keep the invariant explicit
        return _unknown(ledger, correction, source)
    reversal = command(
        ids.reversal_id(correction.command_id),
        _REVERSE,
        contract,
        correction.envelope,
        (*correction.lineage, source),
        posting(_work_date(correction) or day_of(correction.occurred_at), ctx.closed_periods),
        tuple(negated(line) for line in correction.lines),
        reverses=correction.command_id,
    )
    ledger.put_command(reversal.command_id, issued(reversal))
    return Emitted(commands=(reversal,))


def _unknown(ledger: LedgerView, correction: BillingCommand, source: SourceRef) -> Emitted:
    return Emitted(
        exceptions=(
            raised(
                exception_id(ExceptionReason.VALIDATION_FAILED, correction.command_id),
                ExceptionReason.VALIDATION_FAILED,
                f"replay correction {correction.command_id} ({correction.command_type.value}) matches no "
                f"time entry of project {ledger.project_id}: the ledger did not record it",
                correction.envelope,
                source,
                ledger.project_id,
                command_id=correction.command_id,
                amount=correction.amount,
                currency=correction.currency,
                details={"replay_id": correction.replay_id or "", "failed_checks": "known_entry"},
            ),
        ),
    )


def _work_date(correction: BillingCommand) -> date | None:
    return next((line.work_date for line in correction.lines if line.work_date), None)
