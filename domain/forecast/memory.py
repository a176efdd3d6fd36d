"""A project's forecast or a resource's plan held in memory: the state unit tests and replay settle on."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Iterator
from typing import TypeVar, cast

from pydantic import BaseModel

from domain.exceptions import Issue
from domain.forecast.project_view import emitted_values, open_issues
from domain.forecast.resource import resource_emitted
from domain.forecast.state import (
    ActualTime,
    ContractTerms,
    Ignored,
    MilestoneProgress,
    ProjectAggregate,
    ProjectKind,
    Reported,
    ResourceAggregate,
    ResourceKind,
    ResourceMonth,
)
from domain.forecast.values import ForecastValue
from domain.records.psa import ResourceAssignment
from domain.state import Change, MemoryState, Put

M = TypeVar("M", bound=BaseModel)


class _Memory:
    """A subject's items in memory, readable like the worker's tables (change them through `apply`)."""

    def __init__(self, subject_id: str, state: MemoryState | None = None):
        self.subject_id = subject_id
        self.state = state if state is not None else MemoryState()
        # Items by kind, so a scan reads one kind's items as a table's prefix scan would.
        self._kinds: dict[str, dict[str, BaseModel]] = defaultdict(dict)
        for (kind, item), value in self.state.items.items():
            self._kinds[kind][item] = value

    def get(self, kind: str, item: str) -> BaseModel | None:
        """Return an item (the StateReader the rules read through)."""
        return self.state.get(kind, item)

    def scan(self, kind: str, prefix: str = "") -> Iterator[tuple[str, BaseModel]]:
        """Yield a kind's items whose id starts with `prefix`, in id order."""
        items = self._kinds.get(kind, {})
        return iter(sorted((i, v) for i, v in items.items() if i.startswith(prefix)))

    def _apply(self, changes: Iterable[Change]) -> None:
        for change in changes:
            self.state.apply((change,))
            if isinstance(change, Put):
                self._kinds[change.kind][change.item] = change.value
            else:
                self._kinds[change.kind].pop(change.item, None)

    def _of(self, kind: str, model: type[M]) -> dict[str, M]:
        return {item: cast(M, value) for item, value in self.scan(kind)}

    def __eq__(self, other: object) -> bool:
        return (
            type(other) is type(self)
            and isinstance(other, _Memory)
            and self.subject_id == other.subject_id
            and self.state.items == other.state.items
        )

    def __hash__(self) -> int:
        return hash(self.subject_id)


class MemoryProjectForecast(_Memory):
    """A project's forecast items in memory, with views of every part."""

    @property
    def project_id(self) -> str:
        """Return the project's id."""
        return self.subject_id

    def apply(self, changes: Iterable[Change]) -> MemoryProjectForecast:
        """Apply a batch's changes (in place) and return self."""
        self._apply(changes)
        return self

    def copy(self) -> MemoryProjectForecast:
        """Return an independent copy (items are immutable, so a shallow one)."""
        return MemoryProjectForecast(self.subject_id, MemoryState(self.state.items))

    @property
    def aggregate(self) -> ProjectAggregate:
        """Return the project's aggregate."""
        found = self.state.get(ProjectKind.AGGREGATE, "")
        return cast(ProjectAggregate, found) if found else ProjectAggregate(project_id=self.subject_id)

    @property
    def contract(self) -> ContractTerms | None:
        """Return the terms in force."""
        return self.aggregate.contract

    @property
    def ignored(self) -> Ignored:
        """Return the counters of stale events."""
        return self.aggregate.ignored

    @property
    def milestones(self) -> dict[str, MilestoneProgress]:
        """Return the milestones' progress."""
        return self.aggregate.milestones

    @property
    def actuals(self) -> dict[str, ActualTime]:
        """Return every entry's kept revision by entry id."""
        return self._of(ProjectKind.ACTUAL, ActualTime)

    @property
    def assignments(self) -> dict[str, ResourceAssignment]:
        """Return every assignment's kept revision by assignment id."""
        return self._of(ProjectKind.ASSIGNMENT, ResourceAssignment)

    @property
    def emitted(self) -> dict[str, ForecastValue]:
        """Return the last emitted values by key."""
        return emitted_values(self.subject_id, self._of(ProjectKind.REPORTED, Reported))

    @property
    def fx_missing(self) -> dict[str, Issue]:
        """Return the open FX_RATE_MISSING issues by exception id."""
        return open_issues(self._of(ProjectKind.REPORTED, Reported))


class MemoryResourcePlan(_Memory):
    """A resource's plan items in memory, with views of every part."""

    @property
    def resource_id(self) -> str:
        """Return the resource's id."""
        return self.subject_id

    def apply(self, changes: Iterable[Change]) -> MemoryResourcePlan:
        """Apply a batch's changes (in place) and return self."""
        self._apply(changes)
        return self

    def copy(self) -> MemoryResourcePlan:
        """Return an independent copy (items are immutable, so a shallow one)."""
        return MemoryResourcePlan(self.subject_id, MemoryState(self.state.items))

    @property
    def aggregate(self) -> ResourceAggregate:
        """Return the resource's aggregate."""
        found = self.state.get(ResourceKind.AGGREGATE, "")
        return cast(ResourceAggregate, found) if found else ResourceAggregate(resource_id=self.subject_id)

    @property
    def region(self) -> str | None:
        """Return the region of gross capacity."""
        return self.aggregate.region

    @property
    def ignored(self) -> Ignored:
        """Return the counters of stale events."""
        return self.aggregate.ignored

    @property
    def actuals(self) -> dict[str, ActualTime]:
        """Return every entry's kept revision by entry id."""
        return self._of(ResourceKind.ACTUAL, ActualTime)

    @property
    def assignments(self) -> dict[str, ResourceAssignment]:
        """Return every assignment's kept revision by assignment id."""
        return self._of(ResourceKind.ASSIGNMENT, ResourceAssignment)

    @property
    def months(self) -> dict[str, ResourceMonth]:
        """Return every month's figures."""
        return self._of(ResourceKind.MONTH, ResourceMonth)

    @property
    def emitted(self) -> dict[str, ForecastValue]:
        """Return the last emitted values by key."""
        return resource_emitted(self, self.subject_id)

    @property
    def conflicts(self) -> dict[str, Issue]:
        """Return the open CAPACITY_CONFLICTs by exception id."""
        months = self.months.values()
        return {m.conflict.exception_id: m.conflict for m in months if m.conflict is not None}
