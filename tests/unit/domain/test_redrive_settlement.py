"""A re-driven record settles its exception: resolved when it goes through, raised again when it does not."""

from __future__ import annotations

from datetime import timedelta

from domain.exceptions import quarantine
from domain.ledger import MemoryLedger
from domain.ledger.decision import Inbound
from domain.records.erp import BillingCommandType
from domain.records.ops import BusinessException, ExceptionReason, ExceptionState, SourceRecord
from domain.records.psa import TimeEntry
from domain.redrive import Redrive, settle
from tests.support.factories import T0, Played, context, contract, inbound, play, time_entry

REDRIVEN_AT = 900  # offset of the re-published copy


def _redriven(entry: TimeEntry, exc_id: str, reason: ExceptionReason) -> Inbound:
    copy = inbound(entry, offset=REDRIVEN_AT)
    lineage = Redrive(
        exception_id=exc_id, reason=reason, replay_id="rdr-1", original="psa.time-entries:0:101"
    )
    return copy.model_copy(update={"redrive": lineage})


def _refused_on_hold() -> tuple[Played, TimeEntry, BusinessException]:
    entry = time_entry(entry_id="TE-1")
    refused = play(contract(project_status="ON_HOLD"), entry)
    (exc,) = refused.exceptions
    return refused, entry, exc


def test_a_redrive_after_the_fix_posts_the_charge_and_resolves_the_exception_under_its_id() -> None:
    refused, entry, exc = _refused_on_hold()
    active = play(contract(contract_version=2), ledger=refused.ledger).ledger

    outcome = play(_redriven(entry, exc.exception_id, exc.reason), ledger=active)

    assert [c.command_type for c in outcome.commands] == [BillingCommandType.POST_TIME_CHARGE]
    (resolved,) = outcome.exceptions
    assert (resolved.exception_id, resolved.state, resolved.reason) == (
        exc.exception_id,
        ExceptionState.RESOLVED,
        ExceptionReason.VALIDATION_FAILED,
    )
    assert resolved.details["resolved_by"] == "rdr-1"
    assert resolved.details["redriven_as"] == f"psa.time-entries:0:{REDRIVEN_AT}"


def test_a_redrive_before_the_fix_raises_the_same_exception_again_with_the_failed_attempt() -> None:
    refused, entry, exc = _refused_on_hold()

    outcome = play(_redriven(entry, exc.exception_id, exc.reason), ledger=refused.ledger)

    assert outcome.commands == ()
    (again,) = outcome.exceptions
    assert (again.exception_id, again.state) == (exc.exception_id, ExceptionState.OPEN)
    assert again.details["redrive_failed"] == "rdr-1"
    assert again.details["redriven_as"] == f"psa.time-entries:0:{REDRIVEN_AT}"
    assert again.envelope.event_id != exc.envelope.event_id  # a new fact about the same problem


def test_an_ordinary_resend_of_a_refused_record_stays_silent_as_before() -> None:
    refused, entry, _ = _refused_on_hold()

    assert play(entry, ledger=refused.ledger).exceptions == ()


def test_a_redrive_that_parks_the_record_again_is_a_failed_redrive_not_a_resolution() -> None:
    entry = time_entry("P-GHOST", entry_id="TE-G1")
    waited = context(now=T0 + timedelta(days=2))
    parked = play(entry, ctx=context())
    reported = play(time_entry("P-GHOST", entry_id="TE-G2"), ledger=parked.ledger, ctx=waited)
    unknown = next(
        e
        for e in reported.exceptions
        if e.source and e.source.offset == parked.ledger.parked[0].source.offset
    )

    outcome = play(_redriven(entry, unknown.exception_id, unknown.reason), ledger=reported.ledger, ctx=waited)

    assert [(e.exception_id, e.state) for e in outcome.exceptions] == [
        (unknown.exception_id, ExceptionState.OPEN)
    ]
    assert outcome.exceptions[0].details["redrive_failed"] == "rdr-1"
    assert len(outcome.ledger.parked) == 2  # TE-G1 kept once, TE-G2


def test_a_record_that_still_does_not_decode_is_raised_again_under_the_original_id() -> None:
    copy = SourceRecord(topic="psa.time-entries", partition=2, offset=REDRIVEN_AT, raw_value=b"junk")
    failure = quarantine(copy, ExceptionReason.DECODE_BAD_MAGIC, "bad magic", seen_at=T0)
    lineage = Redrive(
        exception_id="exc:DECODE_BAD_MAGIC:psa.time-entries:2:7",
        reason=ExceptionReason.DECODE_BAD_MAGIC,
        replay_id="rdr-1",
        original="psa.time-entries:2:7",
    )

    (again,) = settle(lineage, (failure,), parked=False, at=copy, occurred_at=T0, project_id=None)

    assert again.exception_id == lineage.exception_id
    assert again.source is not None and again.source.raw_value == b"junk"
    assert again.details["original"] == "psa.time-entries:2:7"


def test_only_the_agent_that_raised_an_exception_settles_its_redrive() -> None:
    forecast = Redrive(
        exception_id="e",
        reason=ExceptionReason.PROCESSING_ERROR,
        replay_id="r",
        original="t:0:1",
        agent="resource-plan",
    )
    ledger = forecast.model_copy(update={"agent": ""})

    assert (forecast.is_for("resource-plan"), forecast.is_for("project-ledger")) == (True, False)
    assert (ledger.is_for("project-ledger"), ledger.is_for("resource-plan")) == (True, False)
    assert Redrive.from_headers(dict(forecast.headers())) == forecast


def test_headers_round_trip_and_an_ordinary_record_has_no_redrive() -> None:
    lineage = Redrive(
        exception_id="exc:X", reason=ExceptionReason.PERIOD_CLOSED, replay_id="rdr-1", original="t:0:1"
    )

    assert Redrive.from_headers(dict(lineage.headers())) == lineage
    assert Redrive.from_headers({}) is None


def test_ledger_state_is_untouched_by_the_settlement_itself() -> None:
    refused, entry, exc = _refused_on_hold()
    plain = play(entry.model_copy(update={"revision": 1}), ledger=refused.ledger)
    settled = play(_redriven(entry, exc.exception_id, exc.reason), ledger=refused.ledger)

    assert isinstance(settled.ledger, MemoryLedger)
    assert settled.ledger.entries == plain.ledger.entries
