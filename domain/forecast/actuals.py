"""A project's approved time per month (hours, T&M revenue, costs), kept by deltas from event to event.

Each approved entry adds its shares to its month's sums; a new revision takes the old shares back and adds
the new ones, an assignment change prices again the entries of its resource inside its spans. Sums priced
with other terms or configuration, or rounded on the way, are counted again from the entries (`ensure`).
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Mapping, Sequence
from decimal import Decimal

from domain.forecast.calendar import month_bounds, period_of, periods
from domain.forecast.config import ForecastContext
from domain.forecast.costing import Costs, actual_cost, bill_rate
from domain.forecast.project_view import ProjectForecastView
from domain.forecast.state import ActualTime, ContractTerms, MonthSums, Tally
from domain.forecast.sums import Sums, config_digest, digest
from domain.records.psa import ResourceAssignment

ZERO = Decimal(0)
HOURS, TM, PROJECT, INTERCOMPANY = "hours", "tm", "project", "intercompany"
ENTITY_COST, ENTITY_SALE, UNCONVERTED = "entity_cost", "entity_sale", "unconverted"
SCALARS = (HOURS, TM, PROJECT, INTERCOMPANY)
KEYED = (ENTITY_COST, ENTITY_SALE, UNCONVERTED)
# One approved entry's share: (sum, month, key within the sum or "", amount).
Share = tuple[str, str, str, Decimal]
# What the projection's actual months are: hours, T&M revenue and costs per month up to as_of's.
ActualPart = tuple[dict[str, Decimal], dict[str, Decimal], Costs]


def terms_digest(terms: ContractTerms | None) -> str:
    """Return a digest of what a contract's pricing of time reads: currency, entity, rate cards."""
    if terms is None:
        return ""
    priced = terms.model_dump_json(include={"currency", "legal_entity", "bill_rates", "cost_rates"})
    return digest(priced)


def pricing(view: ProjectForecastView, ctx: ForecastContext) -> str:
    """Return what the project's sums must be priced with under ctx."""
    return f"{view.aggregate.terms_digest}:{config_digest(ctx.fx)}{config_digest(ctx.intercompany)}"


def usable(view: ProjectForecastView, ctx: ForecastContext) -> bool:
    """Tell whether the kept sums stand for the entries under the current terms and ctx."""
    aggregate = view.aggregate
    return aggregate.exact and aggregate.priced == pricing(view, ctx)


def skip(view: ProjectForecastView) -> None:
    """Record that an event's shares were not moved: the sums must be counted again whatever the pricing.

    Else pricing changed and changed back within a batch would make sums missing that event usable again.
    """
    if view.aggregate.priced:
        view.update(priced="")


def ensure(view: ProjectForecastView, ctx: ForecastContext) -> None:
    """Count the sums afresh from every entry unless the kept ones are usable.

    Reads every entry: only after a change of pricing (contract or ctx) or a rounded running sum.
    """
    if not usable(view, ctx):
        recount(view, ctx)


def recount(view: ProjectForecastView, ctx: ForecastContext) -> None:
    """Count every month's sums afresh from the entries, priced with the terms and ctx."""
    for period in view.months():
        view.put_month(period, MonthSums())
    staffing: dict[str, list[ResourceAssignment]] = defaultdict(list)
    for assignment in view.assignments():
        staffing[assignment.resource_id].append(assignment)
    terms = view.aggregate.contract
    added = [
        s for _, actual in view.actuals() for s in shares(actual, terms, staffing[actual.resource_id], ctx)
    ]
    exact = _moved(view, [], added)
    view.update(priced=pricing(view, ctx), exact=exact)


def priced(view: ProjectForecastView, actual: ActualTime, ctx: ForecastContext) -> list[Share]:
    """Return an entry's shares under the project's terms and its resource's assignments."""
    terms = view.aggregate.contract
    if not actual.approved or terms is None:
        return shares(actual, terms, (), ctx)
    return shares(actual, terms, view.staffing(actual.resource_id), ctx)


def move(view: ProjectForecastView, taken: list[Share], added: list[Share]) -> None:
    """Take shares back from the month sums and add others; a rounded sum marks them to count again."""
    if not _moved(view, taken, added):
        view.update(exact=False)


