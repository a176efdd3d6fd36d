"""The pure ledger rules: one event for one project in, the records to emit and the items to write out."""

from domain.ledger.decide import decide, expire_parked
from domain.ledger.decision import Context, Decision, Inbound
from domain.ledger.memory import MemoryLedger
from domain.ledger.revenue import ProjectFinancials, financials
from domain.ledger.state import KINDS, Kind, ProjectTotals

__all__ = [
    "KINDS",
    "Context",
    "Decision",
    "Inbound",
    "Kind",
    "MemoryLedger",
    "ProjectFinancials",
    "ProjectTotals",
    "decide",
    "expire_parked",
    "financials",
]
