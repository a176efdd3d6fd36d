"""Forecasting rules: actuals to forecast and resource to cost, as pure functions (no Kafka, no clock).

API. Every rule is `(state, event, ctx, *, as_of) -> Step(state, deltas, exceptions)`:

- `domain.forecast.resource`, state `ResourcePlan` keyed by resource: `on_assignment`, `on_actual_time`;
  view `resource_forecast(plan, ctx)`; helper `utilization(hours, gross_capacity)`.
- `domain.forecast.project`, state `ProjectForecastState` keyed by project: `on_contract`, `on_time_actual`,
  `on_assignment` (repartitioned by project), `on_milestone`, and `reforecast` when only time passed;
  view `project_forecast(state, as_of, ctx)`.
- configuration `ForecastContext`: `CapacityCalendar`, `FxRates`, `IntercompanyPolicy`, the delta threshold.
- values: `diff(previous, current, threshold, as_of, causes)` and `snapshot(values)`, whose keys
  "subject_type:subject_id:period:metric" are those of the compacted topic forecast.snapshots.

Conventions.

- Gross capacity of a resource-month = working days (Mon-Fri minus the region's holidays) x standard hours per
  day of the region (`CapacityCalendar`, default 8). The region is that of the latest live assignment.
- Assigned hours in a month = hours_per_week / 5 x working days of the assignment inside the month, counted in
  the assignment's region. Planned utilization = assigned / gross capacity; actual utilization = approved
  billable hours / gross capacity. A month planned over its gross capacity is one CAPACITY_CONFLICT, id
  "exc:CAPACITY_CONFLICT:<resource>:<YYYY-MM>", raised once and RESOLVED under the same id when it ends.
- Project months: before as_of's month, actuals; as_of's month, actuals plus the plan from as_of's UTC date
  (included) to month end; later months, plan. Revenue: time and materials = hours x bill rate; fixed fee =
  cost-to-cost (recognized = value x actual cost / EAC, the rest spread over planned months in proportion to
  planned cost); milestone = accepted milestones in their acceptance month, the others in their planned month
  (or the current month once late). Backlog = contract value - recognized revenue; ETC = planned remaining
  cost; EAC = actual cost + ETC (reported under as_of's month).
- Intercompany: a resource employed by another legal entity is charged at cost x (1 + markup), markup per
  (seller, buyer) pair, default 10 %; the seller's own cost and its sale are reported as
  "entity_cost.<entity>.<currency>" and "intercompany_sale.<entity>.<currency>".
- FX: a month's amounts convert at the latest explicit rate effective on its first day. Without one the
  amount stays unconverted, the month's cost (and what depends on it) is withheld, and one FX_RATE_MISSING
  "exc:FX_RATE_MISSING:<project>:<from>:<to>:<YYYY-MM>" is raised, then RESOLVED once a rate converts it.
- Rounding, half to even: money and hours to 2 decimals, utilization to a percent with 4 decimals.
- Deltas: emitted when |current - previous| >= threshold (default 0.01; a new key moves from zero); the state
  keeps the last emitted value, so repeated input emits nothing and small moves add up.
"""

from domain.forecast.calendar import CapacityCalendar, assigned_hours
from domain.forecast.config import ForecastContext, FxRate, FxRates, IntercompanyPolicy, Markup
from domain.forecast.projection import project_forecast
from domain.forecast.resource import resource_forecast, utilization
from domain.forecast.state import ProjectForecastState, ResourcePlan, Step
from domain.forecast.values import ForecastValue, diff, snapshot

__all__ = [
    "CapacityCalendar",
    "ForecastContext",
    "ForecastValue",
    "FxRate",
    "FxRates",
    "IntercompanyPolicy",
    "Markup",
    "ProjectForecastState",
    "ResourcePlan",
    "Step",
    "assigned_hours",
    "diff",
    "project_forecast",
    "resource_forecast",
    "snapshot",
    "utilization",
]
