"""Bounded state: no item grows with a subject's history, an event reads the few items it concerns."""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterator
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from functools import cache

from pydantic import BaseModel

from domain.forecast import (
    ForecastContext,
    FxRate,
    FxRates,
    MemoryProjectForecast,
    MemoryResourcePlan,
    ProjectForecastView,
    ResourcePlanView,
)
from domain.forecast import project as project_rules
from domain.forecast import resource as resource_rules
from domain.records.psa import TimeEntry
from domain.state import StateReader
from tests.support.factories import contract, resource_assignment, time_entry
from tests.unit.domain.forecast.steps import ProjectEvent, feed_resource, project_batch

START, END = date(2026, 1, 1), date(2028, 12, 31)
CTX = ForecastContext(
    fx=FxRates(
        rates=tuple(
            FxRate(from_currency=c, to_currency="USD", rate=Decimal(r), effective_from=START)
            for c, r in (("GBP", "1.25"), ("EUR", "1.0837"))
        )
    )
)
LIMIT = 64 * 1024


class Reads:
    """A reader that counts the items it is asked for, by kind."""

    def __init__(self, reader: StateReader):
        self.reader = reader
        self.read: Counter[str] = Counter()

    def get(self, kind: str, item: str) -> BaseModel | None:
        """Return the item, counting the read."""
        self.read[kind] += 1
        return self.reader.get(kind, item)

    def scan(self, kind: str, prefix: str = "") -> Iterator[tuple[str, BaseModel]]:
        """Yield the items, counting each."""
        for found in self.reader.scan(kind, prefix):
            self.read[kind] += 1
            yield found


def staffing() -> list[ProjectEvent]:
    """Return a 3-year project staffed by four resources of three entities, and its contract."""
    span = {"start_date": START, "end_date": END, "hours_per_week": Decimal("8")}
    return [
        contract(),
        resource_assignment("R-ANA", assignment_id="A-ANA", **span),
        resource_assignment("R-BOB", assignment_id="A-BOB", **span),
        resource_assignment(
            "R-UK", assignment_id="A-UK", home_legal_entity="LE-UK", cost_currency="GBP", region="UK", **span
        ),
        resource_assignment(
            "R-DE", assignment_id="A-DE", home_legal_entity="LE-DE", cost_currency="EUR", region="DE", **span
        ),
    ]


def worked(until: date) -> Iterator[list[ProjectEvent]]:
    """Yield one batch a month of every resource's daily time, from the project's start to `until`."""
    day, batch = START, []
    while day < until:
        if day.weekday() < 5:
            for resource in ("R-ANA", "R-BOB", "R-UK", "R-DE"):
                entry = f"TE-{resource}-{day.isoformat()}"
                batch.append(time_entry(entry_id=entry, resource_id=resource, work_date=day))
        day += timedelta(days=1)
        if day.day == 1 and batch:
            yield batch
            batch = []
    if batch:
        yield batch


@cache
def project_until(until: date) -> MemoryProjectForecast:
    """Return the project with its time worked up to `until`, settled monthly as of each batch's last day.

    Shared by the tests, which only read it: a batch works on a copy, a view only stages.
    """
    state = project_batch(
        MemoryProjectForecast("P-1"), staffing(), CTX, datetime(2026, 1, 1, tzinfo=UTC)
    ).state
    for batch in worked(until):
        last = batch[-1]
        assert isinstance(last, TimeEntry)
        as_of = datetime.combine(last.work_date, datetime.min.time(), UTC)
        state = project_batch(state, batch, CTX, as_of).state
    return state


def largest(state: MemoryProjectForecast | MemoryResourcePlan) -> dict[str, int]:
    """Return the size in bytes of the largest stored JSON value of each kind."""
    sizes: dict[str, int] = {}
    for (kind, _), value in state.state.items.items():
        sizes[kind] = max(sizes.get(kind, 0), len(value.model_dump_json()))
    return sizes


def test_no_stored_item_grows_with_the_number_of_time_entries() -> None:
    year, three_years = project_until(date(2027, 1, 1)), project_until(END)
    assert len(three_years.actuals) > 3 * len(year.actuals) - 10 > 2000
    small, large = largest(year), largest(three_years)
    assert small.keys() == large.keys()
    for kind, size in large.items():
        # A month's sums and reports hold the same keys in any year; only their counts and totals lengthen.
        assert size <= small[kind] + 16, kind
        assert size < LIMIT, kind
    assert large["forecast"] == small["forecast"]
    assert max(large.values()) < 4 * 1024


def test_applying_a_time_entry_reads_and_writes_the_same_few_items_however_long_the_history() -> None:
    counts = []
    for history in (project_until(date(2026, 2, 1)), project_until(END)):
        reads = Reads(history)
        view = ProjectForecastView("P-1", reads)
        project_rules.apply(view, time_entry(entry_id="TE-NEW", work_date=date(2026, 1, 7)), CTX)
        counts.append((reads.read, len(view.changes())))
    assert counts[0] == counts[1]
    read, written = counts[1]
    assert sum(read.values()) <= 8 and written <= 4


def test_settling_a_project_reads_its_months_and_staffing_but_no_time_entry() -> None:
    history = project_until(END)
    reads = Reads(history)
    view = ProjectForecastView("P-1", reads)
    project_rules.apply(view, time_entry(entry_id="TE-NEW", work_date=date(2028, 12, 27)), CTX)
    reads.read.clear()
    project_rules.settle(view, CTX, as_of=datetime(2028, 12, 28, tzinfo=UTC), cause=None, causes=())
    assert reads.read["actual"] == reads.read["worked"] == 0
    assert reads.read["month"] <= 36 and reads.read["reported"] <= 37 and reads.read["assignment"] == 4


def test_an_assignment_change_prices_again_only_its_resources_entries_inside_its_spans() -> None:
    history = project_until(END)
    reads = Reads(history)
    view = ProjectForecastView("P-1", reads)
    march = resource_assignment(
        "R-UK",
        assignment_id="A-UK-2",
        home_legal_entity="LE-UK",
        cost_currency="GBP",
        cost_rate=Decimal("90"),
        start_date=date(2027, 3, 1),
        end_date=date(2027, 3, 31),
    )
    project_rules.apply(view, march, CTX)
    # R-UK worked the 23 weekdays of March 2027: each is read once, no other entry at all.
    assert reads.read["actual"] == 23
    assert reads.read["worked"] == 23


def test_settling_a_resource_reads_only_the_months_its_batch_touched() -> None:
    whole = resource_assignment(assignment_id="A1", start_date=START, end_date=END)
    plan = feed_resource([whole], CTX, datetime(2026, 1, 1, tzinfo=UTC))
    reads = Reads(plan.state)
    view = ResourcePlanView("R-ANA", reads)
    resource_rules.apply(view, time_entry(entry_id="TE-1", work_date=date(2027, 6, 2)), CTX)
    resource_rules.settle(view, CTX, as_of=datetime(2027, 6, 2, tzinfo=UTC), cause=None, causes=())
    assert reads.read["month"] <= 2
    assert max(largest(plan.state).values()) < 2 * 1024
