"""Time entries: charges, reversals, the cap, moves to other projects, and why a revision is refused."""

from __future__ import annotations

from decimal import Decimal

from domain.cutoff import posting
from domain.exceptions import exception_id, raised
from domain.ledger import ids
from domain.ledger.decision import NOTHING, Context, Emitted
from domain.ledger.emit import command, issued, reversal
from domain.ledger.holds import exposure, hold_cleared, split
from domain.ledger.parking import park
from domain.ledger.rates import bill_rate, cost_rate, to_cents
from domain.ledger.state import ZERO, Charge, CommandStatus, EntryState, Work
from domain.ledger.view import LedgerView
from domain.moves import MovedAway
from domain.records.common import SourceRef
from domain.records.erp import BillingCommand, BillingCommandType, BillingLine
from domain.records.ops import BusinessException, ExceptionReason
from domain.records.psa import BillingModel, ProjectContract, ProjectStatus, TimeApprovalStatus, TimeEntry


def on_time_entry(ledger: LedgerView, entry: TimeEntry, source: SourceRef, ctx: Context) -> Emitted:
    """Apply one time entry revision to the ledger.

    Older revisions than the latest seen are ignored and counted; the same revision again changes nothing
    (unless it was refused: then it is re-evaluated, which is how a re-drive works). A revision that brings
    the entry from another project (`previous_project_id`) is told to that project (a move, domain.moves),
    whatever happens to it here. Without an approved contract the event is parked. Only an APPROVED
    revision counts (hours, cost); only approved billable time on a TIME_AND_MATERIALS project is charged.
    A revision whose facts (resource, role, date, hours, billable, approved) differ from the applied ones
    reverses every live charge of the entry and charges anew, each posted by the cut-off policy
    (domain.cutoff). A revision is refused, leaving the applied state live, with VALIDATION_FAILED listing
    failed checks: project_active (the project is ON_HOLD or CLOSED), bill_rate, cost_rate (no rate
    effective on the work date).
    """
    prev = ledger.entry(entry.entry_id)
    if prev is not None and entry.revision < prev.revision:
        ledger.count_ignored(time_revisions=1)
        return NOTHING
    if prev is not None and entry.revision == prev.applied_revision:
        return NOTHING
    moved = MovedAway.of(entry)
    told = Emitted(moves=(moved,)) if moved is not None and (prev is None or prev.moved_to) else NOTHING
    contract = ledger.contract
    if contract is None:
        return told.then(park(ledger, entry, source, ctx))
    work = _work(entry)
    if work == (None if prev is None or prev.moved_to else prev.work):
        # Nothing that bills changed (only the description, say, or still not approved): note the revision.
        noted = _seen(prev, entry, source).model_copy(
            update={"applied_revision": entry.revision, "moved_to": None}
        )
        ledger.put_entry(entry.entry_id, noted)
        return told
    chargeable = (
        work is not None and work.billable and contract.billing_model is BillingModel.TIME_AND_MATERIALS
    )
    rate = bill_rate(contract, entry.resource_id, entry.role, entry.work_date) if chargeable else None
    cost = None if work is None else cost_rate(contract, entry.resource_id, entry.role, entry.work_date)
    missing = {"bill_rate": chargeable and rate is None, "cost_rate": work is not None and cost is None}
    refusal = _refusal(contract, entry, work, source, rate, [k for k, v in missing.items() if v])
    if refusal is not None:
        ledger.put_entry(entry.entry_id, _seen(prev, entry, source))
        return told.then(Emitted(exceptions=(refusal,)))
    return told.then(_apply(ledger, contract, entry, prev, source, work, rate, cost, ctx))


def _seen(prev: EntryState | None, entry: TimeEntry, source: SourceRef) -> EntryState:
    """Return the entry's state with this revision seen but not (yet) applied."""
    if prev is None:
        return EntryState(revision=entry.revision, applied_revision=0, source=source)
    return prev.model_copy(update={"revision": entry.revision})


def _work(entry: TimeEntry) -> Work | None:
    if entry.approval_status is not TimeApprovalStatus.APPROVED:
        return None
    return Work(
        resource_id=entry.resource_id,
        role=entry.role,
        work_date=entry.work_date,
        hours=entry.hours,
        billable=entry.billable,
        task_id=entry.task_id,
    )


