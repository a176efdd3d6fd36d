"""One project's ledger held in memory: the state the unit tests and replay's sandboxes decide on."""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from typing import TypeVar, cast

from pydantic import BaseModel

from domain.ledger.decision import Decision
from domain.ledger.state import (
    CommandState,
    EntryState,
    Ignored,
    Kind,
    MilestoneState,
    Parked,
    ProjectTotals,
)
from domain.records.psa import ProjectContract
from domain.state import Change, MemoryState

M = TypeVar("M", bound=BaseModel)


class MemoryLedger:
    """A project's items in memory, readable like the worker's tables, with views of every part."""

    def __init__(self, project_id: str, state: MemoryState | None = None):
        self.project_id = project_id
        self.state = state if state is not None else MemoryState()

    def get(self, kind: str, item: str) -> BaseModel | None:
        """Return an item (the StateReader the rules read through)."""
        return self.state.get(kind, item)

    def scan(self, kind: str, prefix: str = "") -> Iterator[tuple[str, BaseModel]]:
        """Yield a kind's items in id order."""
        return self.state.scan(kind, prefix)

    def apply(self, decided: Decision | Iterable[Change]) -> MemoryLedger:
        """Apply a decision's changes (in place) and return self."""
        self.state.apply(decided.changes if isinstance(decided, Decision) else decided)
        return self

    def copy(self) -> MemoryLedger:
        """Return an independent copy (items are immutable, so a shallow one)."""
        return MemoryLedger(self.project_id, MemoryState(self.state.items))

    def _of(self, kind: Kind, model: type[M]) -> dict[str, M]:
        return {item: cast(M, value) for item, value in self.state.scan(kind)}

    @property
    def totals(self) -> ProjectTotals:
        """Return the project's totals."""
        found = self.state.get(Kind.TOTALS, "")
        return cast(ProjectTotals, found) if found is not None else ProjectTotals(project_id=self.project_id)

    @property
    def contract(self) -> ProjectContract | None:
        """Return the approved contract in force."""
        return self.totals.contract

    @property
    def ignored(self) -> Ignored:
        """Return the counters of stale events."""
        return self.totals.ignored

    @property
    def entries(self) -> dict[str, EntryState]:
        """Return every entry's state by entry id."""
        return self._of(Kind.ENTRY, EntryState)

    @property
    def commands(self) -> dict[str, CommandState]:
        """Return every issued command's state by command id."""
        return self._of(Kind.COMMAND, CommandState)

    @property
    def milestones(self) -> dict[str, MilestoneState]:
        """Return every milestone's progress by milestone id."""
        return self._of(Kind.MILESTONE, MilestoneState)

    @property
    def parked(self) -> tuple[Parked, ...]:
        """Return the parked events: those awaiting the contract in arrival order, then early ERP reports."""
        return (*self._of(Kind.PARKED, Parked).values(), *self._of(Kind.EARLY, Parked).values())

    @property
    def raised(self) -> tuple[str, ...]:
        """Return the ids of every exception raised for the project."""
        return tuple(self._of(Kind.RAISED, BaseModel))

    def __eq__(self, other: object) -> bool:
        return (
            isinstance(other, MemoryLedger)
            and self.project_id == other.project_id
            and self.state.items == other.state.items
        )

    def __hash__(self) -> int:
        return hash(self.project_id)
