"""The project stages of the pipeline: the ledger, the project forecast, and time forwarded by resource."""

from __future__ import annotations

from typing import Any

from agents.commit import BatchCommit
from agents.inbound import decode, redrive_of, settled, settled_after, source_ref
from agents.subjects import Subjects, Touched
from app.contracts.topics import ENTRY_MOVES, TIME_BY_RESOURCE
from app.contracts.topology import PROJECT_FORECAST, PROJECT_LEDGER
from app.faust_workarounds.bulk import Delivered
from app.runtime.runtime import Runtime
from domain.exceptions import quarantine
from domain.forecast import PROJECT_AGGREGATE, ProjectForecastView
from domain.forecast import project as forecast_rules
from domain.forecast.calendar import day_of, period_of
from domain.forecast.legacy import LegacyProjectForecast, split_project
from domain.ledger import Context, Decision, Inbound, Kind, decide
from domain.ledger.legacy import LegacyLedger, split
from domain.ledger.state import Mark, ProjectTotals
from domain.moves import MovedAway
from domain.records.common import Event
from domain.records.ops import BusinessException, ExceptionReason, SourceRecord
from domain.records.psa import TimeEntry
from domain.state import Delete, Put
from tables.items import PARKING, PARKING_KIND, PROJECTS, PROJECTS_KIND, ROLLED, ROLLED_KIND
from tables.keyed import BatchState, KeyedTable
from tables.legacy import LegacyTable


