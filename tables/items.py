"""The item tables of the pipeline: each project's ledger and forecast, each resource's plan."""

from __future__ import annotations

from dataclasses import dataclass

import faust

from app.contracts.topology import PROJECT_FORECAST_ITEMS, PROJECT_LEDGER_ITEMS, RESOURCE_PLAN_ITEMS
from domain.forecast import PROJECT_KINDS, RESOURCE_KINDS
from domain.forecast.runs import PendingRun
from domain.ledger import KINDS as LEDGER_KINDS
from domain.ledger.state import Mark
from tables.keyed import KeyedTable

# Projects of a partition that have parked events: the sweep reads this index, not every project.
PARKING = "~parking"
PARKING_KIND = "project"
# Forecast subjects of a partition with changes not yet settled (agents/subjects.py), in their own table.
PENDING = "~settle"
PENDING_KIND = "pending"


@dataclass(frozen=True)
class Tables:
    """The pipeline's item tables: what its stages write and the worker's HTTP views read."""

    ledger: KeyedTable
    forecast: KeyedTable
    plans: KeyedTable


def ledger_items(app: faust.App) -> KeyedTable:
    """Declare the table of every project's ledger items (and the partition's parking index)."""
    return KeyedTable(app, PROJECT_LEDGER_ITEMS, {**LEDGER_KINDS, PARKING_KIND: Mark})


def forecast_items(app: faust.App) -> KeyedTable:
    """Declare the table of every project's forecast items."""
    return KeyedTable(app, PROJECT_FORECAST_ITEMS, {**PROJECT_KINDS, PENDING_KIND: PendingRun})


def plan_items(app: faust.App) -> KeyedTable:
    """Declare the table of every resource's plan items."""
    return KeyedTable(app, RESOURCE_PLAN_ITEMS, {**RESOURCE_KINDS, PENDING_KIND: PendingRun})