def _refusal(
    contract: ProjectContract,
    entry: TimeEntry,
    work: Work | None,
    source: SourceRef,
    rate: Decimal | None,
    missing_rates: list[str],
) -> BusinessException | None:
    """Return why this revision may not change the ledger, or None when it may."""
    failed: dict[str, str] = {}
    if contract.project_status is not ProjectStatus.ACTIVE:
        failed["project_active"] = f"project {contract.project_id} is {contract.project_status.value}"
    on = f"role {entry.role} (resource {entry.resource_id}) on {entry.work_date.isoformat()}"
    for missing in missing_rates:
        failed[missing] = f"no {missing.replace('_', ' ')} for {on}"
    if not failed:
        return None
    at_risk = None if work is None or rate is None or not work.billable else to_cents(work.hours * rate)
    return raised(
        exception_id(ExceptionReason.VALIDATION_FAILED, entry.entry_id, f"r{entry.revision}"),
        ExceptionReason.VALIDATION_FAILED,
        f"time entry {entry.entry_id} r{entry.revision} not posted: {'; '.join(failed.values())}",
        entry.envelope,
        source,
        contract.project_id,
        resource_id=entry.resource_id,
        amount=at_risk,
        currency=None if at_risk is None else contract.currency,
        details={"failed_checks": ",".join(failed), **failed},
    )


def _apply(
    ledger: LedgerView,
    contract: ProjectContract,
    entry: TimeEntry,
    prev: EntryState | None,
    source: SourceRef,
    work: Work | None,
    rate: Decimal | None,
    cost: Decimal | None,
    ctx: Context,
) -> Emitted:
    """Reverse the entry's live charges, then charge the new revision up to the cap."""
    live = () if prev is None else prev.charges
    commands = [reversal(contract, charge, entry.envelope, source, ctx.closed_periods) for charge in live]
    rejected = rejected_of(ledger, prev)
    charges: tuple[Charge, ...] = ()
    held = ZERO
    exceptions: list[BusinessException] = []
    if prev is not None and prev.held > 0:
        why = f"revision {entry.revision} replaced the held revision"
        exceptions.append(hold_cleared(ledger, contract, entry.entry_id, prev, why, entry.envelope, source))
    corrects: tuple[str, ...] = ()
    if work is not None and rate is not None:
        full = to_cents(work.hours * rate)
        committed = exposure(ledger) - sum((c.line.amount for c in live), ZERO)
        postable, held = split(full, contract.not_to_exceed, committed)
        if postable > 0:
            charge = _charge(contract, entry, source, rate, postable, ctx)
            commands.append(charge)
            charges = (Charge(command_id=charge.command_id, line=charge.lines[0], lineage=charge.lineage),)
            corrects, rejected = rejected, ()
        if held > 0:
            exceptions.append(_hold(contract, entry, source, full, postable, held))
    state = EntryState(
        revision=entry.revision,
        applied_revision=entry.revision,
        source=source,
        work=work,
        rate=rate,
        cost=ZERO if work is None or cost is None else to_cents(work.hours * cost),
        charges=charges,
        held=held,
        rejected=rejected,
    )
    ledger.put_entry(entry.entry_id, state)
    for cmd in commands:
        is_charge = cmd.command_type is BillingCommandType.POST_TIME_CHARGE
        ledger.put_command(cmd.command_id, issued(cmd, corrects if is_charge else ()))
    return Emitted(commands=tuple(commands), exceptions=tuple(exceptions))


def rejected_of(ledger: LedgerView, prev: EntryState | None) -> tuple[str, ...]:
    """Return the rejected charges a new charge of the entry corrects: those kept, and live rejected ones."""
    if prev is None:
        return ()
    live = [c.command_id for c in prev.charges]
    now = [cid for cid in live if (state := ledger.command(cid)) and state.status is CommandStatus.REJECTED]
    return (*prev.rejected, *now)


def _charge(
    contract: ProjectContract,
    entry: TimeEntry,
    source: SourceRef,
    rate: Decimal,
    amount: Decimal,
    ctx: Context,
) -> BillingCommand:
    line = BillingLine(
        resource_id=entry.resource_id,
        role=entry.role,
        work_date=entry.work_date,
        hours=entry.hours,
        rate=rate,
        amount=amount,
        source_id=entry.entry_id,
        task_id=entry.task_id,
    )
    cmd_id = ids.charge_id(entry.entry_id, entry.revision)
    posted = posting(entry.work_date, ctx.closed_periods)
    return command(
        cmd_id, BillingCommandType.POST_TIME_CHARGE, contract, entry.envelope, (source,), posted, (line,)
    )


def _hold(
    contract: ProjectContract,
    entry: TimeEntry,
    source: SourceRef,
    full: Decimal,
    postable: Decimal,
    held: Decimal,
) -> BusinessException:
    cap = contract.not_to_exceed
    return raised(
        exception_id(ExceptionReason.BILLING_HOLD, entry.entry_id, f"r{entry.revision}"),
        ExceptionReason.BILLING_HOLD,
        f"not-to-exceed cap {cap} {contract.currency} reached: time entry {entry.entry_id} r{entry.revision} "
        f"posts {postable} of {full}, {held} held until the cap is raised",
        entry.envelope,
        source,
        contract.project_id,
        resource_id=entry.resource_id,
        command_id=ids.charge_id(entry.entry_id, entry.revision) if postable > 0 else None,
        amount=held,
        currency=contract.currency,
        details={"not_to_exceed": str(cap), "charge": str(full), "posted": str(postable), "held": str(held)},
    )
