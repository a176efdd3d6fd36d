"""The demo feed: a global consulting firm's week, as the PSA and the ERP would publish it."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from decimal import Decimal

from app.contracts.topics import ERP_BILLING_STATUS, PSA_MILESTONES, PSA_PROJECTS, PSA_TIME_ENTRIES, TopicSpec
from domain.records.common import Envelope, Event
from domain.records.erp import BillingStatus
from domain.records.psa import (
    BillingMilestone,
    BillRate,
    CostRate,
    MilestoneEvent,
    ProjectContract,
    TimeEntry,
)

START = datetime(2026, 3, 2, 8, 0, tzinfo=UTC)
JAN1 = date(2026, 1, 1)


def _env(event_id: str, event_type: str, minutes: int, system: str = "psa") -> Envelope:
    return Envelope(
        event_id=event_id,
        event_type=event_type,
        occurred_at=START + timedelta(minutes=minutes),
        source_system=system,
        correlation_id="demo",
    )


def _contract(
    version: int, value: str, milestones: tuple[BillingMilestone, ...], minutes: int
) -> ProjectContract:
    return ProjectContract(
        envelope=_env(f"demo-acme-v{version}", "project.contract_version", minutes),
        project_id="P-ACME",
        contract_version=version,
        approval_status="APPROVED",
        customer_id="C-ACME",
        legal_entity="LE-US",
        region="NA",
        currency="USD",
        billing_model="TIME_AND_MATERIALS",
        project_status="ACTIVE",
        contract_value=Decimal(value),
        budget_hours=Decimal("1200"),
        budget_cost=Decimal("90000.00"),
        bill_rates=(
            BillRate(role="consultant", rate=Decimal("150.00"), effective_from=JAN1),
            BillRate(role="architect", rate=Decimal("210.00"), effective_from=JAN1),
            BillRate(role="consultant", resource_id="R-LENA", rate=Decimal("165.00"), effective_from=JAN1),
        ),
        cost_rates=(
            CostRate(role="consultant", rate=Decimal("80.00"), effective_from=JAN1),
            CostRate(role="architect", rate=Decimal("120.00"), effective_from=JAN1),
        ),
        milestones=milestones,
        amendment_reason=None if version == 1 else "Client-approved scope expansion: EMEA rollout",
    )


def _time(
    entry: str, rev: int, resource: str, role: str, day: int, hours: str, status: str, m: int
) -> TimeEntry:
    return TimeEntry(
        envelope=_env(f"demo-{entry}-r{rev}", f"time_entry.{status.lower()}", m),
        entry_id=entry,
        revision=rev,
        project_id="P-ACME",
        resource_id=resource,
        role=role,
        work_date=date(2026, 3, day),
        hours=Decimal(hours),
        billable=True,
        approval_status=status,
    )


def demo_feed() -> list[tuple[TopicSpec, str, Event]]:
    """Return the demo events in publication order, each with its topic and key."""
    design = BillingMilestone(
        milestone_id="M1", name="Design", amount=Decimal("25000.00"), planned_date=date(2026, 3, 6)
    )
    rollout = BillingMilestone(
        milestone_id="M2", name="EMEA rollout", amount=Decimal("40000.00"), planned_date=date(2026, 5, 29)
    )
    return [
        (PSA_PROJECTS, "P-ACME", _contract(1, "120000.00", (design,), 0)),
        (PSA_TIME_ENTRIES, "P-ACME", _time("TE-1", 1, "R-JOHN", "consultant", 2, "8.00", "APPROVED", 10)),
        (PSA_TIME_ENTRIES, "P-ACME", _time("TE-2", 1, "R-LENA", "consultant", 2, "7.50", "APPROVED", 11)),
        (PSA_TIME_ENTRIES, "P-ACME", _time("TE-3", 1, "R-ARJUN", "architect", 3, "6.00", "APPROVED", 12)),
        # The PSA corrects John's day from 8 to 6.5 hours: a reversal and a new charge, never an edit.
        (PSA_TIME_ENTRIES, "P-ACME", _time("TE-1", 2, "R-JOHN", "consultant", 2, "6.50", "APPROVED", 30)),
        # The scope expansion is approved: higher contract value, one more milestone.
        (PSA_PROJECTS, "P-ACME", _contract(2, "160000.00", (design, rollout), 40)),
        (
            PSA_MILESTONES,
            "P-ACME",
            MilestoneEvent(
                envelope=_env("demo-m1-done", "milestone.completed", 50),
                project_id="P-ACME",
                milestone_id="M1",
                status="COMPLETED",
                actor="delivery-lead",
            ),
        ),
        (
            PSA_MILESTONES,
            "P-ACME",
            MilestoneEvent(
                envelope=_env("demo-m1-accepted", "milestone.accepted", 60),
                project_id="P-ACME",
                milestone_id="M1",
                status="ACCEPTED",
                actor="client",
            ),
        ),
        # Arjun's time is rejected after approval: only a reversal.
        (PSA_TIME_ENTRIES, "P-ACME", _time("TE-3", 2, "R-ARJUN", "architect", 3, "6.00", "REJECTED", 70)),
        (
            ERP_BILLING_STATUS,
            "P-ACME",
            BillingStatus(
                envelope=_env("demo-erp-1", "billing_status.invoiced", 90, "erp"),
                command_id="cmd:TE-2:r1:POST_TIME_CHARGE",
                project_id="P-ACME",
                status="INVOICED",
                invoice_id="INV-1001",
                amount=Decimal("1237.50"),
            ),
        ),
    ]
