"""A project's monthly forecast in its currency: revenue by billing model, cost, hours, margin, backlog.

Closed months are actuals, the current month actuals plus the remaining plan, future months plan. Planned
hours are priced at the rates effective on their first day in the month; costs go through `costing`.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Mapping
from datetime import date, datetime
from decimal import Decimal
from typing import NamedTuple

from domain import figures
from domain.exceptions import Issue, exception_id
from domain.forecast.actuals import actual_part
from domain.forecast.calendar import assigned_hours, day_of, month_bounds, period_of, periods, to_cents
from domain.forecast.config import ForecastContext
from domain.forecast.costing import CostLine, Costs, bill_rate
from domain.forecast.project_view import ProjectForecastView
from domain.forecast.state import ContractTerms, MilestoneProgress
from domain.forecast.values import HOURS, PERCENT, ForecastValue, ForecastValues, key_of, zero_removed
from domain.records.forecast import SubjectType
from domain.records.ops import ExceptionReason
from domain.records.psa import AssignmentStatus, BillingModel, MilestoneStatus

REVENUE, COST, HOURS_METRIC, MARGIN = "revenue", "cost", "hours", "margin"
INTERCOMPANY_COST, ENTITY_COST, INTERCOMPANY_SALE = "intercompany_cost", "entity_cost", "intercompany_sale"
RECOGNIZED_REVENUE, BACKLOG, ETC_COST, EAC_COST = "recognized_revenue", "backlog", "etc_cost", "eac_cost"
PERCENT_COMPLETE = "percent_complete"
# The figures of domain.figures, reported under the as_of month only; a past month keeps its last value.
POINT_IN_TIME = frozenset({RECOGNIZED_REVENUE, BACKLOG, ETC_COST, EAC_COST, PERCENT_COMPLETE})
ZERO = Decimal(0)


class Projection(NamedTuple):
    """The values of a project, the keys withheld for want of an FX rate, and the FX issues found."""

    values: dict[str, ForecastValue]
    withheld: frozenset[str]
    issues: dict[str, Issue]


class _Revenue(NamedTuple):
    actual: Mapping[str, Decimal]
    plan: Mapping[str, Decimal]
    recognized: Decimal


def evaluate(
    view: ProjectForecastView, emitted: ForecastValues, as_of: datetime, ctx: ForecastContext
) -> Projection:
    """Return the project's forecast values, withheld keys and FX issues as of an instant.

    Reads the aggregate, the month sums (priced for ctx: see `actuals.ensure`) and the assignments; a value
    in `emitted` and no longer computed reads zero.
    """
    today = day_of(as_of)
    now = period_of(today)
    aggregate = view.aggregate
    terms = aggregate.contract
    hours, tm_actual, actual_costs = actual_part(view.months(), now)
    tm_plan: dict[str, Decimal] = defaultdict(Decimal)
    plan_costs = Costs()
    planned_any = False
    for a in view.assignments():
        if a.status == AssignmentStatus.CANCELLED:
            continue
        planned_any = True
        for period in periods(max(period_of(a.start_date), now), period_of(a.end_date)):
            # The current month's plan runs from as_of's date (included) to month end.
            start, last = max(month_bounds(period)[0], today, a.start_date), month_bounds(period)[1]
            planned = assigned_hours(a, ctx.calendar, start, last)
            if planned == 0:
                continue
            hours[period] += planned
            if terms is None:
                continue
            rate = bill_rate(terms, a.resource_id, a.role, start)
            tm_plan[period] += planned * (rate or ZERO)
            plan_costs.add(
                CostLine(period, planned * a.cost_rate, a.cost_currency, a.home_legal_entity), terms, ctx
            )

    out = _Out(view.project_id)
    for period in sorted(hours):
        out.put(period, HOURS_METRIC, to_cents(hours[period]), HOURS)
    if terms is None:
        return out.done(emitted)
    incomplete = actual_costs.incomplete() | plan_costs.incomplete()
    spend = _spend(terms, actual_costs, plan_costs, planned_any)
    revenue = _revenue(terms, aggregate.milestones, now, tm_actual, tm_plan, actual_costs, plan_costs, spend)
    money = terms.currency
    months = set(hours) | actual_costs.periods() | plan_costs.periods()
    if revenue is not None:
        months |= set(revenue.actual) | set(revenue.plan)
    for period in sorted(months):
        rev = (
            None
            if revenue is None
            else to_cents(revenue.actual.get(period, ZERO) + revenue.plan.get(period, ZERO))
        )
        cost = None
        if period not in incomplete:
            cost = to_cents(actual_costs.project.get(period, ZERO) + plan_costs.project.get(period, ZERO))
        out.put(period, REVENUE, rev, money)
        out.put(period, COST, cost, money)
        out.put(period, MARGIN, None if rev is None or cost is None else rev - cost, money)
        charged = actual_costs.intercompany.get(period, ZERO) + plan_costs.intercompany.get(period, ZERO)
        if charged or period in incomplete:
            out.put(period, INTERCOMPANY_COST, None if period in incomplete else to_cents(charged), money)
    for costs in (actual_costs, plan_costs):
        for (period, entity, currency), amount in costs.entity_cost.items():
            out.add(period, f"{ENTITY_COST}.{entity}.{currency}", amount, currency)
        for (period, entity, currency), amount in costs.entity_sale.items():
            out.add(period, f"{INTERCOMPANY_SALE}.{entity}.{currency}", amount, currency)
    out.put(now, RECOGNIZED_REVENUE, None if revenue is None else to_cents(revenue.recognized), money)
    out.put(
        now, BACKLOG, None if revenue is None else terms.contract_value - to_cents(revenue.recognized), money
    )
    spent, etc = (None, None) if spend is None else spend
    out.put(now, ETC_COST, None if etc is None else to_cents(etc), money)
    out.put(now, EAC_COST, None if spent is None or etc is None else to_cents(spent + etc), money)
    done = None if spent is None or etc is None else figures.percent_complete(spent, spent + etc)
    out.put(now, PERCENT_COMPLETE, done, PERCENT)
    unconverted: dict[tuple[str, str], Decimal] = defaultdict(Decimal)
    for costs in (actual_costs, plan_costs):
        for pair, amount in costs.unconverted.items():
            unconverted[pair] += amount
    for (period, currency), amount in sorted(unconverted.items()):
        out.missing_rate(period, currency, to_cents(amount), terms)
    return out.done(emitted)


def _spend(
    terms: ContractTerms, actual_costs: Costs, plan_costs: Costs, planned: bool
) -> tuple[Decimal, Decimal] | None:
    """Return (actual cost, ETC) by domain.figures; None when a cost is unknown for want of an FX rate."""
    if actual_costs.incomplete() or (planned and plan_costs.incomplete()):
        return None
    spent = sum(actual_costs.project.values(), ZERO)
    remaining = sum(plan_costs.project.values(), ZERO) if planned else None
    return spent, figures.etc_cost(remaining, terms.budget_cost, spent)


def _revenue(
    terms: ContractTerms,
    milestones: Mapping[str, MilestoneProgress],
    now: str,
    tm_actual: Mapping[str, Decimal],
    tm_plan: Mapping[str, Decimal],
    actual_costs: Costs,
    plan_costs: Costs,
    spend: tuple[Decimal, Decimal] | None,
) -> _Revenue | None:
    """Return revenue per month by billing model; None when it depends on a cost that is unknown.

    What is earned to date follows domain.figures; the monthly figures spread it (and the rest) over months.
    """
    if terms.billing_model == BillingModel.TIME_AND_MATERIALS:
        delivered = sum(tm_actual.values(), ZERO)
        earned = figures.earned_revenue(
            terms.billing_model, terms.contract_value, ZERO, ZERO, delivered, ZERO, terms.not_to_exceed
        )
        return _Revenue(tm_actual, tm_plan, earned)
    if terms.billing_model == BillingModel.MILESTONE:
        actual: dict[str, Decimal] = defaultdict(Decimal)
        plan: dict[str, Decimal] = defaultdict(Decimal)
        for milestone in terms.milestones:
            progress = milestones.get(milestone.milestone_id)
            if progress is not None and progress.status == MilestoneStatus.ACCEPTED:
                actual[progress.period] += milestone.amount
            else:
                # A milestone not accepted by its planned month slips into the current month.
                plan[max(period_of(milestone.planned_date), now)] += milestone.amount
        return _Revenue(actual, plan, sum(actual.values(), ZERO))
    if terms.billing_model != BillingModel.FIXED_FEE:
        return _Revenue({}, {}, ZERO)
    if spend is None or plan_costs.incomplete():
        return None
    # Cost-to-cost: recognized = value x actual cost / EAC; the rest follows planned cost month by month.
    spent, etc = spend
    recognized = figures.earned_revenue(
        terms.billing_model, terms.contract_value, spent, spent + etc, ZERO, ZERO
    )
    return _Revenue(
        allocate(recognized, actual_costs.project),
        allocate(terms.contract_value - recognized, plan_costs.project),
        recognized,
    )


def allocate(total: Decimal, weights: Mapping[str, Decimal]) -> dict[str, Decimal]:
    """Split `total` in proportion to weights, in key order, so the parts (in cents) add up to it exactly."""
    whole = sum(weights.values(), ZERO)
    if whole == 0:
        return {}
    parts: dict[str, Decimal] = {}
    running, given = ZERO, ZERO
    for key in sorted(weights):
        running += weights[key]
        # Rounding the running total, not each part, keeps the sum exact.
        upto = to_cents(total * running / whole)
        parts[key] = upto - given
        given = upto
    return parts


class _Out:
    """Collects a project's values, withheld keys and FX issues."""

    def __init__(self, project_id: str) -> None:
        self.project_id = project_id
        self.values: dict[str, ForecastValue] = {}
        self.withheld: set[str] = set()
        self.issues: dict[str, Issue] = {}
        self._sums: dict[tuple[str, str, str], Decimal] = defaultdict(Decimal)

    def put(self, period: str, metric: str, value: Decimal | None, unit: str) -> None:
        """Record a value, or that it is withheld when None."""
        key = key_of(SubjectType.PROJECT, self.project_id, period, metric)
        if value is None:
            self.withheld.add(key)
            return
        self.values[key] = ForecastValue(
            subject_type=SubjectType.PROJECT,
            subject_id=self.project_id,
            period=period,
            metric=metric,
            value=value,
            unit=unit,
        )

    def add(self, period: str, metric: str, amount: Decimal, unit: str) -> None:
        """Add an exact amount to a value, rounded to cents."""
        self._sums[(period, metric, unit)] += amount
        self.put(period, metric, to_cents(self._sums[(period, metric, unit)]), unit)

    def missing_rate(self, period: str, currency: str, amount: Decimal, terms: ContractTerms) -> None:
        """Record an FX_RATE_MISSING issue for one month and currency pair, adding up its amounts."""
        exc_id = exception_id(
            ExceptionReason.FX_RATE_MISSING, self.project_id, currency, terms.currency, period
        )
        on: date = month_bounds(period)[0]
        self.issues[exc_id] = Issue(
            exception_id=exc_id,
            reason=ExceptionReason.FX_RATE_MISSING,
            message=f"no {currency}->{terms.currency} rate on {on}: {amount} {currency} left unconverted",
            project_id=self.project_id,
            amount=amount,
            currency=currency,
            details={
                "period": period,
                "from_currency": currency,
                "to_currency": terms.currency,
                "on": str(on),
            },
        )

    def done(self, emitted: ForecastValues) -> Projection:
        """Return the projection; a value reported before and no longer computed reads zero."""
        withheld = frozenset(self.withheld)
        values = zero_removed(self.values, emitted, withheld, POINT_IN_TIME)
        return Projection(values, withheld, self.issues)
