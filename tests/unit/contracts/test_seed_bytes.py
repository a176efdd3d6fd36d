"""The seed scenario's commands, Avro-encoded, are byte for byte those of the version before keyed state.

billing_command v2 added optional fields (the accounting and natural dates of the cut-off policy, the task
on a line): written with v1, the schema of the golden file, the commands are still the same bytes, so no
rule changed them; the v2 bytes the worker writes today are pinned on their own.
"""

from __future__ import annotations

import hashlib
from datetime import UTC, datetime
from pathlib import Path

from app.contracts.codec import AvroCodec
from domain.ledger import Context, Inbound, MemoryLedger, decide
from domain.records.common import SourceRef
from domain.records.erp import BillingCommand
from tests.support.seed import erp_feed, psa_feed

# Written by commit 690a02a (one JSON value per project): "<command id> <sha256 of the encoded command>".
GOLDEN = Path(__file__).parents[2] / "support" / "seed_commands.sha256"
# The same commands as billing_command v2 writes them: v1's fields plus accounting_date and natural_date.
GOLDEN_V2 = Path(__file__).parents[2] / "support" / "seed_commands_v2.sha256"


def _commands() -> list[BillingCommand]:
    ledgers: dict[str, MemoryLedger] = {}
    commands: list[BillingCommand] = []
    for offset, (spec, key, record) in enumerate(psa_feed() + erp_feed()):
        source = SourceRef(event_id=record.event_id, topic=spec.name, partition=0, offset=offset)
        ledger = ledgers.setdefault(key, MemoryLedger(key))
        decision = decide(
            ledger, Inbound(record=record, source=source), Context(now=datetime(2026, 3, 3, tzinfo=UTC))
        )
        ledger.apply(decision)
        commands += decision.commands
    return commands


def test_the_seed_scenario_emits_byte_identical_commands_to_the_whole_value_ledger() -> None:
    codec = AvroCodec.from_directory()
    v1 = next(v for v in codec.versions() if (v.subject, v.version) == ("billing_command", 1))

    lines = [
        f"{c.command_id} {hashlib.sha256(codec.encode_with(v1, c.model_dump())).hexdigest()}"
        for c in _commands()
    ]

    assert lines == GOLDEN.read_text().splitlines()


def test_the_seed_scenario_commands_as_the_worker_writes_them_today() -> None:
    codec = AvroCodec.from_directory()

    lines = [f"{c.command_id} {hashlib.sha256(codec.encode(c)).hexdigest()}" for c in _commands()]

    assert lines == GOLDEN_V2.read_text().splitlines()
