"""The forecast diff without Kafka: recompute a project's forecast from history, compare with live deltas."""

from __future__ import annotations

import itertools
from collections.abc import Sequence
from datetime import UTC, date, datetime
from decimal import Decimal
from pathlib import Path

from domain.forecast import ForecastContext, IntercompanyPolicy, MemoryProjectForecast, ProjectForecastView
from domain.forecast import project as rules
from domain.records.common import SourceRef
from domain.records.forecast import ForecastDelta, SubjectType
from domain.records.psa import BillRate, MilestoneEvent, ProjectContract, ResourceAssignment, TimeEntry
from replay.diff import ProjectDiff
from replay.forecast_diff import ForecastDiff, MetricDiff, forecast_diff
from replay.preview import Preview, _hash, load, report, save
from replay.sandbox import AssignmentEvent, SourceEvent
from tests.support.factories import (
    contract,
    envelope,
    inbound,
    milestone_event,
    resource_assignment,
    time_entry,
)

JAN1, MAR1 = date(2026, 1, 1), date(2026, 3, 1)
RIGHT = (
    BillRate(role="consultant", rate=Decimal("150.00"), effective_from=JAN1),
    BillRate(role="consultant", rate=Decimal("165.00"), effective_from=MAR1),
)
WRONG = (RIGHT[0], BillRate(role="consultant", rate=Decimal("1500.00"), effective_from=MAR1))
TODAY = ForecastContext()
Record = ProjectContract | TimeEntry | MilestoneEvent | ResourceAssignment
_offsets = itertools.count(500)


def at(month: int, day: int) -> datetime:
    """Return 09:00 UTC on a day of 2026."""
    return datetime(2026, month, day, 9, 0, tzinfo=UTC)


def history(*records: Record) -> tuple[list[SourceEvent], list[AssignmentEvent]]:
    """Wrap records as the preview reads them: one Kafka timestamp each, a second apart, in this order."""
    events: list[SourceEvent] = []
    assignments: list[AssignmentEvent] = []
    for second, record in enumerate(records):
        if isinstance(record, ResourceAssignment):
            source = SourceRef(
                event_id=record.event_id,
                topic="psflow.assignments-by-project",
                partition=0,
                offset=next(_offsets),
            )
            assignments.append(AssignmentEvent(record, source, 1_000 * second))
        else:
            wrapped = inbound(record)
            events.append(SourceEvent(wrapped.record, wrapped.source, 1_000 * second))
    return events, assignments


def worker(
    records: Sequence[Record], ctx: ForecastContext = TODAY, sizes: Sequence[int] = ()
) -> list[ForecastDelta]:
    """Emit what the live project-forecast agent emits for records in this order, in batches of `sizes`
    records (one record each by default), each settled as of its last record: every delta, in order."""
    state = MemoryProjectForecast("P-1")
    deltas: list[ForecastDelta] = []
    bounds = list(itertools.accumulate(sizes or [1] * len(records), initial=0))
    for start, end in itertools.pairwise(bounds):
        view = ProjectForecastView("P-1", state)
        chunk = records[start:end]
        for record in chunk:
            rules.apply(view, record, ctx)
        last = chunk[-1]
        settled = rules.settle(
            view, ctx, as_of=last.occurred_at, cause=last.envelope, causes=(last.event_id,)
        )
        state.apply(view.changes())
        deltas += settled.deltas
    return deltas


def project() -> list[Record]:
    """P-1: a T&M contract, R-ANA planned in April, March time (one entry revised), a milestone event."""
    return [
        contract("P-1", envelope=envelope("contract", occurred_at=at(2, 20))),
        resource_assignment(assignment_id="A1", envelope=envelope("assignment", occurred_at=at(3, 1))),
        time_entry("P-1", entry_id="TE-1", envelope=envelope("time", occurred_at=at(3, 2))),
        time_entry(
            "P-1", entry_id="TE-2", work_date=date(2026, 3, 3), envelope=envelope("t", occurred_at=at(3, 3))
        ),
        time_entry(
            "P-1",
            entry_id="TE-2",
            revision=2,
            work_date=date(2026, 3, 3),
            hours=Decimal("6.00"),
            envelope=envelope("time", occurred_at=at(3, 4)),
        ),
        milestone_event("P-1", envelope=envelope("milestone", occurred_at=at(3, 5))),
    ]


def by_metric(diff: ForecastDiff) -> dict[tuple[str, str], MetricDiff]:
    """Return the differing metrics by (period, metric)."""
    return {(m.period, m.metric): m for m in diff.differing}


