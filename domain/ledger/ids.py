"""Deterministic, readable ids of emitted commands and exceptions."""

from __future__ import annotations

from domain.records.erp import BillingCommandType

_POST = BillingCommandType.POST_TIME_CHARGE.value
_REVERSE = BillingCommandType.REVERSE_TIME_CHARGE.value


def charge_id(entry_id: str, revision: int, release_version: int | None = None) -> str:
    """Return the id of an entry revision's charge, or of its hold released under a contract version."""
    base = f"cmd:{entry_id}:r{revision}:{_POST}"
    return base if release_version is None else f"{base}:v{release_version}"


def reversal_id(reversed_id: str) -> str:
    """Return the id of the reversal of a charge; a charge is reversed at most once, so it is unique."""
    return reversed_id.replace(f":{_POST}", f":{_REVERSE}", 1)


def milestone_bill_id(project_id: str, milestone_id: str) -> str:
    """Return the id of a milestone's bill: a milestone is billed once."""
    return f"cmd:{project_id}:{milestone_id}:{BillingCommandType.BILL_MILESTONE.value}"


def schedule_id(project_id: str, version: int) -> str:
    """Return the id of the schedule update of a contract version."""
    return f"cmd:{project_id}:v{version}:{BillingCommandType.UPDATE_BILLING_SCHEDULE.value}"
