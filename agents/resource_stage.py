"""The resource stage of the pipeline: resource plans, and assignments forwarded by project."""

from __future__ import annotations

from agents.commit import BatchCommit
from agents.inbound import decode, redrive_of, settled, settled_after
from agents.subjects import Subjects, Touched
from app.contracts.topics import ASSIGNMENTS_BY_PROJECT, PSA_RESOURCE_ASSIGNMENTS
from app.contracts.topology import RESOURCE_PLAN
from app.faust_workarounds.bulk import Delivered
from app.runtime.runtime import Runtime
from domain.exceptions import quarantine
from domain.forecast import RESOURCE_AGGREGATE, ResourcePlanView
from domain.forecast import resource as plan_rules
from domain.forecast.legacy import LegacyResourcePlan, split_resource
from domain.records.ops import BusinessException, ExceptionReason, SourceRecord
from domain.records.psa import ResourceAssignment
from tables.keyed import KeyedTable
from tables.legacy import LegacyTable


class ResourceStage:
    """Apply assignments and time (re-keyed by resource) to each resource's plan."""

    def __init__(self, runtime: Runtime, plans: KeyedTable, legacy: LegacyTable):
        self._runtime = runtime
        self._plans, self._legacy = plans, legacy
        self.models = {runtime.topic_name(spec): runtime.model_for(spec) for spec in RESOURCE_PLAN.inputs}
        # Only psa.resource-assignments is this stage's to quarantine: time reaches it re-keyed, decoded.
        self._quarantined = runtime.topic_name(PSA_RESOURCE_ASSIGNMENTS)
        self._by_project = runtime.topic_name(ASSIGNMENTS_BY_PROJECT)
        self.views: Subjects[ResourcePlanView] = Subjects(plans, self._view, self._settle)

    def topics(self) -> set[str]:
        """Return the topics this stage reads."""
        return set(self.models)

    async def handle(self, batch: BatchCommit, event: Delivered, source: SourceRecord) -> None:
        """Apply one record to its resource's plan."""
        redrive = redrive_of(event, RESOURCE_PLAN.name)
        record = decode(self._runtime.codec, source, self.models[source.topic])
        cause = batch.cause(source.partition)
        if isinstance(record, BusinessException):
            if source.topic == self._quarantined:
                mine = record.model_copy(update={"details": {**record.details, "agent": RESOURCE_PLAN.name}})
                await self._report(batch, source, settled(redrive, mine))
            return
        if isinstance(record, ResourceAssignment) and source.topic == self._quarantined:
            # Re-keyed by project inside this partition's transaction: it commits with this record.
            key = record.project_id.encode()
            await batch.outputs.raw(cause, self._by_project, key, source.raw_value)
        resource_id: str = getattr(record, "resource_id")  # noqa: B009 - every plan input names its resource
        try:
            touched = await self.views.touch(batch, resource_id, source.partition, record)
            if plan_rules.apply(touched.view, record, self._runtime.forecast):  # type: ignore[arg-type]
                Subjects.caused(touched, record, source)
        except Exception as exc:  # a rule bug or unreadable state must not stop the partition
            failure = quarantine(
                source,
                ExceptionReason.PROCESSING_ERROR,
                f"{type(exc).__name__}: {exc}",
                seen_at=record.occurred_at,
                details={"agent": RESOURCE_PLAN.name},
            )
            await self._report(batch, source, settled(redrive, failure))
            return
        await self._report(batch, source, settled_after(redrive, (), source, record))

    async def settle(self, batch: BatchCommit, due: set[int]) -> None:
        """Settle the resource plans of due partitions."""
        await self.views.end_batch(batch, due)

    async def _settle(self, batch: BatchCommit, resource_id: str, touched: Touched[ResourcePlanView]) -> None:
        run = touched.run
        if run is None:  # Subjects settles only subjects with a run
            return
        settled = plan_rules.settle(
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

    def _view(self, batch: BatchCommit, partition: int, resource_id: str) -> ResourcePlanView:
        reader = batch.state(self._plans).reader(partition, resource_id)
        if reader.get(RESOURCE_AGGREGATE, "") is None:
            raw = self._legacy.value(partition, resource_id)
            if raw is not None:
                old = LegacyResourcePlan.model_validate_json(raw)
                batch.state(self._plans).apply(partition, resource_id, split_resource(old))
                batch.delete_legacy(self._legacy.table, partition, resource_id.encode())
        return ResourcePlanView(resource_id, reader)

    async def _report(
        self, batch: BatchCommit, source: SourceRecord, exceptions: tuple[BusinessException, ...]
    ) -> None:
        cause = batch.cause(source.partition)
        for exc in exceptions:
            await batch.outputs.exception(cause, exc)
