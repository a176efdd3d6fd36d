"""Keep each project's ledger and post what it decides to the ERP and the exception queue."""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from agents.commit import BatchCommit, StagedTable, batches
from agents.inbound import decode, redrive_of, settled, source_record, source_ref
from agents.send_buffer import SendBuffer
from app.contracts.topology import LEDGER_APPLIED_OFFSETS, PROJECT_LEDGER
from app.runtime.metrics import PROCESSING_SECONDS
from app.runtime.runtime import Runtime
from domain.exceptions import quarantine
from domain.ledger import Context, Inbound, ProjectLedger, decide
from domain.records.erp import BillingCommand
from domain.records.ops import BusinessException, ExceptionReason, SourceRecord
from tables.applied_offsets import AppliedOffsets
from tables.project_ledgers import ProjectLedgers, project_ledgers


@dataclass(frozen=True)
class Outcome:
    """What one input record led to; yielded so tests (and reply_to callers) can observe it."""

    commands: tuple[BillingCommand, ...] = ()
    exceptions: tuple[BusinessException, ...] = ()


def register(runtime: Runtime) -> ProjectLedgers:
    """Declare the project ledger table and the agent that keeps it."""
    ledgers = project_ledgers(runtime.app)
    guard = AppliedOffsets(runtime.app, LEDGER_APPLIED_OFFSETS)
    models = {runtime.topic_name(spec): runtime.model_for(spec) for spec in PROJECT_LEDGER.inputs}
    settings = runtime.settings
    latency = PROCESSING_SECONDS.labels("project_ledger")

    def context(ledger: ProjectLedger | None) -> Context:
        entity = ledger.contract.legal_entity if ledger is not None and ledger.contract is not None else None
        return Context(
            now=datetime.now(UTC),
            closed_periods=runtime.periods.closed_for(entity),
            park_limit=settings.park_limit,
        )

    async def report(outputs: SendBuffer, exceptions: tuple[BusinessException, ...]) -> Outcome:
        for exc_record in exceptions:
            await outputs.exception(exc_record)
        return Outcome(exceptions=exceptions)

    async def handle(
        event: Any, source: SourceRecord, staged: StagedTable[ProjectLedger], outputs: SendBuffer
    ) -> Outcome:
        """Decide one record on its project's staged ledger and send (not yet await) its outputs."""
        redrive = redrive_of(event, PROJECT_LEDGER.name)
        record = decode(runtime.codec, source, models[source.topic])
        if isinstance(record, BusinessException):
            return await report(outputs, settled(redrive, record))
        project_id: str = getattr(record, "project_id")  # noqa: B009 - every input names its project
        try:
            # Inside the try: a stored ledger this code cannot read (written by another version) must park
            # the record like a rule bug, not crash-loop the agent on every restart.
            ledger = staged.get(project_id)
            inbound = Inbound(record=record, source=source_ref(record, source), redrive=redrive)
            decision = decide(ledger, inbound, context(ledger))
        except Exception as exc:  # a rule bug must not stop the partition: park the record instead
            failure = quarantine(
                source,
                ExceptionReason.PROCESSING_ERROR,
                f"{type(exc).__name__}: {exc}",
                seen_at=record.occurred_at,
                project_id=project_id,
            )
            return await report(outputs, settled(redrive, failure))
        for command in decision.commands:
            await outputs.command(command)
        for exc_record in decision.exceptions:
            await outputs.exception(exc_record)
        staged.put(project_id, decision.ledger, event)
        return Outcome(commands=decision.commands, exceptions=decision.exceptions)

    @runtime.app.agent(runtime.topic(*PROJECT_LEDGER.inputs), name=PROJECT_LEDGER.name)
    async def project_ledger(stream: Any) -> AsyncIterator[Outcome]:
        async for events in batches(stream, settings):
            batch = BatchCommit(runtime, guard)
            staged = batch.stage(ledgers)
            outcomes = []
            for event in events:
                source = source_record(event)
                if not batch.already_applied(source):
                    outcomes.append(await handle(event, source, staged, batch.outputs))
                    batch.applied(event, source)
            await batch.commit()
            batch.observe(latency, len(events))
            yield Outcome(
                commands=tuple(c for o in outcomes for c in o.commands),
                exceptions=tuple(e for o in outcomes for e in o.exceptions),
            )

    return ledgers
