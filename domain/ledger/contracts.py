"""Contract versions: which one holds the financial terms, and telling the ERP the schedule."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

from domain.cutoff import day_of, posting
from domain.exceptions import exception_id, raised
from domain.ledger import ids
from domain.ledger.decision import NOTHING, Context, Emitted
from domain.ledger.emit import command, issued
from domain.ledger.holds import cap_raised, release_holds
from domain.ledger.view import LedgerView
from domain.records.common import SourceRef
from domain.records.erp import BillingCommand, BillingCommandType, BillingSchedule, ScheduledMilestone
from domain.records.ops import ExceptionReason
from domain.records.psa import ContractApprovalStatus, ProjectContract


def on_contract(ledger: LedgerView, contract: ProjectContract, source: SourceRef, ctx: Context) -> Emitted:
    """Apply one contract version.

    A version not newer than the current approved one is ignored and counted, whatever its approval state.
    A newer version changes nothing unless APPROVED. An approved version becomes the terms and emits an
    UPDATE_BILLING_SCHEDULE when it is the project's first (so the ERP learns the schedule) or when it
    changes the milestones, contract value or not-to-exceed cap, posted as of the version's event date by
    the cut-off policy; raising or removing the cap releases held amounts. A version changing the currency
    is refused with VALIDATION_FAILED (currency_unchanged), since the ledger's amounts are in the first
    currency.
    """
    current = ledger.contract
    if current is not None and contract.contract_version <= current.contract_version:
        ledger.count_ignored(contract_versions=1)
        return NOTHING
    if contract.approval_status is not ContractApprovalStatus.APPROVED:
        return NOTHING
    if current is not None and contract.currency != current.currency:
        failed = f"currency changes from {current.currency} to {contract.currency}"
        refusal = raised(
            exception_id(
                ExceptionReason.VALIDATION_FAILED, contract.project_id, f"v{contract.contract_version}"
            ),
            ExceptionReason.VALIDATION_FAILED,
            f"contract version {contract.contract_version} of {contract.project_id} not applied: {failed}",
            contract.envelope,
            source,
            contract.project_id,
            details={"failed_checks": "currency_unchanged", "currency_unchanged": failed},
        )
        return Emitted(exceptions=(refusal,))
    ledger.set_contract(contract)
    emitted = NOTHING
    if current is None or _schedule_changed(current, contract):
        update = _schedule_update(contract, source, ctx)
        ledger.put_command(update.command_id, issued(update))
        emitted = Emitted(commands=(update,))
    if current is not None and cap_raised(current, contract):
        emitted = emitted.then(release_holds(ledger, contract.envelope, source, ctx.closed_periods))
    return emitted


def _schedule_changed(old: ProjectContract, new: ProjectContract) -> bool:
    def milestones(c: ProjectContract) -> list[tuple[str, str, Decimal, date]]:
        return sorted((m.milestone_id, m.name, m.amount, m.planned_date) for m in c.milestones)

    return (
        old.contract_value != new.contract_value
        or old.not_to_exceed != new.not_to_exceed
        or milestones(old) != milestones(new)
    )


def _schedule_update(contract: ProjectContract, source: SourceRef, ctx: Context) -> BillingCommand:
    schedule = BillingSchedule(
        contract_version=contract.contract_version,
        contract_value=contract.contract_value,
        not_to_exceed=contract.not_to_exceed,
        milestones=tuple(
            ScheduledMilestone(
                milestone_id=m.milestone_id, name=m.name, amount=m.amount, planned_date=m.planned_date
            )
            for m in contract.milestones
        ),
    )
    return command(
        ids.schedule_id(contract.project_id, contract.contract_version),
        BillingCommandType.UPDATE_BILLING_SCHEDULE,
        contract,
        contract.envelope,
        (source,),
        posting(day_of(contract.occurred_at), ctx.closed_periods),
        schedule=schedule,
    )