def reprice(
    view: ProjectForecastView, kept: ResourceAssignment | None, new: ResourceAssignment, ctx: ForecastContext
) -> None:
    """Price again the approved entries of the resource(s) inside the old and new spans of an assignment.

    Reads the assignment's resources' staffing and their entries in the months the spans cover only.
    """
    terms = view.aggregate.contract
    if terms is None:
        return  # without terms an entry's shares are its hours: no assignment prices them
    changed = [new] if kept is None else [kept, new]
    before = {a.resource_id: view.staffing(a.resource_id) for a in changed}
    after = {
        resource: [a for a in staffing if a.assignment_id != new.assignment_id]
        + ([new] if new.resource_id == resource else [])
        for resource, staffing in before.items()
    }
    seen: set[str] = set()
    taken: list[Share] = []
    added: list[Share] = []
    for span in changed:
        for period in periods(period_of(span.start_date), period_of(span.end_date)):
            for entry_id, actual in view.worked(span.resource_id, period):
                if entry_id in seen or not span.start_date <= actual.work_date <= span.end_date:
                    continue
                seen.add(entry_id)
                taken += shares(actual, terms, before[span.resource_id], ctx)
                added += shares(actual, terms, after[span.resource_id], ctx)
    move(view, taken, added)


def shares(
    actual: ActualTime,
    terms: ContractTerms | None,
    staffing: Iterable[ResourceAssignment],
    ctx: ForecastContext,
) -> list[Share]:
    """Return what one entry adds to its month, computed as `Costs.add` computes a cost line."""
    if not actual.approved:
        return []
    period = period_of(actual.work_date)
    out: list[Share] = [(HOURS, period, "", actual.hours)]
    if terms is None:
        return out
    rate = bill_rate(terms, actual.resource_id, actual.role, actual.work_date) if actual.billable else None
    out.append((TM, period, "", actual.hours * (rate or ZERO)))
    line = actual_cost(terms, staffing, actual)
    if line is None:
        return out
    amount = line.amount
    intercompany = line.entity != terms.legal_entity
    if intercompany:
        key = f"{line.currency}/{line.entity}"
        out.append((ENTITY_COST, line.period, key, amount))
        amount *= 1 + ctx.intercompany.markup(line.entity, terms.legal_entity)
        out.append((ENTITY_SALE, line.period, key, amount))
    fx = ctx.fx.rate(line.currency, terms.currency, month_bounds(line.period)[0])
    if fx is None:
        out.append((UNCONVERTED, line.period, line.currency, amount))
        return out
    out.append((PROJECT, line.period, "", amount * fx))
    if intercompany:
        out.append((INTERCOMPANY, line.period, "", amount * fx))
    return out


def _moved(view: ProjectForecastView, taken: Sequence[Share], added: Sequence[Share]) -> bool:
    """Apply shares to the month sums they fall in; return whether every sum stayed exact."""
    by_month: dict[str, list[tuple[Share, int]]] = defaultdict(list)
    for share_list, sign in ((taken, -1), (added, 1)):
        for share in share_list:
            by_month[share[1]].append((share, sign))
    sums = Sums()
    for period in sorted(by_month):
        month = view.month(period) or MonthSums()
        scalars: dict[str, Tally | None] = {name: getattr(month, name) for name in SCALARS}
        keyed: dict[str, dict[str, Tally]] = {name: dict(getattr(month, name)) for name in KEYED}
        for (name, _, key, amount), sign in by_month[period]:
            if name in scalars:
                scalars[name] = sums.move(scalars[name], amount, sign)
                continue
            tally = sums.move(keyed[name].get(key), amount, sign)
            if tally is None:
                keyed[name].pop(key, None)
            else:
                keyed[name][key] = tally
        sorted_keyed = {name: dict(sorted(values.items())) for name, values in keyed.items()}
        view.put_month(period, MonthSums.model_validate({**scalars, **sorted_keyed}))
    return sums.exact


def actual_part(months: Mapping[str, MonthSums], now: str) -> ActualPart:
    """Return the sums of the months up to `now`, in the shape the projection adds the plan to."""
    hours: dict[str, Decimal] = defaultdict(Decimal)
    tm: dict[str, Decimal] = defaultdict(Decimal)
    costs = Costs()
    for period in sorted(months):
        if period > now:
            break
        month = months[period]
        for target, tally in ((hours, month.hours), (tm, month.tm)):
            if tally is not None:
                target[period] = tally[1]
        for target, tally in ((costs.project, month.project), (costs.intercompany, month.intercompany)):
            if tally is not None:
                target[period] = tally[1]
        for key, (_, total) in month.entity_cost.items():
            currency, entity = key.split("/", 1)
            costs.entity_cost[(period, entity, currency)] = total
        for key, (_, total) in month.entity_sale.items():
            currency, entity = key.split("/", 1)
            costs.entity_sale[(period, entity, currency)] = total
        for currency, (_, total) in month.unconverted.items():
            costs.unconverted[(period, currency)] = total
    return hours, tm, costs
