"""Selections and plan files: parsing, partitions of keys, the content hash."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from aiokafka.partitioner import murmur2

from app.contracts.topics import PSA_RESOURCE_ASSIGNMENTS, PSA_TIME_ENTRIES
from replay import plan as plans
from replay.selection import (
    OffsetRange,
    Selection,
    keyed_partitions,
    parse_duration,
    parse_offsets,
    parse_time,
    partition_for,
    window,
)

NOW = datetime(2026, 3, 10, 12, 0, tzinfo=UTC)


def test_a_key_goes_where_kafkas_default_partitioner_puts_it() -> None:
    for key in ("P-ORION", "P-VEGA", "P-1"):
        assert partition_for(key, 6) == (murmur2(key.encode()) & 0x7FFFFFFF) % 6


def test_keys_narrow_the_partitions_read_and_no_keys_read_all() -> None:
    projects = Selection(topics=("psa.time-entries",), projects=("P-ORION", "P-VEGA"))
    assert keyed_partitions(projects, PSA_TIME_ENTRIES) == tuple(
        sorted({partition_for("P-ORION", 6), partition_for("P-VEGA", 6)})
    )
    assert keyed_partitions(Selection(topics=("psa.time-entries",)), PSA_TIME_ENTRIES) == tuple(range(6))
    by_resource = Selection(topics=("psa.resource-assignments",), resources=("R-1",))
    assert keyed_partitions(by_resource, PSA_RESOURCE_ASSIGNMENTS) == (partition_for("R-1", 6),)


def test_windows_are_iso_timestamps_with_offsets_or_a_duration() -> None:
    assert parse_time("2026-03-01T00:00Z") == datetime(2026, 3, 1, tzinfo=UTC)
    assert parse_time("2026-03-01T01:00+01:00") == datetime(2026, 3, 1, tzinfo=UTC)
    with pytest.raises(ValueError, match="no UTC offset"):
        parse_time("2026-03-01T00:00")
    assert parse_duration("90m") == timedelta(minutes=90)
    assert window(None, None, "6h", NOW) == (NOW - timedelta(hours=6), None)
    with pytest.raises(ValueError, match="not both"):
        window("2026-03-01T00:00Z", None, "6h", NOW)


def test_explicit_offsets_parse_and_unknown_topics_are_refused() -> None:
    assert parse_offsets("psa.time-entries:2:10-50") == OffsetRange(
        topic="psa.time-entries", partition=2, start=10, end=50
    )
    with pytest.raises(ValueError):
        parse_offsets("psa.time-entries:2:50-10")
    with pytest.raises(ValueError, match="source topics"):
        Selection(topics=("erp.billing-commands",))


def test_an_edited_plan_is_refused(tmp_path: Path) -> None:
    plan = plans.Plan(
        created_at=NOW,
        topic_prefix="",
        selection=Selection(topics=("psa.time-entries",), projects=("P-1",)),
        ranges=(OffsetRange(topic="psa.time-entries", partition=3, start=0, end=9),),
        scanned={"psa.time-entries": 9},
        matched={"psa.time-entries": 4},
        schema_versions={"time_entry": {"v1": 4}},
        subjects=("P-1",),
    ).sealed()
    path = tmp_path / "plan.json"
    plans.save(plan, path)
    assert plans.load(path) == plan
    assert plan.replay_id == f"rpl-{plan.content_hash[:16]}"
    path.write_text(path.read_text().replace('"P-1"', '"P-2"'))
    with pytest.raises(ValueError, match="content hash"):
        plans.load(path)
