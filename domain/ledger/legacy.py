"""Ledgers saved whole, one JSON value per project, by psflow before keyed state: read once and split.

A value of this shape grew with the project's history (every entry, command, milestone, parked event and
raised exception id); `split` turns it into the keyed items of today's ledger, with the same figures.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from pydantic import model_validator

from domain.ledger.state import (
    CommandState,
    EntryState,
    Ignored,
    MilestoneState,
    Parked,
    Raised,
    State,
)
from domain.ledger.view import LedgerView
from domain.records.common import NonEmpty
from domain.records.erp import BillingStatus
from domain.records.psa import ProjectContract
from domain.state import EMPTY, Change


class LegacyLedger(State):
    """Everything psflow remembered about one project, in one value (the format before keyed state)."""

    project_id: NonEmpty
    contract: ProjectContract | None = None
    entries: Mapping[str, EntryState] = {}
    milestones: Mapping[str, MilestoneState] = {}
    commands: Mapping[str, CommandState] = {}
    parked: tuple[Parked, ...] = ()
    raised: tuple[str, ...] = ()
    ignored: Ignored = Ignored()

    @model_validator(mode="before")
    @classmethod
    def _without_closed_periods(cls, data: Any) -> Any:
        # The oldest of these ledgers carry an always-empty `closed_periods` (nothing ever filled it).
        if isinstance(data, dict) and "closed_periods" in data:
            return {k: v for k, v in data.items() if k != "closed_periods"}
        return data


def split(legacy: LegacyLedger) -> tuple[Change, ...]:
    """Return the keyed items of a legacy ledger: the same entries, commands, figures and counters."""
    view = LedgerView(legacy.project_id, EMPTY)
    if legacy.contract is not None:
        view.set_contract(legacy.contract)
    for entry_id, entry in legacy.entries.items():
        view.put_entry(entry_id, entry)
    for command_id, command in legacy.commands.items():
        view.put_command(command_id, command)
    for milestone_id, milestone in legacy.milestones.items():
        view.put_milestone(milestone_id, milestone)
    for exception_id in legacy.raised:
        view.put_raised(exception_id, Raised())
    for parked in legacy.parked:
        if isinstance(parked.record, BillingStatus):
            view.park_early(parked.record.command_id, parked)
        else:
            view.park(parked)
    view.count_ignored(legacy.ignored.contract_versions, legacy.ignored.time_revisions)
    return view.changes()
