"""A project's approved time per month (hours, T&M revenue, costs), kept by deltas from event to event."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Mapping
from decimal import Decimal
from typing import NamedTuple, cast

from domain.forecast.calendar import month_bounds, period_of
from domain.forecast.config import ForecastContext, FxRates, IntercompanyPolicy
from domain.forecast.costing import Costs, EntityKey, actual_cost, bill_rate
from domain.forecast.memo import Memo, Sums
from domain.forecast.state import ActualTime, ContractTerms, ProjectForecastState
from domain.records.psa import ResourceAssignment

ZERO = Decimal(0)
HOURS, TM = "hours", "tm"
PROJECT, INTERCOMPANY, ENTITY_COST, ENTITY_SALE, UNCONVERTED = (
    "project",
    "intercompany",
    "entity_cost",
    "entity_sale",
    "unconverted",
)
BUCKETS = (HOURS, TM, PROJECT, INTERCOMPANY, ENTITY_COST, ENTITY_SALE, UNCONVERTED)
# A month, or a tuple whose first part is the month.
Key = str | tuple[str, ...]
# One approved entry's share: (bucket, key, amount).
Share = tuple[str, Key, Decimal]
# Per key: how many entries add to it (a key with none is gone, as if never added) and their sum.
Bucket = Mapping[Key, tuple[int, Decimal]]
# What the projection's loop over actuals returns: hours, T&M revenue and costs per month up to as_of's.
ActualPart = tuple[dict[str, Decimal], dict[str, Decimal], Costs]


class ActualMonths(NamedTuple):
    """The per-month sums of a project's approved time, and what they were priced with."""

    terms: ContractTerms | None
    fx: FxRates
    intercompany: IntercompanyPolicy
    buckets: Mapping[str, Bucket]
    # False once a running sum was rounded: it may then differ from the rules' own sum, so it is not used.
    exact: bool

    def until(self, now: str) -> ActualPart | None:
        """Return the sums of the months up to `now`, or None when they cannot stand for the rules' loop."""
        if not self.exact:
            return None
        part = {name: _upto(self.buckets[name], now) for name in BUCKETS}
        # The projection adds the months up in the order its loop met them; the same total in another order
        # is the same value only while no sum is rounded (non-negative terms: none is, if this one is not).
        sums = Sums()
        for name in (TM, PROJECT):
            total = ZERO
            for amount in part[name].values():
                total = sums.add(total, amount)
        if not sums.exact:
            return None
        costs = Costs(
            project=defaultdict(Decimal, cast(dict[str, Decimal], part[PROJECT])),
            intercompany=defaultdict(Decimal, cast(dict[str, Decimal], part[INTERCOMPANY])),
            entity_cost=defaultdict(Decimal, cast(dict[EntityKey, Decimal], part[ENTITY_COST])),
            entity_sale=defaultdict(Decimal, cast(dict[EntityKey, Decimal], part[ENTITY_SALE])),
            unconverted=defaultdict(Decimal, cast(dict[tuple[str, str], Decimal], part[UNCONVERTED])),
        )
        hours = defaultdict(Decimal, cast(dict[str, Decimal], part[HOURS]))
        return hours, defaultdict(Decimal, cast(dict[str, Decimal], part[TM])), costs


_MEMO: Memo[ProjectForecastState, ActualMonths] = Memo()


def months_of(state: ProjectForecastState, ctx: ForecastContext) -> ActualMonths:
    """Return the state's per-month sums priced with its terms and ctx: kept ones, else counted afresh."""
    kept = _MEMO.get(state)
    if kept is not None and _same_pricing(kept, state.contract, ctx):
        return kept
    return _counted(state.actuals.values(), state.contract, state.assignments, ctx)


def has_kept_sums(state: ProjectForecastState) -> bool:
    """Tell whether sums are kept beside this very state object (a state read back from JSON has none)."""
    return _MEMO.get(state) is not None


def keep(state: ProjectForecastState, months: ActualMonths) -> None:
    """Remember the sums of a state, for the event that follows it."""
    _MEMO.put(state, months)


def keep_same(state: ProjectForecastState, updated: ProjectForecastState) -> None:
    """Let a state that differs only in counters share the sums kept for `state`."""
    kept = _MEMO.get(state)
    if kept is not None:
        _MEMO.put(updated, kept)


def for_terms(months: ActualMonths, state: ProjectForecastState, ctx: ForecastContext) -> ActualMonths:
    """Return the sums for a state whose terms changed: the same ones if its rates and currencies did not."""
    if _same_pricing(months, state.contract, ctx):
        return months._replace(terms=state.contract)
    return _counted(state.actuals.values(), state.contract, state.assignments, ctx)