def test_an_unchanged_history_gives_an_empty_forecast_diff() -> None:
    records = project()
    events, assignments = history(*records)
    live = worker(records)
    noise = [  # another subject's deltas on the same partition: a resource and another project
        d.model_copy(update={"subject_type": SubjectType.RESOURCE, "current": Decimal("1.00")}) for d in live
    ] + [d.model_copy(update={"subject_id": "P-2", "current": Decimal("2.00")}) for d in live]

    diff = forecast_diff("P-1", events, assignments, [*live, *noise], TODAY)

    assert diff.is_empty()
    assert diff.compared == len({(d.period, d.metric) for d in live}) > 10
    assert diff.events == len(records)


def test_inputs_are_fed_in_the_workers_merge_order_not_in_list_order() -> None:
    records = [
        contract("P-1", bill_rates=WRONG, envelope=envelope("contract", occurred_at=at(2, 20))),
        time_entry("P-1", entry_id="TE-MAR", envelope=envelope("time", occurred_at=at(3, 2))),
        contract("P-1", contract_version=2, bill_rates=WRONG, envelope=envelope("c", occurred_at=at(4, 1))),
    ]
    events, assignments = history(*records)

    diff = forecast_diff("P-1", events[::-1], assignments, worker(records), TODAY)

    assert diff.is_empty() and diff.compared > 0


def test_hours_the_live_forecast_never_saw_show_as_differing_metrics_with_both_values() -> None:
    records = project()
    events, assignments = history(*records)
    # The live worker never saw TE-2's revision to 6 h (nor the milestone, which moves nothing on T&M).
    live = worker(records[:-2])

    diff = forecast_diff("P-1", events, assignments, live, TODAY)

    moved = by_metric(diff)
    assert moved[("2026-03", "hours")].live == Decimal("16.00")
    assert moved[("2026-03", "hours")].recomputed == Decimal("14.00")
    assert moved[("2026-03", "revenue")] == MetricDiff(
        period="2026-03",
        metric="revenue",
        live=Decimal("2400.00"),
        live_unit="USD",
        recomputed=Decimal("2100.00"),
        recomputed_unit="USD",
    )
    assert moved[("2026-03", "cost")].recomputed == Decimal("1120.00")
    assert ("2026-04", "hours") not in moved  # April's plan is not touched by March's time
    assert isinstance(moved[("2026-03", "margin")].recomputed, Decimal)
    assert not diff.missing_live and not diff.live_only


def test_a_corrected_rate_card_shows_where_the_live_forecast_kept_the_wrong_one() -> None:
    # The wrong card was in force through March; the correcting version came in April. March's revenue was
    # recomputed live when v2 came, but recognized revenue and backlog are reported under the month they
    # were computed in, so March kept the wrong card's figures live.
    records = [
        contract("P-1", bill_rates=WRONG, envelope=envelope("contract", occurred_at=at(2, 20))),
        time_entry(
            "P-1",
            entry_id="TE-FEB",
            work_date=date(2026, 2, 27),
            envelope=envelope("t", occurred_at=at(2, 27)),
        ),
        time_entry("P-1", entry_id="TE-MAR", envelope=envelope("time", occurred_at=at(3, 2))),
        contract("P-1", contract_version=2, bill_rates=RIGHT, envelope=envelope("c", occurred_at=at(4, 1))),
    ]
    events, assignments = history(*records)

    diff = forecast_diff("P-1", events, assignments, worker(records), TODAY)

    moved = by_metric(diff)
    assert set(moved) == {("2026-03", "recognized_revenue"), ("2026-03", "backlog")}
    recognized = moved[("2026-03", "recognized_revenue")]
    assert (recognized.live, recognized.recomputed) == (Decimal("13200.00"), Decimal("2520.00"))
    assert moved[("2026-03", "backlog")].live == Decimal("86800.00")
    assert moved[("2026-03", "backlog")].recomputed == Decimal("97480.00")


def test_todays_forecast_reference_data_is_what_the_recompute_uses() -> None:
    # R-UK is employed by another legal entity: the live worker charged a 50 % markup, today's is 10 %.
    records = [
        contract("P-1", envelope=envelope("contract", occurred_at=at(3, 1))),
        resource_assignment(
            "R-UK",
            assignment_id="A-UK",
            home_legal_entity="LE-UK",
            envelope=envelope("a", occurred_at=at(3, 2)),
        ),
    ]
    events, assignments = history(*records)
    then = ForecastContext(intercompany=IntercompanyPolicy(default_markup=Decimal("0.50")))

    diff = forecast_diff("P-1", events, assignments, worker(records, then), TODAY)

    cost = by_metric(diff)[("2026-04", "cost")]
    # 22 working days x 8 h x 80/h = 14080; x 1.5 live, x 1.1 today.
    assert (cost.live, cost.recomputed) == (Decimal("21120.00"), Decimal("15488.00"))


