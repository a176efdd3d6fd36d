"""One project's forecast items as a batch sees them: read through a reader, every change staged.

The indexes follow the items they index on every put, so a rule states what an entry or an assignment now
is and the lookups by resource stay right.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from typing import TypeVar, cast

from pydantic import BaseModel

from domain.exceptions import Issue
from domain.forecast.state import (
    ActualTime,
    Mark,
    MonthSums,
    ProjectAggregate,
    ProjectKind,
    Reported,
    merge,
    part,
)
from domain.forecast.values import ForecastValue
from domain.records.forecast import SubjectType
from domain.records.psa import ResourceAssignment
from domain.state import Change, Staging, StateReader

M = TypeVar("M", bound=BaseModel)


class ProjectForecastView:
    """Read and stage one project's forecast items for one batch; `changes()` is what it writes."""

    def __init__(self, project_id: str, reader: StateReader):
        self.project_id = project_id
        self._staging = Staging(reader)
        self._aggregate: ProjectAggregate | None = None
        self._applied = 0
        self._changed = False
        # Each resource's assignments, read once per batch: every entry of the resource is priced with them.
        self._staffing: dict[str, list[ResourceAssignment]] = {}

    def _get(self, kind: ProjectKind, item: str, model: type[M]) -> M | None:
        return cast(M | None, self._staging.get(kind, item))

    def _scan(self, kind: ProjectKind, model: type[M], prefix: str = "") -> Iterator[tuple[str, M]]:
        for item, value in self._staging.scan(kind, prefix):
            yield item, cast(M, value)

    # --- what the batch did ---------------------------------------------------------------------------

    @contextmanager
    def event(self) -> Iterator[None]:
        """Stage one event's changes all or none: a rule that fails leaves the view as it was."""
        batch, aggregate = self._staging, self._aggregate
        self._staging = Staging(batch)
        try:
            yield
        except BaseException:
            self._staging, self._aggregate = batch, aggregate
            self._staffing.clear()
            raise
        event, self._staging = self._staging, batch
        merge(event.changes(), batch)

    def note(self, *, changed: bool) -> None:
        """Record that an event was applied, and whether it changed anything settling reads."""
        self._applied += 1
        self._changed = self._changed or changed

    def unsettled(self) -> tuple[tuple[str, ...], bool]:
        """Return what settling must recompute: a project recomputes every month, so nothing to keep."""
        return (), False

    def resume(self, months: Iterable[str], everything: bool) -> None:
        """Take over what an earlier batch left unsettled (nothing: see `unsettled`)."""

    @property
    def unchanged(self) -> bool:
        """Tell whether events were applied and none changed anything (only stale or repeated ones)."""
        return self._applied > 0 and not self._changed

    # --- the aggregate --------------------------------------------------------------------------------

    @property
    def aggregate(self) -> ProjectAggregate:
        """Return the project's aggregate (a fresh one for a project never seen)."""
        if self._aggregate is None:
            found = self._get(ProjectKind.AGGREGATE, "", ProjectAggregate)
            self._aggregate = found if found is not None else ProjectAggregate(project_id=self.project_id)
        return self._aggregate

    def update(self, **changes: object) -> None:
        """Stage the aggregate with some fields changed."""
        self._aggregate = self.aggregate.model_copy(update=changes)
        self._staging.put(ProjectKind.AGGREGATE, "", self._aggregate)

    # --- time entries ---------------------------------------------------------------------------------

    def actual(self, entry_id: str) -> ActualTime | None:
        """Return the kept revision of a time entry."""
        return self._get(ProjectKind.ACTUAL, entry_id, ActualTime)

    def put_actual(self, entry_id: str, actual: ActualTime) -> None:
        """Store an entry's latest revision; the index of approved work follows."""
        kept = self.actual(entry_id)
        if kept is not None and kept.approved:
            self._staging.delete(ProjectKind.WORKED, _worked(kept, entry_id))
        if actual.approved:
            self._staging.put(ProjectKind.WORKED, _worked(actual, entry_id), Mark())
        self._staging.put(ProjectKind.ACTUAL, entry_id, actual)

    def actuals(self) -> Iterator[tuple[str, ActualTime]]:
        """Yield every kept entry revision by entry id (only read to count the sums afresh)."""
        return self._scan(ProjectKind.ACTUAL, ActualTime)

    def worked(self, resource_id: str, period: str) -> Iterator[tuple[str, ActualTime]]:
        """Yield a resource's approved entries worked in a month, by work date then entry id."""
        for item, _ in list(self._scan(ProjectKind.WORKED, Mark, f"{part(resource_id)}/{period}-")):
            entry_id = item.split("/", 2)[2]
            actual = self.actual(entry_id)
            if actual is not None:
                yield entry_id, actual

    # --- assignments ----------------------------------------------------------------------------------

    def assignment(self, assignment_id: str) -> ResourceAssignment | None:
        """Return the kept revision of an assignment."""
        return self._get(ProjectKind.ASSIGNMENT, assignment_id, ResourceAssignment)

    def put_assignment(self, assignment: ResourceAssignment) -> None:
        """Store an assignment's latest revision; the index by resource follows."""
        kept = self.assignment(assignment.assignment_id)
        if kept is not None and kept.resource_id != assignment.resource_id:
            self._staging.delete(ProjectKind.STAFFED, _staffed(kept))
            self._staffing.pop(kept.resource_id, None)
        self._staffing.pop(assignment.resource_id, None)
        self._staging.put(ProjectKind.STAFFED, _staffed(assignment), Mark())
        self._staging.put(ProjectKind.ASSIGNMENT, assignment.assignment_id, assignment)

    def assignments(self) -> list[ResourceAssignment]:
        """Return every kept assignment revision, cancelled ones included, by assignment id."""
        return [a for _, a in self._scan(ProjectKind.ASSIGNMENT, ResourceAssignment)]

    def staffing(self, resource_id: str) -> list[ResourceAssignment]:
        """Return a resource's kept assignment revisions on the project, cancelled ones included."""
        if resource_id not in self._staffing:
            found = []
            for item, _ in list(self._scan(ProjectKind.STAFFED, Mark, f"{part(resource_id)}/")):
                assignment = self.assignment(item.split("/", 1)[1])
                if assignment is not None:
                    found.append(assignment)
            self._staffing[resource_id] = found
        return list(self._staffing[resource_id])

    # --- months ---------------------------------------------------------------------------------------

    def month(self, period: str) -> MonthSums | None:
        """Return a month's sums."""
        return self._get(ProjectKind.MONTH, period, MonthSums)

    def put_month(self, period: str, sums: MonthSums) -> None:
        """Store a month's sums; a month nothing adds to is removed."""
        if sums.is_empty():
            self._staging.delete(ProjectKind.MONTH, period)
        else:
            self._staging.put(ProjectKind.MONTH, period, sums)

    def months(self) -> dict[str, MonthSums]:
        """Return every month's sums, in month order."""
        return dict(self._scan(ProjectKind.MONTH, MonthSums))

    def reports(self) -> dict[str, Reported]:
        """Return what was last reported for every month, in month order."""
        return dict(self._scan(ProjectKind.REPORTED, Reported))

    def put_reported(self, period: str, reported: Reported) -> None:
        """Store what was last reported for a month."""
        if reported.values or reported.issues:
            self._staging.put(ProjectKind.REPORTED, period, reported)
        else:
            self._staging.delete(ProjectKind.REPORTED, period)

    def emitted(self) -> dict[str, ForecastValue]:
        """Return the last emitted value of every key."""
        return emitted_values(self.project_id, self.reports())

    def changes(self) -> tuple[Change, ...]:
        """Return every change staged by the batch."""
        return self._staging.changes()


def emitted_values(project_id: str, reports: dict[str, Reported]) -> dict[str, ForecastValue]:
    """Return the last emitted values kept in a project's month reports, by key."""
    values: dict[str, ForecastValue] = {}
    for period, reported in reports.items():
        for metric, (value, unit) in reported.values.items():
            fv = ForecastValue(
                subject_type=SubjectType.PROJECT,
                subject_id=project_id,
                period=period,
                metric=metric,
                value=value,
                unit=unit,
            )
            values[fv.key] = fv
    return values


def open_issues(reports: dict[str, Reported]) -> dict[str, Issue]:
    """Return the open FX_RATE_MISSING issues kept in a project's month reports, by exception id."""
    return {key: issue for reported in reports.values() for key, issue in reported.issues.items()}


def _worked(actual: ActualTime, entry_id: str) -> str:
    return f"{part(actual.resource_id)}/{actual.work_date.isoformat()}/{entry_id}"


def _staffed(assignment: ResourceAssignment) -> str:
    return f"{part(assignment.resource_id)}/{assignment.assignment_id}"