def with_time(
    months: ActualMonths,
    state: ProjectForecastState,
    kept: ActualTime | None,
    actual: ActualTime,
    ctx: ForecastContext,
) -> ActualMonths:
    """Return the sums once an entry's kept revision is replaced by `actual`."""
    before = [] if kept is None else _shares(kept, state.contract, state.assignments, ctx)
    return _moved(months, before, _shares(actual, state.contract, state.assignments, ctx))


def with_assignment(
    months: ActualMonths,
    before: ProjectForecastState,
    after: ProjectForecastState,
    changed: Iterable[ResourceAssignment],
    ctx: ForecastContext,
) -> ActualMonths:
    """Return the sums once assignments change: only the days they cover (old and new) are priced again."""
    spans = [(a.resource_id, a.start_date, a.end_date) for a in changed]
    old: list[Share] = []
    new: list[Share] = []
    for actual in before.actuals.values():
        if actual.approved and any(
            r == actual.resource_id and start <= actual.work_date <= end for r, start, end in spans
        ):
            old += _shares(actual, before.contract, before.assignments, ctx)
            new += _shares(actual, after.contract, after.assignments, ctx)
    return _moved(months, old, new)


def _same_pricing(months: ActualMonths, terms: ContractTerms | None, ctx: ForecastContext) -> bool:
    """Tell whether sums priced for `months` hold for these terms and ctx (all they read of them)."""
    if (months.terms is None) != (terms is None):
        return False
    if months.terms is not None and terms is not None and months.terms is not terms:
        priced = ("currency", "legal_entity", "bill_rates", "cost_rates")
        if any(getattr(months.terms, f) != getattr(terms, f) for f in priced):
            return False
    return (months.fx is ctx.fx or months.fx == ctx.fx) and (
        months.intercompany is ctx.intercompany or months.intercompany == ctx.intercompany
    )


def _counted(
    actuals: Iterable[ActualTime],
    terms: ContractTerms | None,
    assignments: Mapping[str, ResourceAssignment],
    ctx: ForecastContext,
) -> ActualMonths:
    """Return the sums counted from every actual."""
    empty = ActualMonths(terms, ctx.fx, ctx.intercompany, {name: {} for name in BUCKETS}, True)
    shares = [s for actual in actuals for s in _shares(actual, terms, assignments, ctx)]
    return _moved(empty, [], shares)


def _moved(months: ActualMonths, taken: list[Share], added: list[Share]) -> ActualMonths:
    """Return the sums with the `taken` shares taken back and the `added` ones added."""
    sums = Sums()
    # Copied on write: the previous state's sums stay as they were.
    copied: dict[str, dict[Key, tuple[int, Decimal]]] = {}
    for shares, sign in ((taken, -1), (added, 1)):
        for name, key, amount in shares:
            bucket = copied.get(name)
            if bucket is None:
                bucket = copied[name] = dict(months.buckets[name])
            n, total = bucket.get(key, (0, ZERO))
            n, total = n + sign, sums.add(total, amount) if sign > 0 else sums.sub(total, amount)
            if n:
                bucket[key] = (n, total)
            else:
                del bucket[key]
    return months._replace(buckets={**months.buckets, **copied}, exact=months.exact and sums.exact)


def _shares(
    actual: ActualTime,
    terms: ContractTerms | None,
    assignments: Mapping[str, ResourceAssignment],
    ctx: ForecastContext,
) -> list[Share]:
    """Return what one entry adds to its month, computed exactly as the projection's loop computes it."""
    if not actual.approved:
        return []
    period = period_of(actual.work_date)
    shares: list[Share] = [(HOURS, period, actual.hours)]
    if terms is None:
        return shares
    rate = bill_rate(terms, actual.resource_id, actual.role, actual.work_date) if actual.billable else None
    shares.append((TM, period, actual.hours * (rate or ZERO)))
    line = actual_cost(terms, assignments, actual)
    if line is None:
        return shares
    # As Costs.add: the seller's cost and sale, then the (marked up) amount converted, or left unconverted.
    amount = line.amount
    intercompany = line.entity != terms.legal_entity
    if intercompany:
        key = (line.period, line.entity, line.currency)
        shares.append((ENTITY_COST, key, amount))
        amount *= 1 + ctx.intercompany.markup(line.entity, terms.legal_entity)
        shares.append((ENTITY_SALE, key, amount))
    fx = ctx.fx.rate(line.currency, terms.currency, month_bounds(line.period)[0])
    if fx is None:
        shares.append((UNCONVERTED, (line.period, line.currency), amount))
        return shares
    shares.append((PROJECT, line.period, amount * fx))
    if intercompany:
        shares.append((INTERCOMPANY, line.period, amount * fx))
    return shares


def _upto(bucket: Bucket, now: str) -> dict[Key, Decimal]:
    """Return a bucket's sums of the months up to `now`."""
    return {key: total for key, (_, total) in bucket.items() if _period(key) <= now}


def _period(key: Key) -> str:
    """Return the month of a bucket key: the key itself, or its first part."""
    return key if isinstance(key, str) else key[0]
