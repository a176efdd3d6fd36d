"""The old side of a move: an entry booked on another project leaves nothing live here."""

from __future__ import annotations

from domain.ledger.decision import NOTHING, Context, Emitted
from domain.ledger.emit import issued, reversal
from domain.ledger.holds import hold_cleared
from domain.ledger.state import EntryState
from domain.ledger.time_entries import rejected_of
from domain.ledger.view import LedgerView
from domain.moves import MovedAway
from domain.records.common import SourceRef


def on_moved_away(ledger: LedgerView, moved: MovedAway, source: SourceRef, ctx: Context) -> Emitted:
    """Reverse what a moved entry holds on this (its previous) project, and ignore its older revisions.

    The reversals are this project's, in its legal entity and currency, posted by the cut-off policy as of
    the charges' work dates; a held amount is dropped and its BILLING_HOLD resolved. The entry stays as a
    marker at the moving revision, so a late older revision of it is ignored here; a later revision that
    books it here again (its previous project being the new one) brings it back. A move not newer than
    what the entry last saw here changes nothing (a re-sent move, or the entry came back meanwhile).
    """
    entry = moved.entry
    prev = ledger.entry(entry.entry_id)
    if prev is not None and entry.revision <= prev.revision:
        return NOTHING
    contract = ledger.contract
    commands = []
    exceptions = []
    if prev is not None and contract is not None:
        commands = [reversal(contract, c, entry.envelope, source, ctx.closed_periods) for c in prev.charges]
        if prev.held > 0:
            why = f"time entry moved to project {moved.moved_to} by revision {entry.revision}"
            exceptions.append(
                hold_cleared(ledger, contract, entry.entry_id, prev, why, entry.envelope, source)
            )
    gone = EntryState(
        revision=entry.revision,
        applied_revision=entry.revision,
        source=source,
        moved_to=moved.moved_to,
        rejected=rejected_of(ledger, prev),
    )
    ledger.put_entry(entry.entry_id, gone)
    for cmd in commands:
        ledger.put_command(cmd.command_id, issued(cmd))
    return Emitted(commands=tuple(commands), exceptions=tuple(exceptions))
