"""The sweep of parked items stages what it decides before it sends anything."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path
from typing import Any

from agents.sweep import Sweep
from app.contracts.codec import AvroCodec
from app.contracts.topics import partition_for
from app.faust_workarounds.store import local_write
from app.runtime.runtime import build_runtime
from app.runtime.settings import Settings
from domain.ledger import Kind, ProjectTotals
from domain.ledger.state import Ignored, Mark
from domain.records.ops import BusinessException, ExceptionReason, SourceRecord
from domain.state import Put
from tables.items import PARKING, PARKING_KIND, ledger_items
from tables.keyed import BatchState, KeyedTable
from tests.support.factories import T0, context, play, time_entry


class _Batch:
    """What the sweep is handed: the batch's staged ledger, its outputs and the cause of its writes."""

    def __init__(self, state: BatchState, on_send: Any):
        self._state = state
        self.outputs = self
        self.sent: list[BusinessException] = []
        self._on_send = on_send

    def state(self, table: KeyedTable) -> BatchState:
        return self._state

    def cause(self, partition: int) -> tuple[str, int]:
        return ("ticks", partition)

    async def exception(self, cause: tuple[str, int], exc: BusinessException) -> None:
        self.sent.append(exc)
        self._on_send()  # meanwhile, something else stages a change to the same project


async def test_a_change_staged_while_the_sweep_sends_is_not_overwritten_by_its_copy(tmp_path: Path) -> None:
    settings = Settings.from_env(
        {"broker": "127.0.0.1:1", "store": "memory://", "app_id": "sweep-tests", "data_dir": tmp_path}
    )
    runtime = build_runtime(settings, AvroCodec.from_directory())
    ledger = ledger_items(runtime.app)
    partition = partition_for("P-X", ledger.partitions)
    parked = play(time_entry("P-X", entry_id="TE-X"), ctx=context(now=T0 - timedelta(days=3))).ledger
    items = {
        KeyedTable.key("P-X", k, i): v.model_dump_json().encode() for (k, i), v in parked.state.items.items()
    }
    items[KeyedTable.key(PARKING, PARKING_KIND, "P-X")] = Mark().model_dump_json().encode()
    local_write(ledger.table, partition, items)
    state = BatchState(ledger)

    def another_writer() -> None:
        totals = state.reader(partition, "P-X").get(Kind.TOTALS, "")
        assert isinstance(totals, ProjectTotals)
        saved = totals.model_copy(update={"ignored": Ignored(time_revisions=7)})
        state.apply(partition, "P-X", (Put(kind=Kind.TOTALS, item="", value=saved),))

    batch = _Batch(state, another_writer)
    tick = SourceRecord(topic="ticks", partition=partition, offset=0)

    await Sweep(runtime, ledger).handle(batch, None, tick)  # type: ignore[arg-type]

    assert [e.reason for e in batch.sent] == [ExceptionReason.UNKNOWN_PROJECT]
    totals = state.reader(partition, "P-X").get(Kind.TOTALS, "")
    assert isinstance(totals, ProjectTotals)
    assert totals.ignored.time_revisions == 7  # what was staged meanwhile survives
    assert state.reader(partition, "P-X").get(Kind.RAISED, batch.sent[0].exception_id) is not None
