"""Which typed record each Avro subject in avro/ decodes to."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from domain.records.common import Event
from domain.records.erp import AccountingPeriod, BillingCommand, BillingStatus
from domain.records.forecast import ForecastDelta, ForecastSnapshot
from domain.records.governance import ReplayAudit
from domain.records.ops import BusinessException
from domain.records.psa import MilestoneEvent, ProjectContract, ResourceAssignment, TimeEntry

# Every released version of every subject: avro/<subject>/v<N>.avsc, and the gate's avro/schemas.lock.json.
AVRO_DIR = Path(__file__).resolve().parents[2] / "avro"


@dataclass(frozen=True)
class Contract:
    """An Avro subject (a folder of released versions in avro/) and its typed record."""

    subject: str
    model: type[Event]


CONTRACTS: tuple[Contract, ...] = (
    Contract("project_contract", ProjectContract),
    Contract("time_entry", TimeEntry),
    Contract("milestone_event", MilestoneEvent),
    Contract("resource_assignment", ResourceAssignment),
    Contract("billing_status", BillingStatus),
    Contract("billing_command", BillingCommand),
    Contract("forecast_delta", ForecastDelta),
    Contract("forecast_snapshot", ForecastSnapshot),
    Contract("business_exception", BusinessException),
    Contract("replay_audit", ReplayAudit),
    Contract("accounting_period", AccountingPeriod),
)
