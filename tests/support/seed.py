"""The seed scenario: a global consulting firm's project through a client-approved scope expansion.

Meridian Global Consulting runs P-ORION (time and materials, USD) for Orion Corp and P-VEGA (EUR) for Vega
AG. Mid-project the client approves a scope expansion (higher contract value, a second billing milestone, a
rate for a new EMEA consultant); consultants in EMEA and APAC book time, one entry is revised, one rejected
after approval, a stale revision arrives late, a duplicate is re-sent; milestone M1 is completed, then
accepted; the ERP accepts, invoices, pays and rejects. Every expected figure below is worked out by hand.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from typing import Any

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

T0 = datetime(2026, 3, 2, 8, 0, tzinfo=UTC)
JAN1 = date(2026, 1, 1)
M1 = BillingMilestone(
    milestone_id="M1", name="Discovery", amount=Decimal("20000.00"), planned_date=date(2026, 3, 13)
)
M2 = BillingMilestone(
    milestone_id="M2", name="EMEA rollout", amount=Decimal("45000.00"), planned_date=date(2026, 5, 29)
)


def _env(event_id: str, minute: int, system: str = "psa") -> Envelope:
    return Envelope(
        event_id=event_id,
        event_type="seed",
        occurred_at=T0 + timedelta(minutes=minute),
        source_system=system,
        correlation_id="seed",
    )


def _orion(version: int, status: str, minute: int) -> ProjectContract:
    expanded = version >= 2
    rates = [
        BillRate(role="consultant", rate=Decimal("150.00"), effective_from=JAN1),
        BillRate(role="senior", rate=Decimal("200.00"), effective_from=JAN1),
        BillRate(role="consultant", resource_id="R-NA-1", rate=Decimal("160.00"), effective_from=JAN1),
    ]
    if expanded:
        rates.append(
            BillRate(
                role="consultant",
                resource_id="R-EMEA-1",
                rate=Decimal("140.00"),
                effective_from=date(2026, 3, 1),
            )
        )
    return ProjectContract(
        envelope=_env(f"orion-v{version}-{status.lower()}", minute),
        project_id="P-ORION",
        contract_version=version,
        approval_status=status,
        customer_id="C-ORION",
        legal_entity="LE-US",
        region="NA",
        currency="USD",
        billing_model="TIME_AND_MATERIALS",
        project_status="ACTIVE",
        contract_value=Decimal("210000.00" if expanded else "150000.00"),
        budget_hours=Decimal("1000"),
        budget_cost=Decimal("90000.00"),
        bill_rates=tuple(rates),
        cost_rates=(
            CostRate(role="consultant", rate=Decimal("90.00"), effective_from=JAN1),
            CostRate(role="senior", rate=Decimal("120.00"), effective_from=JAN1),
        ),
        milestones=(M1, M2) if expanded else (M1,),
        amendment_reason="Client-approved scope expansion: EMEA and APAC rollout" if expanded else None,
    )


def _vega() -> ProjectContract:
    return ProjectContract(
        envelope=_env("vega-v1", 1),
        project_id="P-VEGA",
        contract_version=1,
        approval_status="APPROVED",
        customer_id="C-VEGA",
        legal_entity="LE-DE",
        region="EMEA",
        currency="EUR",
        billing_model="TIME_AND_MATERIALS",
        project_status="ACTIVE",
        contract_value=Decimal("50000.00"),
        budget_hours=Decimal("400"),
        budget_cost=Decimal("28000.00"),
        bill_rates=(BillRate(role="consultant", rate=Decimal("120.00"), effective_from=JAN1),),
        cost_rates=(CostRate(role="consultant", rate=Decimal("70.00"), effective_from=JAN1),),
    )


def _time(
    entry: str,
    rev: int,
    resource: str,
    role: str,
    day: int,
    hours: str,
    status: str,
    minute: int,
    project: str,
) -> TimeEntry:
    return TimeEntry(
        envelope=_env(f"{entry}-r{rev}", minute),
        entry_id=entry,
        revision=rev,
        project_id=project,
        resource_id=resource,
        role=role,
        work_date=date(2026, 3, day),
        hours=Decimal(hours),
        billable=True,
        approval_status=status,
    )


def _milestone(status: str, minute: int) -> MilestoneEvent:
    return MilestoneEvent(
        envelope=_env(f"orion-m1-{status.lower()}", minute),
        project_id="P-ORION",
        milestone_id="M1",
        status=status,
    )


def _erp(command_id: str, status: str, minute: int, **fields: Any) -> BillingStatus:
    return BillingStatus(
        envelope=_env(f"erp-{command_id}-{status.lower()}", minute, "erp"),
        command_id=command_id,
        project_id="P-ORION",
        status=status,
        **fields,
    )


Feed = list[tuple[TopicSpec, str, Event]]


def psa_feed() -> Feed:
    """Return the PSA events in publication order."""
    o, v = "P-ORION", "P-VEGA"
    return [
        (PSA_PROJECTS, o, _orion(1, "APPROVED", 0)),
        (PSA_PROJECTS, v, _vega()),
        (PSA_TIME_ENTRIES, o, _time("TE-101", 1, "R-NA-1", "consultant", 2, "8.00", "APPROVED", 10, o)),
        (PSA_TIME_ENTRIES, o, _time("TE-102", 1, "R-NA-2", "senior", 2, "7.50", "APPROVED", 11, o)),
        (PSA_PROJECTS, o, _orion(2, "PENDING", 20)),
        (PSA_PROJECTS, o, _orion(2, "APPROVED", 30)),
        (PSA_TIME_ENTRIES, o, _time("TE-201", 1, "R-EMEA-1", "consultant", 3, "6.00", "APPROVED", 40, o)),
        (PSA_TIME_ENTRIES, o, _time("TE-202", 1, "R-EMEA-2", "consultant", 3, "7.25", "APPROVED", 41, o)),
        (PSA_TIME_ENTRIES, o, _time("TE-301", 1, "R-APAC-1", "senior", 4, "4.00", "APPROVED", 42, o)),
        (PSA_TIME_ENTRIES, o, _time("TE-202", 2, "R-EMEA-2", "consultant", 3, "5.00", "APPROVED", 50, o)),
        (PSA_TIME_ENTRIES, o, _time("TE-301", 2, "R-APAC-1", "senior", 4, "4.00", "REJECTED", 51, o)),
        (PSA_TIME_ENTRIES, o, _time("TE-101", 1, "R-NA-1", "consultant", 2, "8.00", "APPROVED", 10, o)),
        (PSA_TIME_ENTRIES, o, _time("TE-202", 1, "R-EMEA-2", "consultant", 3, "7.25", "APPROVED", 41, o)),
        (PSA_MILESTONES, o, _milestone("COMPLETED", 60)),
        (PSA_MILESTONES, o, _milestone("ACCEPTED", 70)),
        (PSA_TIME_ENTRIES, v, _time("TE-V1", 1, "R-EMEA-3", "consultant", 2, "8.00", "APPROVED", 15, v)),
    ]


def erp_feed() -> Feed:
    """Return the ERP's feedback on the commands the PSA feed leads to."""
    return [
        (ERP_BILLING_STATUS, "P-ORION", _erp("cmd:TE-101:r1:POST_TIME_CHARGE", "ACCEPTED", 80)),
        (ERP_BILLING_STATUS, "P-ORION", _erp(
            "cmd:TE-102:r1:POST_TIME_CHARGE", "REJECTED", 81, reason="closed cost center"
        )),
        (ERP_BILLING_STATUS, "P-ORION", _erp(
            "cmd:TE-101:r1:POST_TIME_CHARGE", "INVOICED", 90, invoice_id="INV-1", amount=Decimal("1280.00")
        )),
        (ERP_BILLING_STATUS, "P-ORION", _erp(
            "cmd:P-ORION:M1:BILL_MILESTONE", "INVOICED", 91, invoice_id="INV-2", amount=Decimal("20000.00")
        )),
        (ERP_BILLING_STATUS, "P-ORION", _erp(
            "cmd:TE-101:r1:POST_TIME_CHARGE", "PAID", 100, amount=Decimal("1280.00")
        )),
    ]  # fmt: skip


