"""One resource's plan items as a batch sees them, and the months the batch's events touched."""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from typing import TypeVar, cast

from pydantic import BaseModel

from domain.forecast.state import ActualTime, ResourceAggregate, ResourceKind, ResourceMonth, merge
from domain.records.psa import ResourceAssignment
from domain.state import Change, Staging, StateReader

M = TypeVar("M", bound=BaseModel)


class ResourcePlanView:
    """Read and stage one resource's plan items for one batch; `changes()` is what it writes."""

    def __init__(self, resource_id: str, reader: StateReader):
        self.resource_id = resource_id
        self._staging = Staging(reader)
        self._aggregate: ResourceAggregate | None = None
        self._applied = 0
        self._changed = False
        self._touched: set[str] = set()
        self._everything = False

    def _get(self, kind: ResourceKind, item: str, model: type[M]) -> M | None:
        return cast(M | None, self._staging.get(kind, item))

    # --- what the batch did ---------------------------------------------------------------------------

    @contextmanager
    def event(self) -> Iterator[None]:
        """Stage one event's changes all or none: a rule that fails leaves the view as it was."""
        batch, aggregate = self._staging, self._aggregate
        touched, everything = set(self._touched), self._everything
        self._staging = Staging(batch)
        try:
            yield
        except BaseException:
            self._staging, self._aggregate = batch, aggregate
            self._touched, self._everything = touched, everything
            raise
        event, self._staging = self._staging, batch
        merge(event.changes(), batch)

    def note(self, *, changed: bool) -> None:
        """Record that an event was applied, and whether it changed anything settling reads."""
        self._applied += 1
        self._changed = self._changed or changed

    @property
    def unchanged(self) -> bool:
        """Tell whether events were applied and none changed anything (only stale or repeated ones)."""
        return self._applied > 0 and not self._changed

    def touch(self, periods: Iterable[str]) -> None:
        """Record months whose figures the batch may have moved."""
        self._touched.update(periods)

    def touch_all(self) -> None:
        """Record that every month may have moved (a region or calendar change)."""
        self._everything = True

    def unsettled(self) -> tuple[tuple[str, ...], bool]:
        """Return the months touched since the last settle, and whether every month may have moved."""
        return tuple(sorted(self._touched)), self._everything

    def resume(self, months: Iterable[str], everything: bool) -> None:
        """Take over the months an earlier batch touched and did not settle."""
        self._touched.update(months)
        self._everything = self._everything or everything

    def to_settle(self) -> list[str]:
        """Return the months settling must compute: the touched ones, or every month the plan has."""
        if self._everything:
            return list(self.months())
        return sorted(self._touched)

    # --- the aggregate --------------------------------------------------------------------------------

    @property
    def aggregate(self) -> ResourceAggregate:
        """Return the resource's aggregate (a fresh one for a resource never seen)."""
        if self._aggregate is None:
            found = self._get(ResourceKind.AGGREGATE, "", ResourceAggregate)
            self._aggregate = found if found is not None else ResourceAggregate(resource_id=self.resource_id)
        return self._aggregate

    def update(self, **changes: object) -> None:
        """Stage the aggregate with some fields changed."""
        self._aggregate = self.aggregate.model_copy(update=changes)
        self._staging.put(ResourceKind.AGGREGATE, "", self._aggregate)

    # --- facts ----------------------------------------------------------------------------------------

    def actual(self, entry_id: str) -> ActualTime | None:
        """Return the kept revision of a time entry."""
        return self._get(ResourceKind.ACTUAL, entry_id, ActualTime)

    def put_actual(self, entry_id: str, actual: ActualTime) -> None:
        """Store an entry's latest revision."""
        self._staging.put(ResourceKind.ACTUAL, entry_id, actual)

    def actuals(self) -> Iterator[tuple[str, ActualTime]]:
        """Yield every kept entry revision (only read to count billable time afresh)."""
        for item, value in self._staging.scan(ResourceKind.ACTUAL):
            yield item, cast(ActualTime, value)

    def assignment(self, assignment_id: str) -> ResourceAssignment | None:
        """Return the kept revision of an assignment."""
        return self._get(ResourceKind.ASSIGNMENT, assignment_id, ResourceAssignment)

    def put_assignment(self, assignment: ResourceAssignment) -> None:
        """Store an assignment's latest revision (cancelled ones too, so an older one stays ignored)."""
        self._staging.put(ResourceKind.ASSIGNMENT, assignment.assignment_id, assignment)

    def assignments(self) -> list[ResourceAssignment]:
        """Return every kept assignment revision by assignment id."""
        return [cast(ResourceAssignment, a) for _, a in self._staging.scan(ResourceKind.ASSIGNMENT)]

    # --- months ---------------------------------------------------------------------------------------

    def month(self, period: str) -> ResourceMonth:
        """Return a month's figures (empty ones for a month with none)."""
        found = self._get(ResourceKind.MONTH, period, ResourceMonth)
        return found if found is not None else ResourceMonth()

    def put_month(self, period: str, month: ResourceMonth) -> None:
        """Store a month's figures; a month holding nothing is removed."""
        if month.is_empty():
            self._staging.delete(ResourceKind.MONTH, period)
        else:
            self._staging.put(ResourceKind.MONTH, period, month)

    def months(self) -> dict[str, ResourceMonth]:
        """Return every month's figures, in month order."""
        return {item: cast(ResourceMonth, m) for item, m in self._staging.scan(ResourceKind.MONTH)}

    def changes(self) -> tuple[Change, ...]:
        """Return every change staged by the batch."""
        return self._staging.changes()