def test_metrics_on_one_side_only_are_reported_as_missing_live_or_live_only() -> None:
    records = project()
    events, assignments = history(*records)
    live = worker(records)
    dropped = [d for d in live if d.period != "2026-04"]
    stray = live[0].model_copy(update={"period": "2025-12", "metric": "hours", "current": Decimal("3.00")})

    diff = forecast_diff("P-1", events, assignments, [*dropped, stray], TODAY)

    assert not diff.differing
    assert {(m.period, m.metric, m.live) for m in diff.missing_live} == {
        ("2026-04", d.metric, None) for d in live if d.period == "2026-04"
    }
    assert [(m.period, m.metric, m.live, m.recomputed) for m in diff.live_only] == [
        ("2025-12", "hours", Decimal("3.00"), None)
    ]


def test_the_preview_carries_the_forecast_diff_in_its_hash_counts_and_report(tmp_path: Path) -> None:
    records = project()
    events, assignments = history(*records)
    diff = forecast_diff("P-1", events, assignments, worker(records[:-2]), TODAY)
    preview = Preview(
        plan_hash="h",
        replay_id="rpl-1",
        previewed_at=at(5, 1),
        consumed={},
        commands_end={},
        projects=(ProjectDiff(project_id="P-1", currency="USD"),),
        events_replayed=len(events),
        undecodable=0,
        unconsumed=0,
        forecasts=(diff,),
    )
    sealed = preview.model_copy(update={"content_hash": _hash(preview)})
    assert _hash(sealed.model_copy(update={"forecasts": ()})) != sealed.content_hash

    path = tmp_path / "p.preview.json"
    save(sealed, path)
    assert load(path) == sealed
    assert sealed.counts()["forecast_differing"] == len(diff.differing) > 0
    assert sealed.is_empty()  # forecasts are never corrected: nothing for apply
    text = "\n".join(report(sealed))
    assert "forecast.deltas: not diffed" not in text
    assert "2026-03 hours: live 16.00 HOURS, recomputed 14.00 HOURS" in text
    assert "apply emits billing commands only" in text
    assert text.endswith(
        "rpl-1: billing diff is empty; forecast: 8 metric(s) differ (informational, not applied)"
    )


def test_a_worker_settling_in_batches_within_months_gives_an_empty_diff_against_its_history() -> None:
    records = project()
    events, assignments = history(*records)
    # February's contract alone, then March's five events in two batches.
    live = worker(records, sizes=(1, 2, 3))

    diff = forecast_diff("P-1", events, assignments, live, TODAY)

    assert diff.is_empty() and diff.compared > 10
    assert len(live) < len(worker(records))


def test_a_live_batch_over_a_month_turn_leaves_that_months_point_in_time_metrics_missing_live() -> None:
    records = project()
    events, assignments = history(*records)
    # One batch from February's contract to March 2nd: February was never settled live.
    live = worker(records, sizes=(3, 3))

    diff = forecast_diff("P-1", events, assignments, live, TODAY)

    assert not diff.differing and not diff.live_only
    # Recomputed as of 20 February: the contract's whole value is backlog, and with nothing planned yet the
    # budget (60,000.00) is the estimate to complete (domain.figures).
    assert [(m.period, m.metric, m.recomputed) for m in diff.missing_live] == [
        ("2026-02", "backlog", Decimal("100000.00")),
        ("2026-02", "eac_cost", Decimal("60000.00")),
        ("2026-02", "etc_cost", Decimal("60000.00")),
    ]


def test_a_live_value_less_than_the_threshold_from_the_recomputed_one_is_the_same_value() -> None:
    records = project()
    events, assignments = history(*records)
    residue = [d.model_copy(update={"current": d.current + Decimal("0.009")}) for d in worker(records)]

    assert forecast_diff("P-1", events, assignments, residue, TODAY).is_empty()
    strict = ForecastContext(threshold=Decimal("0.001"))
    differing = forecast_diff("P-1", events, assignments, residue, strict).differing
    assert differing and all(m.live is not None and m.recomputed is not None for m in differing)
    assert all(m.live - m.recomputed == Decimal("0.009") for m in differing if m.live and m.recomputed)


def test_a_metric_on_one_side_only_is_the_same_while_its_value_is_under_the_threshold() -> None:
    records = project()
    events, assignments = history(*records)
    live = worker(records)
    stray = live[0].model_copy(update={"period": "2025-12", "metric": "hours", "current": Decimal("0.00")})

    assert forecast_diff("P-1", events, assignments, [*live, stray], TODAY).is_empty()


def test_values_read_back_at_avro_scale_are_shown_in_cents_where_nothing_is_lost() -> None:
    line = MetricDiff(
        period="2026-03",
        metric="recognized_revenue",
        live=Decimal("13200.0000"),
        live_unit="USD",
        recomputed=Decimal("2520.0050"),
        recomputed_unit="USD",
    )
    assert line.describe() == "2026-03 recognized_revenue: live 13200.00 USD, recomputed 2520.0050 USD"
    only_live = MetricDiff(period="2026-04", metric="hours", live=Decimal("8.0000"), live_unit="HOURS")
    assert only_live.describe() == "2026-04 hours: live 8.00 HOURS, recomputed -"
