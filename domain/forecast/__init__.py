"""Forecasting rules: actuals to forecast and resource to cost, as pure functions (no Kafka, no clock).

API. A subject's state is keyed items (`domain.state`): one per time entry and per assignment (their latest
revision), running figures per month, and one small aggregate (`PROJECT_AGGREGATE`, `RESOURCE_AGGREGATE`);
`PROJECT_KINDS` / `RESOURCE_KINDS` give the model of every kind. One batch of one subject is:

    view = ProjectForecastView(project_id, reader)      # or ResourcePlanView(resource_id, reader)
    for record in batch: project.apply(view, record, ctx)   # resource.apply for a resource
    settled = project.settle(view, ctx, as_of=..., cause=last_envelope, causes=event_ids)
    write(view.changes()); emit(settled.deltas, settled.exceptions)

- `domain.forecast.project`: `apply` takes contract versions, time entries, assignments (repartitioned by
  project) and milestone events; `settle` with no event applied reforecasts (time passed, new rates).
  `roll(view, ctx, now)` moves a quiet project's clock to a new month (for a periodic tick).
  Views: `project_forecast(reader, project_id, as_of, ctx)` (values now), `project_emitted(reader,
  project_id)` (last emitted), `current_figures(reader, project_id)` (the progress figures of
  domain.figures last reported: what /projects/{id} shows).
- `domain.forecast.resource`: `apply` takes assignments and time entries; view `resource_forecast(reader,
  resource_id, ctx)`; helper `utilization(hours, gross_capacity)`.
- `domain.forecast.legacy`: the previous one-value-per-subject states and their split into items.
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
  (included) to month end; later months, plan. as_of is never earlier than the latest event time seen
  (a late or re-driven older event does not turn months back into plan). Revenue: time and materials =
  hours x bill rate; fixed fee = cost-to-cost (recognized = value x actual cost / EAC, the rest spread over
  planned months in proportion to planned cost); milestone = accepted milestones in their acceptance month,
  the others in their planned month (or the current month once late). Recognized revenue, backlog, ETC,
  EAC and percent complete follow domain.figures (one definition each) and are reported under as_of's
  month.
- Intercompany: a resource employed by another legal entity is charged at cost x (1 + markup), markup per
  (seller, buyer) pair, default 10 %; the seller's own cost and its sale are reported as
  "entity_cost.<entity>.<currency>" and "intercompany_sale.<entity>.<currency>".
- FX: a month's amounts convert at the latest explicit rate effective on its first day. Without one the
  amount stays unconverted, the month's cost (and what depends on it) is withheld, and one FX_RATE_MISSING
  "exc:FX_RATE_MISSING:<project>:<from>:<to>:<YYYY-MM>" is raised, then RESOLVED once a rate converts it.
- Rounding, half to even: money and hours to 2 decimals, utilization to a percent with 4 decimals.
- Deltas: emitted when |current - previous| >= threshold (default 0.01; a new key moves from zero); the state
  keeps the last emitted value, so repeated input emits nothing and small moves add up.
- Batches: values are settled once per batch, as of its last event: at most one delta per key, carrying the
  net change since the last emitted value; an issue opened and gone within a batch is never raised. A batch
  of stale or repeated events only emits nothing, as each of them alone would.
"""

from domain.forecast.calendar import CapacityCalendar, assigned_hours
from domain.forecast.config import ForecastContext, FxRate, FxRates, IntercompanyPolicy, Markup
from domain.forecast.memory import MemoryProjectForecast, MemoryResourcePlan
from domain.forecast.project import current_figures, project_emitted, project_forecast
from domain.forecast.project_view import ProjectForecastView
from domain.forecast.resource import resource_emitted, resource_forecast
from domain.forecast.resource_view import ResourcePlanView
from domain.forecast.state import PROJECT_AGGREGATE, PROJECT_KINDS, RESOURCE_AGGREGATE, RESOURCE_KINDS
from domain.forecast.utilization import utilization
from domain.forecast.values import ForecastValue, Settled, diff, snapshot

__all__ = [
    "PROJECT_AGGREGATE",
    "PROJECT_KINDS",
    "RESOURCE_AGGREGATE",
    "RESOURCE_KINDS",
    "CapacityCalendar",
    "ForecastContext",
    "ForecastValue",
    "FxRate",
    "FxRates",
    "IntercompanyPolicy",
    "Markup",
    "MemoryProjectForecast",
    "MemoryResourcePlan",
    "ProjectForecastView",
    "ResourcePlanView",
    "Settled",
    "assigned_hours",
    "current_figures",
    "diff",
    "project_emitted",
    "project_forecast",
    "resource_emitted",
    "resource_forecast",
    "snapshot",
    "utilization",
]
