"""Ids and records of corrective commands: reversals of live charges and corrected charges.

Ids come from the source identity and the corrected content, not from the replay run: a charge is reversed
at most once, so its reversal id is the domain's own `reversal_id(charge)`; a corrected charge is the
domain's charge id of the entry revision, suffixed with a digest of its line and of the charges it replaces.
Two replays that find the same fix (a second plan over the same incident, two operators racing) therefore
issue the same ids, which the apply step and the ERP drop as duplicates, whereas an id derived from the plan
would bill the fix twice. A later, different fix of the same entry replaces other charges, so gets a new id.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable, Set

from domain.cutoff import day_of, posting
from domain.ledger import ids
from domain.ledger.emit import SOURCE_SYSTEM, negated
from domain.ledger.state import Charge
from domain.records.common import Envelope, SourceRef
from domain.records.erp import BillingCommand, BillingCommandType, BillingLine
from domain.records.psa import ProjectContract

ISSUED = "billing_command.issued"


def corrected_charge_id(charge_id: str, line: BillingLine, replaces: Iterable[str]) -> str:
    """Return the id of a corrected charge: the entry's charge id plus a digest of what it is and replaces."""
    content = {"line": line.model_dump(mode="json"), "replaces": sorted(replaces)}
    digest = hashlib.sha256(json.dumps(content, sort_keys=True).encode()).hexdigest()[:12]
    return f"{charge_id}:fix-{digest}"


def _envelope(command_id: str, cause: Envelope, replay_id: str) -> Envelope:
    # Timed at the source event like every command the domain emits, so a resumed apply sends equal bytes.
    return Envelope(
        event_id=command_id,
        event_type=ISSUED,
        occurred_at=cause.occurred_at,
        source_system=SOURCE_SYSTEM,
        correlation_id=replay_id,
        causation_id=cause.event_id,
    )


def reversal(
    live: BillingCommand, cause: Envelope, replay_id: str, why: tuple[SourceRef, ...], closed: Set[str]
) -> BillingCommand:
    """Return the exact negation of a live charge, with lineage to it and to the correction's cause.

    Posted by the worker's cut-off policy (domain.cutoff): as of the charge's work date, rolled forward to
    the first open period when that date's period is closed.
    """
    command_id = ids.reversal_id(live.command_id)
    worked = next((line.work_date for line in live.lines if line.work_date), None)
    posted = posting(worked or day_of(cause.occurred_at), closed)
    return BillingCommand(
        envelope=_envelope(command_id, cause, replay_id),
        command_id=command_id,
        command_type=BillingCommandType.REVERSE_TIME_CHARGE,
        project_id=live.project_id,
        legal_entity=live.legal_entity,
        customer_id=live.customer_id,
        currency=live.currency,
        amount=-live.amount,
        lines=tuple(negated(line) for line in live.lines),
        reverses_command_id=live.command_id,
        lineage=(*live.lineage, *why),
        replay_id=replay_id,
        accounting_date=posted.accounting_date,
        natural_date=posted.natural_date,
    )


def corrected_charge(
    charge: Charge,
    contract: ProjectContract,
    cause: Envelope,
    replay_id: str,
    replaces: tuple[str, ...],
    why: tuple[SourceRef, ...],
    closed: Set[str],
) -> BillingCommand:
    """Return the charge the sandbox says should be live, under a correction id, posted by the policy."""
    command_id = corrected_charge_id(charge.command_id, charge.line, replaces)
    posted = posting(charge.line.work_date or day_of(cause.occurred_at), closed)
    return BillingCommand(
        envelope=_envelope(command_id, cause, replay_id),
        command_id=command_id,
        command_type=BillingCommandType.POST_TIME_CHARGE,
        project_id=contract.project_id,
        legal_entity=contract.legal_entity,
        customer_id=contract.customer_id,
        currency=contract.currency,
        amount=charge.line.amount,
        lines=(charge.line,),
        lineage=(*charge.lineage, *why),
        replay_id=replay_id,
        accounting_date=posted.accounting_date,
        natural_date=posted.natural_date,
    )
