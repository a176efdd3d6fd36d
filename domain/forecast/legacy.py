"""The one-value-per-subject forecast state of the previous version, and its split into keyed items.

`LegacyProjectForecast` and `LegacyResourcePlan` parse what the previous worker stored (the JSON of its
`ProjectForecastState` and `ResourcePlan`). A split keeps the facts, the last emitted values and the open
issues, so the first settle after it emits nothing the old state had already emitted. Derived figures are
not carried over: they are marked as never counted, and the first batch counts them under its own context.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Mapping
from decimal import Decimal

from domain.exceptions import Issue
from domain.forecast.actuals import terms_digest
from domain.forecast.calendar import period_of
from domain.forecast.project_view import ProjectForecastView
from domain.forecast.resource_view import ResourcePlanView
from domain.forecast.state import (
    ActualTime,
    ContractTerms,
    Ignored,
    MilestoneProgress,
    Reported,
    ResourceMonth,
    State,
)
from domain.forecast.sums import Sums
from domain.forecast.values import ForecastValue
from domain.records.common import NonEmpty
from domain.records.psa import ResourceAssignment
from domain.state import EMPTY, Change


class LegacyResourcePlan(State):
    """One resource's plan and actuals, as the previous version stored them."""

    resource_id: NonEmpty
    region: str | None = None
    assignments: Mapping[str, ResourceAssignment] = {}
    actuals: Mapping[str, ActualTime] = {}
    conflicts: Mapping[str, Issue] = {}
    emitted: Mapping[str, ForecastValue] = {}
    ignored: Ignored = Ignored()


class LegacyProjectForecast(State):
    """One project's terms, actuals and plan, as the previous version stored them."""

    project_id: NonEmpty
    contract: ContractTerms | None = None
    assignments: Mapping[str, ResourceAssignment] = {}
    actuals: Mapping[str, ActualTime] = {}
    milestones: Mapping[str, MilestoneProgress] = {}
    fx_missing: Mapping[str, Issue] = {}
    emitted: Mapping[str, ForecastValue] = {}
    ignored: Ignored = Ignored()


def split_project(old: LegacyProjectForecast) -> tuple[Change, ...]:
    """Return the items of a project's previous state: same facts, emitted values and open issues."""
    view = ProjectForecastView(old.project_id, EMPTY)
    # The sums stay uncounted (priced ""): the first batch counts them with its terms and context.
    view.update(
        contract=old.contract,
        terms_digest=terms_digest(old.contract),
        milestones=dict(sorted(old.milestones.items())),
        ignored=old.ignored,
    )
    for assignment in old.assignments.values():
        view.put_assignment(assignment)
    for entry_id, actual in old.actuals.items():
        view.put_actual(entry_id, actual)
    values: dict[str, dict[str, tuple[Decimal, str]]] = defaultdict(dict)
    for value in old.emitted.values():
        values[value.period][value.metric] = (value.value, value.unit)
    issues: dict[str, dict[str, Issue]] = defaultdict(dict)
    for key, issue in old.fx_missing.items():
        issues[issue.details["period"]][key] = issue
    for period in sorted(values.keys() | issues.keys()):
        mine = dict(sorted(issues[period].items()))
        view.put_reported(period, Reported(values=dict(sorted(values[period].items())), issues=mine))
    return view.changes()


def split_resource(old: LegacyResourcePlan) -> tuple[Change, ...]:
    """Return the items of a resource's previous plan: same facts, emitted values and open conflicts."""
    view = ResourcePlanView(old.resource_id, EMPTY)
    # Assigned hours depend on the calendar and are figured by the first batch (calendar ""), which also
    # settles every month once (settled ""), against the emitted values carried over.
    view.update(region=old.region, ignored=old.ignored)
    for assignment in old.assignments.values():
        view.put_assignment(assignment)
    months: dict[str, ResourceMonth] = defaultdict(ResourceMonth)
    sums = Sums()
    for entry_id, actual in old.actuals.items():
        view.put_actual(entry_id, actual)
        if actual.approved and actual.billable:
            period = period_of(actual.work_date)
            billable = sums.move(months[period].billable, actual.hours, 1)
            months[period] = months[period].model_copy(update={"billable": billable})
    emitted: dict[str, dict[str, Decimal]] = defaultdict(dict)
    for value in old.emitted.values():
        emitted[value.period][value.metric] = value.value
    for period, metrics in emitted.items():
        months[period] = months[period].model_copy(update={"emitted": dict(sorted(metrics.items()))})
    for issue in old.conflicts.values():
        period = issue.details["period"]
        months[period] = months[period].model_copy(update={"conflict": issue})
    for period in sorted(months):
        view.put_month(period, months[period])
    if not sums.exact:
        view.update(exact=False)
    return view.changes()
