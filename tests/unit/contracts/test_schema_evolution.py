"""Schema evolution in practice: time_entry v2's task id reaches the billing line; v1 history still works."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

from app.contracts.codec import AvroCodec, SchemaVersion
from app.contracts.schema_gate import check
from app.contracts.subjects import AVRO_DIR
from domain.records.erp import BillingCommand
from domain.records.psa import TimeEntry
from replay.diff import diff_project
from replay.sandbox import SourceEvent, recompute
from tests.support.factories import contract, inbound, play, time_entry

CODEC = AvroCodec.from_directory()


def _version(subject: str, number: int) -> SchemaVersion:
    return next(v for v in CODEC.versions() if (v.subject, v.version) == (subject, number))


def test_the_gate_passes_with_the_released_v2_subjects() -> None:
    assert check(AVRO_DIR, AVRO_DIR / "schemas.lock.json") == []
    assert CODEC.writer_for(TimeEntry).version == 2 and CODEC.writer_for(BillingCommand).version == 2


def test_a_v2_time_entrys_task_is_carried_onto_its_billing_line_and_the_erp_reads_it() -> None:
    entry = time_entry(entry_id="TE-1", task_id="WP-7")

    charge = play(contract(), CODEC.decode(CODEC.encode(entry), TimeEntry)).commands[-1]

    assert charge.lines[0].task_id == "WP-7"
    assert CODEC.decode(CODEC.encode(charge), BillingCommand).lines[0].task_id == "WP-7"


def test_a_v1_time_entry_already_on_the_topic_still_decodes_and_posts() -> None:
    old = CODEC.encode_with(_version("time_entry", 1), time_entry(entry_id="TE-OLD").model_dump())

    decoded = CODEC.decode(old, TimeEntry)
    charge = play(contract(), decoded).commands[-1]

    assert (decoded.task_id, decoded.previous_project_id) == (None, None)
    assert (charge.amount, charge.lines[0].task_id) == (Decimal("1200.00"), None)


def test_a_replay_over_v1_history_finds_nothing_to_correct_in_commands_written_by_v1() -> None:
    records = [contract(), time_entry(entry_id="TE-1")]
    events = []
    for ms, record in enumerate(records):
        wrapped = inbound(record)
        # The history as written before v2 and read back today.
        writer = (
            _version("time_entry", 1) if isinstance(record, TimeEntry) else CODEC.writer_for(type(record))
        )
        back = CODEC.decode(CODEC.encode_with(writer, record.model_dump()), type(record))
        events.append(SourceEvent(back, wrapped.source, 1_000 * ms))
    v1 = _version("billing_command", 1)
    live = [
        CODEC.decode(CODEC.encode_with(v1, c.model_dump()), BillingCommand)
        for c in play(*(inbound(e.record, offset=e.source.offset) for e in events)).commands
    ]
    assert all(c.accounting_date is None for c in live)

    diff = diff_project(recompute("P-1", events, timedelta(days=1)), live, frozenset(), "rpl-1")

    assert diff.corrections == () and diff.unresolved == ()
