"""Run forecast rules over a keyed stream: decode, load state, apply, save, send deltas and exceptions."""

from __future__ import annotations

import time
from collections.abc import AsyncIterator, Callable, Mapping
from typing import Any, TypeVar

from agents.batching import Staged, batches, changelogs_sent, observe_batch
from agents.intake import decode, redrive_of, settled, settled_after, source_record
from agents.outbox import Outbox
from app.faust_app import Runtime
from app.metrics import PROCESSING_SECONDS
from domain.forecast import ProjectForecastState, ResourcePlan, Step
from domain.quarantine import quarantine
from domain.records.common import Event
from domain.records.ops import BusinessException, ExceptionReason
from tables.json_table import JsonTable

S = TypeVar("S", ResourcePlan, ProjectForecastState)


# A forecast rule: `(state, event, ctx, *, as_of) -> Step`, each for its own event type.
Rule = Callable[..., Step[S]]


def register_forecast_agent(
    runtime: Runtime,
    name: str,
    channel: Any,
    models: Mapping[str, type[Event]],
    rules: Mapping[type[Event], Rule[S]],
    table: JsonTable[S],
    key_of: Callable[[Event], str],
    new_state: Callable[[str], S],
    quarantined: frozenset[str],
) -> None:
    """Declare an agent applying `rules` to the records of `channel`, keeping state in `table`.

    `models` names the record type of each topic. A record that does not decode is quarantined here only
    if its topic is in `quarantined`: the project-ledger agent already reports bad records of the topics it
    shares with this agent, and one bad record must make one exception, not one per agent.
    """
    outbox = Outbox(runtime)
    latency = PROCESSING_SECONDS.labels(name)

    async def report(exceptions: tuple[BusinessException, ...]) -> None:
        for exception in exceptions:
            await outbox.exception(exception)

    async def handle(event: Any, staged: Staged[S]) -> int:
        """Apply one record's rule on its key's staged state and send (not yet await) its outputs."""
        source = source_record(event)
        redrive = redrive_of(event, name)
        record = decode(runtime.codec, source, models[source.topic])
        if isinstance(record, BusinessException):
            if source.topic in quarantined:
                mine = record.model_copy(update={"details": {**record.details, "agent": name}})
                await report(settled(redrive, mine))
            return 0
        key = key_of(record)
        try:
            # Event time, not the wall clock, says which months are closed: replays compute the same.
            step = rules[type(record)](
                staged.get(key) or new_state(key), record, runtime.forecast, as_of=record.occurred_at
            )
        except Exception as exc:  # a rule bug or unreadable state must not stop the partition
            failure = quarantine(
                source,
                ExceptionReason.PROCESSING_ERROR,
                f"{type(exc).__name__}: {exc}",
                seen_at=record.occurred_at,
                project_id=getattr(record, "project_id", None),
                details={"agent": name},
            )
            await report(settled(redrive, failure))
            return 0
        for delta in step.deltas:
            await outbox.delta(delta)
        await report(settled_after(redrive, step.exceptions, source, record))
        staged.put(key, step.state, event)
        return len(step.deltas)

    @runtime.app.agent(channel, name=name)
    async def apply_rules(stream: Any) -> AsyncIterator[int]:
        async for events in batches(stream, runtime.settings):
            started = time.perf_counter()
            staged = Staged(table)
            emitted = 0
            for event in events:
                emitted += await handle(event, staged)
            await outbox.delivered()
            yield emitted
            # Saved after the outputs are acknowledged, acked once the changelog is sent: see project_ledger.
            staged.save()
            await changelogs_sent(runtime.app)
            observe_batch(latency, started, len(events))