class ProjectStages:
    """Decide each project input on the project's ledger and forecast; forward time to its resource."""

    def __init__(
        self,
        runtime: Runtime,
        ledger: KeyedTable,
        forecast: KeyedTable,
        legacy_ledger: LegacyTable,
        legacy_forecast: LegacyTable,
    ):
        self._runtime = runtime
        self._ledger, self._forecast = ledger, forecast
        self._legacy_ledger, self._legacy_forecast = legacy_ledger, legacy_forecast
        names = runtime.topic_name
        self.ledger_topics = {names(spec): runtime.model_for(spec) for spec in PROJECT_LEDGER.inputs}
        self.forecast_topics = {names(spec): runtime.model_for(spec) for spec in PROJECT_FORECAST.inputs}
        self._time_by_resource = names(TIME_BY_RESOURCE)
        self._entry_moves = names(ENTRY_MOVES)
        self.views: Subjects[ProjectForecastView] = Subjects(forecast, self._forecast_view, self._settle)

    def topics(self) -> set[str]:
        """Return the topics these stages read."""
        return set(self.ledger_topics) | set(self.forecast_topics)

    async def handle(self, batch: BatchCommit, event: Delivered, source: SourceRecord) -> Decision:
        """Decide one project record; return the ledger's decision (empty for a forecast-only input)."""
        ledger_stage = source.topic in self.ledger_topics
        stage = PROJECT_LEDGER.name if ledger_stage else PROJECT_FORECAST.name
        redrive = redrive_of(event, stage)
        model = self.ledger_topics.get(source.topic) or self.forecast_topics[source.topic]
        record = decode(self._runtime.codec, source, model)
        if isinstance(record, BusinessException):
            # One bad record, one exception: the ledger reports those of the topics it reads.
            exceptions = settled(redrive, record) if ledger_stage else ()
            await self._report(batch, source, exceptions)
            return Decision(exceptions=exceptions)
        if source.topic == self._entry_moves:
            # What the entry's previous project learns: the revision that took the entry elsewhere.
            moved = MovedAway.of(record) if isinstance(record, TimeEntry) else None
            if moved is None:
                return Decision()
            record = moved
        decision = Decision()
        if ledger_stage:
            decision = await self._ledger_step(batch, event, source, record, redrive)
        if source.topic in self.forecast_topics:
            await self._forecast_step(batch, event, source, record)
        if isinstance(record, TimeEntry):
            # Re-keyed by resource inside this partition's transaction: it commits with this record.
            key = record.resource_id.encode()
            await batch.outputs.raw(
                batch.cause(source.partition), self._time_by_resource, key, source.raw_value
            )
        return decision

    async def settle(self, batch: BatchCommit, due: set[int]) -> None:
        """Settle the project forecasts of due partitions: at most one delta per key, net of its run."""
        await self.views.end_batch(batch, due)

    async def _settle(
        self, batch: BatchCommit, project_id: str, touched: Touched[ProjectForecastView]
    ) -> None:
        run = touched.run
        if run is None:  # Subjects settles only subjects with a run
            return
        settled = forecast_rules.settle(
            touched.view,
            self._runtime.forecast,
            as_of=run.as_of,
            cause=run.cause,
            causes=run.causes,
            source=touched.source,
        )
        cause = batch.cause(touched.partition)
        for delta in settled.deltas:
            await batch.outputs.delta(cause, delta)
        for exc in settled.exceptions:
            await batch.outputs.exception(cause, exc)

    async def _ledger_step(
        self, batch: BatchCommit, event: Any, source: SourceRecord, record: Event, redrive: Any
    ) -> Decision:
        project_id: str = getattr(record, "project_id")  # noqa: B009 - every ledger input names its project
        state = batch.state(self._ledger)
        reader = state.reader(source.partition, project_id)
        try:
            # Inside the try: state this code cannot read (written by another version) must park the record
            # like a rule bug, not crash-loop the worker.
            if reader.get(Kind.TOTALS, "") is None:
                self._migrate_ledger(batch, source.partition, project_id)
            totals = reader.get(Kind.TOTALS, "")
            contract = totals.contract if isinstance(totals, ProjectTotals) else None
            inbound = Inbound(record=record, source=source_ref(record, source), redrive=redrive, raw=source)
            decision = decide(
                reader, inbound, self._context(None if contract is None else contract.legal_entity)
            )
        except Exception as exc:  # a rule bug must not stop the partition: park the record instead
            failure = quarantine(
                source,
                ExceptionReason.PROCESSING_ERROR,
                f"{type(exc).__name__}: {exc}",
                seen_at=record.occurred_at,
                project_id=project_id,
            )
            exceptions = settled(redrive, failure)
            await self._report(batch, source, exceptions)
            return Decision(exceptions=exceptions)
        cause = batch.cause(source.partition)
        for command in decision.commands:
            await batch.outputs.command(cause, command)
        for move in decision.moves:
            # To the entry's previous project, in this record's transaction (domain.moves).
            value = self._runtime.codec.encode(move.entry)
            await batch.outputs.raw(cause, self._entry_moves, move.project_id.encode(), value)
        await self._report(batch, source, decision.exceptions)
        state.apply(source.partition, project_id, decision.changes)
        index_parked(state, source.partition, project_id)
        return decision

    async def _forecast_step(
        self, batch: BatchCommit, event: Any, source: SourceRecord, record: Event
    ) -> None:
        project_id: str = getattr(record, "project_id")  # noqa: B009 - every forecast input names its project
        redrive = redrive_of(event, PROJECT_FORECAST.name)
        try:
            touched = await self.views.touch(batch, project_id, source.partition, record)
            if forecast_rules.apply(touched.view, record, self._runtime.forecast):  # type: ignore[arg-type]
                Subjects.caused(touched, record, source)
        except Exception as exc:  # a rule bug or unreadable state must not stop the partition
            failure = quarantine(
                source,
                ExceptionReason.PROCESSING_ERROR,
                f"{type(exc).__name__}: {exc}",
                seen_at=record.occurred_at,
                project_id=project_id,
                details={"agent": PROJECT_FORECAST.name},
            )
            await self._report(batch, source, settled(redrive, failure))
            return
        await self._report(batch, source, settled_after(redrive, (), source, record))

    async def roll_quiet(self, batch: BatchCommit, partition: int) -> None:
        """Roll every project of a partition to the new month, once when one begins (on the periodic tick).

        A quiet project gets no event to move its clock: without this its forecast would keep last month as
        the current one (domain.forecast.project.roll).
        """
        now = self._runtime.clock()
        month = period_of(day_of(now))
        state = batch.state(self._forecast)
        rolled = state.reader(partition, ROLLED).get(ROLLED_KIND, "")
        if isinstance(rolled, Mark) and rolled.at >= month:
            return
        cause = batch.cause(partition)

        async def roll(view: ProjectForecastView) -> None:
            settled = forecast_rules.roll(view, self._runtime.forecast, now)
            for delta in settled.deltas:
                await batch.outputs.delta(cause, delta)
            for exc in settled.exceptions:
                await batch.outputs.exception(cause, exc)

        for project_id, _ in list(state.reader(partition, PROJECTS).scan(PROJECTS_KIND)):
            await self.views.roll(batch, project_id, partition, roll)
        state.apply(partition, ROLLED, (Put(kind=ROLLED_KIND, item="", value=Mark(at=month)),))

    def _forecast_view(self, batch: BatchCommit, partition: int, project_id: str) -> ProjectForecastView:
        """Open a project's forecast as the batch sees it (splitting a legacy value on first use)."""
        state = batch.state(self._forecast)
        reader = state.reader(partition, project_id)
        if reader.get(PROJECT_AGGREGATE, "") is None:
            # A project new to this table: the periodic tick rolls its months from now on.
            state.apply(partition, PROJECTS, (Put(kind=PROJECTS_KIND, item=project_id, value=Mark()),))
            raw = self._legacy_forecast.value(partition, project_id)
            if raw is not None:
                old = LegacyProjectForecast.model_validate_json(raw)
                batch.state(self._forecast).apply(partition, project_id, split_project(old))
                batch.delete_legacy(self._legacy_forecast.table, partition, project_id.encode())
        return ProjectForecastView(project_id, reader)

    def _migrate_ledger(self, batch: BatchCommit, partition: int, project_id: str) -> None:
        """Split a ledger saved whole by an earlier version into items, once, in this batch."""
        raw = self._legacy_ledger.value(partition, project_id)
        if raw is None:
            return
        batch.state(self._ledger).apply(partition, project_id, split(LegacyLedger.model_validate_json(raw)))
        batch.delete_legacy(self._legacy_ledger.table, partition, project_id.encode())

    def _context(self, legal_entity: str | None) -> Context:
        settings = self._runtime.settings
        return Context(
            now=self._runtime.clock(),
            closed_periods=self._runtime.periods.closed_for(legal_entity),
            park_limit=settings.park_limit,
        )

    async def _report(
        self, batch: BatchCommit, source: SourceRecord, exceptions: tuple[BusinessException, ...]
    ) -> None:
        cause = batch.cause(source.partition)
        for exc in exceptions:
            await batch.outputs.exception(cause, exc)


def index_parked(state: BatchState, partition: int, project_id: str) -> None:
    """Keep the partition's parking index in step with the project's parked count (what the sweep reads)."""
    reader = state.reader(partition, PARKING)
    totals = state.reader(partition, project_id).get(Kind.TOTALS, "")
    parked = isinstance(totals, ProjectTotals) and totals.parked > 0
    indexed = reader.get(PARKING_KIND, project_id) is not None
    if parked and not indexed:
        state.apply(partition, PARKING, (Put(kind=PARKING_KIND, item=project_id, value=Mark()),))
    elif indexed and not parked:
        state.apply(partition, PARKING, (Delete(kind=PARKING_KIND, item=project_id),))
