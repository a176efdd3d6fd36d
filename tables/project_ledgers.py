"""The project ledger table: each project's financial state, keyed by project id."""

from __future__ import annotations

import faust

from app.contracts.topology import PROJECT_LEDGERS
from domain.ledger import ProjectLedger
from tables.json_table import JsonTable

ProjectLedgers = JsonTable[ProjectLedger]


def project_ledgers(app: faust.App) -> ProjectLedgers:
    """Declare the project ledger table."""
    return JsonTable(app, PROJECT_LEDGERS, ProjectLedger)
