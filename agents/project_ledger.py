"""Keep each project's ledger and post what it decides to the ERP and the exception queue."""

from __future__ import annotations

import time
from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from agents.batching import Staged, batches, changelogs_sent, observe_batch, writing_for
from agents.intake import decode, redrive_of, settled, source_record, source_ref
from agents.outbox import Outbox
from app.faust_app import Runtime
from app.metrics import PROCESSING_SECONDS
from app.topics import (
    ERP_BILLING_STATUS,
    LEDGER_CORRECTIONS,
    PROJECT_PARTITIONS,
    PSA_MILESTONES,
    PSA_PROJECTS,
    PSA_TIME_ENTRIES,
)
from domain.ledger import Context, Inbound, ProjectLedger, decide
from domain.quarantine import quarantine
from domain.records.erp import BillingCommand
from domain.records.ops import BusinessException, ExceptionReason, SourceRecord
from domain.redrive import LEDGER_AGENT
from tables.applied_offsets import PROJECT_LEDGER_GUARD, AppliedOffsets
from tables.project_ledgers import ProjectLedgers, project_ledgers

# One agent for every project-keyed input: a project's events are then handled one at a time, in
# partition order, by the worker that owns the project's table partition. Replay corrections are an input
# too: a later revision must reverse the charge a replay put live, not the one it already reversed.
INPUTS = (PSA_PROJECTS, PSA_TIME_ENTRIES, PSA_MILESTONES, ERP_BILLING_STATUS, LEDGER_CORRECTIONS)


@dataclass(frozen=True)
class Outcome:
    """What one input record led to; yielded so tests (and reply_to callers) can observe it."""

    commands: tuple[BillingCommand, ...] = ()
    exceptions: tuple[BusinessException, ...] = ()


def register(runtime: Runtime) -> ProjectLedgers:
    """Declare the project ledger table and the agent that keeps it."""
    ledgers = project_ledgers(runtime.app)
    applied = AppliedOffsets(runtime.app, PROJECT_LEDGER_GUARD, PROJECT_PARTITIONS)
    outbox = Outbox(runtime)
    models = {runtime.topic_name(spec): runtime.model_for(spec) for spec in INPUTS}
    settings = runtime.settings
    latency = PROCESSING_SECONDS.labels("project_ledger")

    def context(ledger: ProjectLedger | None) -> Context:
        entity = ledger.contract.legal_entity if ledger is not None and ledger.contract is not None else None
        return Context(
            now=datetime.now(UTC),
            closed_periods=runtime.periods.closed_for(entity),
            park_limit=settings.park_limit,
        )

    async def _report(exceptions: tuple[BusinessException, ...]) -> Outcome:
        for exc_record in exceptions:
            await outbox.exception(exc_record)
        return Outcome(exceptions=exceptions)

    async def handle(event: Any, source: SourceRecord, staged: Staged[ProjectLedger]) -> Outcome:
        """Decide one record on its project's staged ledger and send (not yet await) its outputs."""
        redrive = redrive_of(event, LEDGER_AGENT)
        record = decode(runtime.codec, source, models[source.topic])
        if isinstance(record, BusinessException):
            return await _report(settled(redrive, record))
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
            return await _report(settled(redrive, failure))
        for command in decision.commands:
            await outbox.command(command)
        for exc_record in decision.exceptions:
            await outbox.exception(exc_record)
        staged.put(project_id, decision.ledger, event)
        return Outcome(commands=decision.commands, exceptions=decision.exceptions)

    @runtime.app.agent(runtime.topic(*INPUTS), name=LEDGER_AGENT)
    async def project_ledger(stream: Any) -> AsyncIterator[Outcome]:
        async for events in batches(stream, settings):
            started = time.perf_counter()
            staged = Staged(ledgers)
            outcomes, handled = [], []
            for event in events:
                source = source_record(event)
                if not applied.seen(source):
                    outcomes.append(await handle(event, source, staged))
                    handled.append((event, source))
            await outbox.delivered()
            yield Outcome(
                commands=tuple(c for o in outcomes for c in o.commands),
                exceptions=tuple(e for o in outcomes for e in o.exceptions),
            )
            # Saved only after the outputs are acknowledged: Faust commits every changelog write of the open
            # transaction, acked or not, so a write must never precede outputs a stop could still cancel.
            # The batch is acked when the next one is asked for, once its changelog records are sent.
            staged.save()
            for event, source in handled:
                with writing_for(event):
                    applied.mark(source)
            await changelogs_sent(runtime.app)
            observe_batch(latency, started, len(events))

    return ledgers
