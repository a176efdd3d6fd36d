"""Learn the corrections a replay sent to the ERP, so later revisions reverse the right charge."""

from __future__ import annotations

from domain.exceptions import exception_id, raised
from domain.ledger import ids
from domain.ledger.decision import Context, Decision
from domain.ledger.emit import command, issued, negated
from domain.ledger.state import Charge, EntryState, ProjectLedger
from domain.records.common import SourceRef
from domain.records.erp import BillingCommand, BillingCommandType
from domain.records.ops import ExceptionReason

_POST = BillingCommandType.POST_TIME_CHARGE
_REVERSE = BillingCommandType.REVERSE_TIME_CHARGE


def on_correction(
    ledger: ProjectLedger, correction: BillingCommand, source: SourceRef, ctx: Context
) -> Decision:
    """Apply a corrective command that `replay apply` already sent to the ERP.

    The command is out: the ledger only records it. A reversal takes its charge off the entry; a corrected
    charge becomes the entry's live charge (and its rate the entry's rate, for later hold releases). Seen
    twice, it changes nothing. A corrected charge of a revision the entry has since replaced (a revision
    processed between preview and apply) would bill on top of the new one, so it is reversed at once.
    Commands of other types, or of an entry the ledger never saw, are reported, not guessed at.
    """
    if correction.command_id in ledger.commands:
        return Decision(ledger=ledger)
    entry_id = next((line.source_id for line in correction.lines if line.source_id), None)
    state = None if entry_id is None else ledger.entries.get(entry_id)
    if correction.command_type not in (_POST, _REVERSE) or entry_id is None or state is None:
        return _unknown(ledger, correction, source)
    known = {**ledger.commands, correction.command_id: issued(correction)}
    recorded = ledger.model_copy(update={"commands": known})
    if correction.command_type is _REVERSE:
        kept = tuple(c for c in state.charges if c.command_id != correction.reverses_command_id)
        return Decision(ledger=_put(recorded, entry_id, state.model_copy(update={"charges": kept})))
    if state.source.event_id not in {ref.event_id for ref in correction.lineage}:
        return _reverse_stale(recorded, correction, source)
    charge = Charge(command_id=correction.command_id, line=correction.lines[0], lineage=correction.lineage)
    corrected = state.model_copy(update={"charges": (*state.charges, charge), "rate": charge.line.rate})
    return Decision(ledger=_put(recorded, entry_id, corrected))


def _put(ledger: ProjectLedger, entry_id: str, state: EntryState) -> ProjectLedger:
    return ledger.model_copy(update={"entries": {**ledger.entries, entry_id: state}})


def _reverse_stale(ledger: ProjectLedger, correction: BillingCommand, source: SourceRef) -> Decision:
    contract = ledger.contract
    if contract is None:  # an entry with live state always has a contract; keep the invariant explicit
        return _unknown(ledger, correction, source)
    reversal = command(
        ids.reversal_id(correction.command_id),
        _REVERSE,
        contract,
        correction.envelope,
        (*correction.lineage, source),
        tuple(negated(line) for line in correction.lines),
        reverses=correction.command_id,
    )
    commands = {**ledger.commands, reversal.command_id: issued(reversal)}
    return Decision(ledger=ledger.model_copy(update={"commands": commands}), commands=(reversal,))


def _unknown(ledger: ProjectLedger, correction: BillingCommand, source: SourceRef) -> Decision:
    return Decision(
        ledger=ledger,
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
