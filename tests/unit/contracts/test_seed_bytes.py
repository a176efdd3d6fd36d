"""The seed scenario's commands, Avro-encoded, are byte for byte those of the version before keyed state."""

from __future__ import annotations

import hashlib
from datetime import UTC, datetime
from pathlib import Path

from app.contracts.codec import AvroCodec
from domain.ledger import Context, Inbound, MemoryLedger, decide
from domain.records.common import SourceRef
from tests.support.seed import erp_feed, psa_feed

# Written by commit 690a02a (one JSON value per project): "<command id> <sha256 of the encoded command>".
GOLDEN = Path(__file__).parents[2] / "support" / "seed_commands.sha256"


def test_the_seed_scenario_emits_byte_identical_commands_to_the_whole_value_ledger() -> None:
    codec = AvroCodec.from_directory()
    ledgers: dict[str, MemoryLedger] = {}
    lines = []
    for offset, (spec, key, record) in enumerate(psa_feed() + erp_feed()):
        source = SourceRef(event_id=record.event_id, topic=spec.name, partition=0, offset=offset)
        ledger = ledgers.setdefault(key, MemoryLedger(key))
        decision = decide(
            ledger, Inbound(record=record, source=source), Context(now=datetime(2026, 3, 3, tzinfo=UTC))
        )
        ledger.apply(decision)
        lines += [f"{c.command_id} {hashlib.sha256(codec.encode(c)).hexdigest()}" for c in decision.commands]
    assert lines == GOLDEN.read_text().splitlines()