# (command id, signed amount), per project, in the order the ERP must receive them.
EXPECTED_COMMANDS: dict[str, list[tuple[str, Decimal]]] = {
    "P-ORION": [
        ("cmd:P-ORION:v1:UPDATE_BILLING_SCHEDULE", Decimal("0.00")),
        ("cmd:TE-101:r1:POST_TIME_CHARGE", Decimal("1280.00")),  # 8 h x 160 (R-NA-1's own rate)
        ("cmd:TE-102:r1:POST_TIME_CHARGE", Decimal("1500.00")),  # 7.5 h x 200
        ("cmd:P-ORION:v2:UPDATE_BILLING_SCHEDULE", Decimal("0.00")),  # the approved scope expansion
        ("cmd:TE-201:r1:POST_TIME_CHARGE", Decimal("840.00")),  # 6 h x 140 (the amendment's new rate)
        ("cmd:TE-202:r1:POST_TIME_CHARGE", Decimal("1087.50")),  # 7.25 h x 150
        ("cmd:TE-301:r1:POST_TIME_CHARGE", Decimal("800.00")),  # 4 h x 200
        ("cmd:TE-202:r1:REVERSE_TIME_CHARGE", Decimal("-1087.50")),  # revised to 5 h
        ("cmd:TE-202:r2:POST_TIME_CHARGE", Decimal("750.00")),  # 5 h x 150
        ("cmd:TE-301:r1:REVERSE_TIME_CHARGE", Decimal("-800.00")),  # rejected after approval
        ("cmd:P-ORION:M1:BILL_MILESTONE", Decimal("20000.00")),
    ],
    "P-VEGA": [
        ("cmd:P-VEGA:v1:UPDATE_BILLING_SCHEDULE", Decimal("0.00")),
        ("cmd:TE-V1:r1:POST_TIME_CHARGE", Decimal("960.00")),  # 8 h x 120 EUR
    ],
}

# GET /projects/P-ORION after the whole feed (JSON: Decimals as strings).
EXPECTED_ORION_STATE: dict[str, Any] = {
    "contract_version": 2,
    "contract_value": "210000.00",
    "hours_total": "26.50",  # 8 + 7.5 + 6 + 5
    "cost": "2610.00",  # 8x90 + 7.5x120 + 6x90 + 5x90
    "posted": "24370.00",  # 1280 + 1500 + 840 + 750 + 20000 (reversed pairs net to zero)
    "pending": "1590.00",  # 840 + 750 (sent, not invoiced)
    "invoiced": "21280.00",  # 1280 + 20000
    "paid": "1280.00",
    "rejected": "1500.00",
    "held": "0.00",
    "recognized_revenue": "4370.00",  # T&M as delivered: 1280 + 1500 + 840 + 750
    "margin": "1760.00",  # 4370 - 2610
    "ignored_time_revisions": 1,  # TE-202 r1 after r2
    "parked": 0,
}
