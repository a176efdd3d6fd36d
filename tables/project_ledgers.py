"""The project ledger table: each project's financial state, keyed by project id."""

from __future__ import annotations

import faust

from app.topics import PROJECT_PARTITIONS
from domain.ledger import ProjectLedger
from tables.json_table import JsonTable

TABLE_NAME = "project-ledgers"
ProjectLedgers = JsonTable[ProjectLedger]


def project_ledgers(app: faust.App) -> ProjectLedgers:
    """Declare the project ledger table."""
    return JsonTable(app, TABLE_NAME, ProjectLedger, PROJECT_PARTITIONS, "Financial state per project.")
