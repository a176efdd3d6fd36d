"""Report time and milestones parked for a project that never arrived, even when nothing else comes in."""

from __future__ import annotations

from agents.commit import BatchCommit
from agents.project_stage import index_parked
from app.faust_workarounds.bulk import Delivered
from app.runtime.runtime import Runtime
from domain.ledger import Context, expire_parked
from domain.records.ops import SourceRecord
from tables.items import PARKING, PARKING_KIND
from tables.keyed import KeyedTable


class Sweep:
    """On each tick of a partition, raise UNKNOWN_PROJECT for what waited past the park limit there."""

    def __init__(self, runtime: Runtime, ledger: KeyedTable):
        self._runtime = runtime
        self._ledger = ledger

    async def handle(self, batch: BatchCommit, event: Delivered, source: SourceRecord) -> None:
        """Sweep the tick's partition: only the projects its parking index lists are read."""
        settings = self._runtime.settings
        ctx = Context(
            now=self._runtime.clock(), closed_periods=settings.closed_periods, park_limit=settings.park_limit
        )
        state = batch.state(self._ledger)
        partition = source.partition
        for project_id, _ in list(state.reader(partition, PARKING).scan(PARKING_KIND)):
            decision = expire_parked(state.reader(partition, project_id), ctx)
            # Staged before any send is awaited: what the decision read is still what it writes over, so a
            # change staged for the project meanwhile is never overwritten with the copy read before it.
            state.apply(partition, project_id, decision.changes)
            index_parked(state, partition, project_id)
            for exc in decision.exceptions:
                await batch.outputs.exception(batch.cause(partition), exc)
