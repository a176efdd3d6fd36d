"""Exceptions that settle themselves, each carrying what an operator needs to act without opening Kafka."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from decimal import Decimal

from app.contracts.codec import AvroCodec
from domain.forecast import ForecastContext, FxRate, FxRates
from domain.ledger import Inbound, MemoryLedger, decide, expire_parked
from domain.records.common import SourceRef
from domain.records.ops import BusinessException, ExceptionReason, ExceptionState, SourceRecord
from domain.records.psa import TimeEntry
from tests.support.factories import (
    T0,
    context,
    contract,
    play,
    resource_assignment,
    through_json,
    time_entry,
)
from tests.unit.domain.forecast.steps import feed_project, feed_resource, reforecast

AS_OF = datetime(2026, 4, 1, tzinfo=UTC)


def _read(record: TimeEntry, offset: int, value: bytes) -> Inbound:
    """Wrap a record as the worker reads it: coordinates and the bytes it was read as."""
    raw = SourceRecord(
        topic="psa.time-entries", partition=2, offset=offset, timestamp=T0, raw_key=b"P-1", raw_value=value
    )
    source = SourceRef(event_id=record.event_id, topic=raw.topic, partition=2, offset=offset)
    return Inbound(record=record, source=source, raw=raw)


def test_a_hold_released_in_full_is_resolved_under_its_id_saying_what_released_it() -> None:
    capped = play(contract(not_to_exceed=Decimal("1000.00")), time_entry(entry_id="TE-1"))
    (hold,) = capped.exceptions
    raised_cap = contract(contract_version=2, not_to_exceed=Decimal("5000.00"))

    decision = play(raised_cap, ledger=capped.ledger)

    (cleared,) = decision.exceptions
    assert (cleared.exception_id, cleared.reason, cleared.state) == (
        hold.exception_id,
        ExceptionReason.BILLING_HOLD,
        ExceptionState.RESOLVED,
    )
    assert cleared.resolution == (
        "200.00 USD held on time entry TE-1 r1: released in full by cmd:TE-1:r1:POST_TIME_CHARGE:v2 "
        "(contract v2)"
    )
    assert cleared.details["resolved_by"] == raised_cap.event_id
    assert (cleared.amount, cleared.currency, cleared.first_seen_at) == (Decimal("200.00"), "USD", T0)


def test_a_hold_released_in_part_stays_open() -> None:
    capped = play(contract(not_to_exceed=Decimal("1000.00")), time_entry(entry_id="TE-1"))

    decision = play(contract(contract_version=2, not_to_exceed=Decimal("1100.00")), ledger=capped.ledger)

    assert decision.exceptions == ()


def test_a_rule_exception_carries_the_bytes_of_its_record_and_what_is_at_risk() -> None:
    refused = time_entry(entry_id="TE-1", role="architect")  # no rate for the role
    value = b"\xc3\x01\x00\xffavro-bytes"

    decision = decide(play(contract()).ledger, _read(refused, 41, value), context())

    (failed,) = decision.exceptions
    assert failed.reason is ExceptionReason.VALIDATION_FAILED
    assert failed.source is not None
    assert (failed.source.offset, failed.source.raw_key, failed.source.raw_value) == (41, b"P-1", value)
    assert (failed.project_id, failed.first_seen_at) == ("P-1", T0)


def test_an_unknown_project_raised_by_the_sweep_carries_the_parked_records_bytes_through_storage() -> None:
    value = b"\xc3\x01\x80\x81\x82 not utf-8"
    parked = decide(None, _read(time_entry("P-9", entry_id="TE-9"), 7, value), context())
    stored = through_json(MemoryLedger("P-9").apply(parked))

    (unknown,) = expire_parked(stored, context(now=T0 + timedelta(days=2))).exceptions

    assert unknown.reason is ExceptionReason.UNKNOWN_PROJECT
    assert unknown.source is not None
    assert (unknown.source.offset, unknown.source.raw_value) == (7, value)


def test_a_missing_fx_rate_is_resolved_saying_its_cause_went_away() -> None:
    uk = resource_assignment(
        "R-BEN", assignment_id="A-UK", home_legal_entity="LE-UK", region="UK", cost_rate=Decimal("60"),
        cost_currency="GBP", start_date=date(2026, 4, 6), end_date=date(2026, 4, 10),
    )  # fmt: skip
    run = feed_project([contract(), uk], ForecastContext(), AS_OF)
    (missing,) = run.exceptions
    gbp = FxRate(
        from_currency="GBP", to_currency="USD", rate=Decimal("1.25"), effective_from=date(2026, 1, 1)
    )
    rates = FxRates(rates=(gbp,))

    (resolved,) = reforecast(run.state, ForecastContext(fx=rates), AS_OF).exceptions

    assert (resolved.exception_id, resolved.state) == (missing.exception_id, ExceptionState.RESOLVED)
    assert resolved.resolution is not None and "no longer holds" in resolved.resolution
    assert resolved.first_seen_at == missing.first_seen_at == AS_OF
    assert (missing.amount, missing.currency) == (Decimal("2640.00"), "GBP")  # 40 h x 60 GBP + 10 % markup


def test_a_capacity_conflict_is_resolved_saying_what_cleared_it() -> None:
    over = [
        resource_assignment("R-ANA", assignment_id="A1", hours_per_week=Decimal("30")),
        resource_assignment("R-ANA", assignment_id="A2", project_id="P-2", hours_per_week=Decimal("30")),
    ]
    run = feed_resource(over, ForecastContext(), AS_OF)
    (conflict,) = run.exceptions
    cancel = over[1].model_copy(update={"revision": 2, "status": "CANCELLED"})

    (cleared,) = feed_resource([cancel], ForecastContext(), AS_OF, run.state).exceptions

    assert (cleared.exception_id, cleared.state) == (conflict.exception_id, ExceptionState.RESOLVED)
    assert cleared.resolution is not None and cancel.event_id in cleared.resolution
    assert cleared.first_seen_at == conflict.first_seen_at


def test_a_v2_exception_round_trips_through_the_codec_with_its_bytes_ids_and_first_seen() -> None:
    codec = AvroCodec.from_directory()
    exc = play(contract(not_to_exceed=Decimal("100.00")), time_entry(entry_id="TE-1")).exceptions[0]
    whole = exc.model_copy(
        update={
            "source": SourceRecord(topic="t", partition=0, offset=1, raw_value=b"\x00\xff"),
            "invoice_ids": ("INV-1",),
        }
    )

    back = codec.decode(codec.encode(whole), BusinessException)

    assert back == whole and back.command_ids == ("cmd:TE-1:r1:POST_TIME_CHARGE",)
