"""Factories for valid records, so tests state only what matters to them."""

from __future__ import annotations

import itertools
from datetime import UTC, date, datetime
from decimal import Decimal
from typing import Any

from domain.records.common import Envelope
from domain.records.psa import (
    BillingMilestone,
    BillRate,
    CostRate,
    MilestoneEvent,
    ProjectContract,
    TimeEntry,
)

T0 = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)
_ids = itertools.count(1)


def envelope(event_type: str = "test", **overrides: Any) -> Envelope:
    """Build an envelope with a fresh event id."""
    fields: dict[str, Any] = {
        "event_id": f"evt-{next(_ids)}",
        "event_type": event_type,
        "occurred_at": T0,
        "source_system": "psa",
    }
    fields.update(overrides)
    return Envelope(**fields)


def contract(project_id: str = "P-1", **overrides: Any) -> ProjectContract:
    """Build an approved, active time-and-materials contract version."""
    fields: dict[str, Any] = {
        "envelope": envelope("project.contract_version"),
        "project_id": project_id,
        "contract_version": 1,
        "approval_status": "APPROVED",
        "customer_id": "C-ACME",
        "legal_entity": "LE-US",
        "region": "NA",
        "currency": "USD",
        "billing_model": "TIME_AND_MATERIALS",
        "project_status": "ACTIVE",
        "contract_value": Decimal("100000.00"),
        "budget_hours": Decimal("800"),
        "budget_cost": Decimal("60000.00"),
        "bill_rates": (BillRate(role="consultant", rate=Decimal("150.00"), effective_from=date(2026, 1, 1)),),
        "cost_rates": (CostRate(role="consultant", rate=Decimal("80.00"), effective_from=date(2026, 1, 1)),),
        "milestones": (
            BillingMilestone(
                milestone_id="M1", name="Design", amount=Decimal("20000.00"), planned_date=date(2026, 4, 1)
            ),
        ),
    }
    fields.update(overrides)
    return ProjectContract(**fields)


def time_entry(project_id: str = "P-1", **overrides: Any) -> TimeEntry:
    """Build an approved billable time entry, first revision."""
    fields: dict[str, Any] = {
        "envelope": envelope("time_entry.approved"),
        "entry_id": f"TE-{next(_ids)}",
        "revision": 1,
        "project_id": project_id,
        "resource_id": "R-ANA",
        "role": "consultant",
        "work_date": date(2026, 3, 2),
        "hours": Decimal("8.00"),
        "billable": True,
        "approval_status": "APPROVED",
    }
    fields.update(overrides)
    return TimeEntry(**fields)


def milestone_event(project_id: str = "P-1", **overrides: Any) -> MilestoneEvent:
    """Build a milestone completion event."""
    fields: dict[str, Any] = {
        "envelope": envelope("milestone.completed"),
        "project_id": project_id,
        "milestone_id": "M1",
        "status": "COMPLETED",
    }
    fields.update(overrides)
    return MilestoneEvent(**fields)
