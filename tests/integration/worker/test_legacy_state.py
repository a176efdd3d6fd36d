"""A worker started on state written whole by the previous version splits it into items and goes on."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime

import pytest
from aiokafka.structs import TopicPartition

from app.contracts.topics import ERP_BILLING_COMMANDS, partition_for
from app.contracts.topology import PROJECT_LEDGERS
from domain.ledger import Context, Inbound, MemoryLedger, decide
from domain.ledger.legacy import LegacyLedger
from domain.records.common import SourceRef
from domain.records.erp import BillingCommand
from replay.kafka_read import Reader, commit
from tests.support.kafka_io import KafkaIO
from tests.support.replay_drills import state_of
from tests.support.seed import EXPECTED_ORION_STATE, erp_feed, psa_feed
from tests.support.workers import WorkerProcess

pytestmark = pytest.mark.integration
NOW = datetime(2026, 3, 3, tzinfo=UTC)


def _legacy_value(ledger: MemoryLedger) -> bytes:
    """Return a ledger as the previous version stored it: the whole history in one value."""
    whole = LegacyLedger(
        project_id=ledger.project_id,
        contract=ledger.contract,
        entries=ledger.entries,
        milestones=ledger.milestones,
        commands=ledger.commands,
        parked=ledger.parked,
        raised=ledger.raised,
        ignored=ledger.ignored,
    )
    return whole.model_dump_json().encode()


async def test_a_worker_on_a_changelog_in_the_old_format_splits_it_and_ends_like_a_clean_run(
    kafka_io: KafkaIO, start_worker: Callable[..., WorkerProcess]
) -> None:
    feed = psa_feed() + erp_feed()
    half = len(feed) // 2
    # The previous version processed the first half: its offsets are committed and its ledgers are on the
    # legacy table's changelog, one value per project.
    ledgers: dict[str, MemoryLedger] = {}
    for spec, key, record in feed[:half]:
        meta = await kafka_io.send(spec, key, record)
        source = SourceRef(
            event_id=record.event_id, topic=meta.topic, partition=meta.partition, offset=meta.offset
        )
        ledger = ledgers.setdefault(key, MemoryLedger(key))
        ledger.apply(decide(ledger, Inbound(record=record, source=source), Context(now=NOW)))
    group = f"psflow-{kafka_io.prefix.rstrip('.')}"
    changelog = PROJECT_LEDGERS.changelog_topic(group)
    await kafka_io.ensure_topic(changelog, PROJECT_LEDGERS.partitions, compacted=True)
    for project, ledger in ledgers.items():
        partition = partition_for(project, PROJECT_LEDGERS.partitions)
        await kafka_io.producer.send_and_wait(
            changelog, _legacy_value(ledger), key=project.encode(), partition=partition
        )
    async with Reader(kafka_io.kafka) as reader:
        inputs = {kafka_io.name(spec) for spec, _, _ in feed}
        tps = [TopicPartition(t, p) for t in inputs for p in range(6)]
        await commit(kafka_io.kafka, group, {tp: b[1] for tp, b in (await reader.bounds(tps)).items()})
    for spec, key, record in feed[half:]:
        await kafka_io.send(spec, key, record)

    worker = start_worker()

    # The state a clean run reaches, and exactly the commands the second half decides in a clean run.
    state_of(worker, "P-ORION", EXPECTED_ORION_STATE)
    clean = _clean_run_commands(feed, half)
    sent = [c for c in await kafka_io.read_to_end(ERP_BILLING_COMMANDS) if isinstance(c, BillingCommand)]
    # (Order across topics is the fetch's event-time merge, not the feed's: compare as sets.)
    assert sorted((c.command_id, c.amount) for c in sent) == sorted((c.command_id, c.amount) for c in clean)

    # Content too, but for lineage (the clean run here has no Kafka coordinates). Models compare amounts as
    # numbers: Avro carries rates at 4 decimals, the rules at 2.
    def content(commands: list[BillingCommand]) -> list[BillingCommand]:
        return [c.model_copy(update={"lineage": ()}) for c in sorted(commands, key=lambda c: c.command_id)]

    assert content(sent) == content(clean)
    # Every legacy value was split, then deleted from the legacy table.
    latest = await kafka_io.latest_values(changelog, PROJECT_LEDGERS.partitions)
    assert latest == dict.fromkeys((p.encode() for p in ledgers), None)


def _clean_run_commands(feed: list, half: int) -> list[BillingCommand]:
    """Return the commands the records after `half` issue when everything is decided in one run."""
    ledgers: dict[str, MemoryLedger] = {}
    commands: list[BillingCommand] = []
    for offset, (spec, key, record) in enumerate(feed):
        source = SourceRef(event_id=record.event_id, topic=spec.name, partition=0, offset=offset)
        ledger = ledgers.setdefault(key, MemoryLedger(key))
        decision = decide(ledger, Inbound(record=record, source=source), Context(now=NOW))
        ledger.apply(decision)
        if offset >= half:
            commands += decision.commands
    return commands
