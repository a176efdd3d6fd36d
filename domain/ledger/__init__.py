"""The pure ledger rules: one event for one project in, a new ledger and the records to emit out."""

from domain.ledger.decide import decide, expire_parked
from domain.ledger.decision import Context, Decision, Inbound
from domain.ledger.revenue import ProjectFinancials, financials
from domain.ledger.state import ProjectLedger

__all__ = [
    "Context",
    "Decision",
    "Inbound",
    "ProjectFinancials",
    "ProjectLedger",
    "decide",
    "expire_parked",
    "financials",
]
