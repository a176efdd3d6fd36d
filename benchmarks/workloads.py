"""The benchmark workloads, generated (not stored): what each measurement feeds the worker."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date, timedelta
from decimal import Decimal

from app.contracts.topics import PSA_MILESTONES, PSA_PROJECTS, PSA_TIME_ENTRIES, TopicSpec
from domain.records.common import Event
from tests.support.factories import contract, envelope, milestone_event, time_entry

Feed = list[tuple[TopicSpec, str, Event]]
INPUTS = (PSA_PROJECTS, PSA_TIME_ENTRIES, PSA_MILESTONES)
FIRST_DAY = date(2026, 1, 1)  # the factories' rate cards are effective from then


def work_day(i: int) -> date:
    """Spread work over a year of weekdays, so forecasts have months of actuals."""
    return FIRST_DAY + timedelta(days=(i * 7 // 5) % 365)


def mixed_stream(events: int, projects: int = 50) -> Feed:
    """Return contracts, then time entries (one in five revised), milestone completions and acceptances."""
    feed: Feed = []
    for p in range(projects):
        feed.append((PSA_PROJECTS, f"P-{p}", contract(f"P-{p}")))
    i = 0
    while len(feed) < events:
        pid = f"P-{i % projects}"
        entry = time_entry(
            pid,
            entry_id=f"TE-{i}",
            resource_id=f"R-{i % 200}",
            hours=Decimal(1 + i % 8),
            work_date=work_day(i),
        )
        feed.append((PSA_TIME_ENTRIES, pid, entry))
        if i % 5 == 0:
            revised = entry.model_copy(
                update={"revision": 2, "hours": Decimal("0.50"), "envelope": envelope()}
            )
            feed.append((PSA_TIME_ENTRIES, pid, revised))
        if i % 97 == 0:
            feed.append((PSA_MILESTONES, pid, milestone_event(pid)))
            feed.append((PSA_MILESTONES, pid, milestone_event(pid, status="ACCEPTED")))
        i += 1
    return feed[:events]


def one_project(entries: int) -> Iterator[tuple[TopicSpec, str, Event]]:
    """Yield one time-and-materials project of 20 people and `entries` approved time entries, over a year."""
    yield PSA_PROJECTS, "P-BIG", contract("P-BIG")
    for i in range(entries):
        entry = time_entry(
            "P-BIG",
            entry_id=f"TE-{i}",
            resource_id=f"R-{i % 20}",
            hours=Decimal(1 + i % 8),
            work_date=work_day(i),
        )
        yield PSA_TIME_ENTRIES, "P-BIG", entry


def many_projects(events: int, projects: int) -> Iterator[tuple[TopicSpec, str, Event]]:
    """Yield `projects` contracts, then approved time entries round robin over them, `events` in all."""
    for p in range(projects):
        yield PSA_PROJECTS, f"P-{p}", contract(f"P-{p}")
    for i in range(max(events - projects, 0)):
        pid = f"P-{i % projects}"
        entry = time_entry(pid, entry_id=f"TE-{i}", resource_id=f"R-{i % 5000}", work_date=work_day(i))
        yield PSA_TIME_ENTRIES, pid, entry
