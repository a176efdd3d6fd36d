"""The item tables of the pipeline: each project's ledger and forecast, each resource's plan."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

import faust
from pydantic import BaseModel

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
# The projects of a partition's forecast table, and the last month the partition's quiet forecasts rolled
# to: the periodic tick reads the index once a month, not every item of the partition.
PROJECTS = "~projects"
PROJECTS_KIND = "member"
ROLLED = "~rolled"
ROLLED_KIND = "rolled-to"


@dataclass(frozen=True)
class Tables:
    """The pipeline's item tables: what its stages write and the worker's HTTP views read."""

    ledger: KeyedTable
    forecast: KeyedTable
    plans: KeyedTable


def ledger_items(app: faust.App) -> KeyedTable:
    """Declare the table of every project's ledger items (and the partition's parking index)."""
    return KeyedTable(app, PROJECT_LEDGER_ITEMS, _kinds(LEDGER_KINDS, {PARKING_KIND: Mark}))


def forecast_items(app: faust.App) -> KeyedTable:
    """Declare the table of every project's forecast items."""
    kinds = _kinds(PROJECT_KINDS, {PENDING_KIND: PendingRun, PROJECTS_KIND: Mark, ROLLED_KIND: Mark})
    return KeyedTable(app, PROJECT_FORECAST_ITEMS, kinds)


def plan_items(app: faust.App) -> KeyedTable:
    """Declare the table of every resource's plan items."""
    return KeyedTable(app, RESOURCE_PLAN_ITEMS, _kinds(RESOURCE_KINDS, {PENDING_KIND: PendingRun}))


def _kinds(*maps: Mapping[str, type[BaseModel]]) -> dict[str, type[BaseModel]]:
    """Merge the kinds of a table, refusing a name two of them give (an item would be read as another)."""
    merged: dict[str, type[BaseModel]] = {}
    for kinds in maps:
        for name, model in kinds.items():
            if name in merged:
                raise ValueError(f"item kind {name!r} declared twice")
            merged[name] = model
    return merged
