"""Run forecast rules over a keyed stream: decode, load state, apply, save, send deltas and exceptions."""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable, Mapping
from typing import Any, TypeVar

from agents.commit import BatchCommit, StagedTable, batches
from agents.inbound import decode, redrive_of, settled, settled_after, source_record
from agents.send_buffer import SendBuffer
from app.contracts.topics import TopicSpec
from app.contracts.topology import AgentSpec
from app.runtime.metrics import PROCESSING_SECONDS
from app.runtime.runtime import Runtime
from domain.exceptions import quarantine
from domain.forecast import ProjectForecastState, ResourcePlan, Step
from domain.records.common import Event
from domain.records.ops import BusinessException, ExceptionReason
from tables.json_table import JsonTable

S = TypeVar("S", ResourcePlan, ProjectForecastState)


# A forecast rule: `(state, event, ctx, *, as_of) -> Step`, each for its own event type.
Rule = Callable[..., Step[S]]


def register_forecast_agent(
    runtime: Runtime,
    spec: AgentSpec,
    rules: Mapping[type[Event], Rule[S]],
    table: JsonTable[S],
    key_of: Callable[[Event], str],
    new_state: Callable[[str], S],
    quarantined: tuple[TopicSpec, ...],
) -> None:
    """Declare an agent applying `rules` to the records of the spec's inputs, keeping state in `table`.

    A record that does not decode is quarantined here only if its topic is in `quarantined`: the
    project-ledger agent already reports bad records of the topics it shares with this agent, and one bad
    record must make one exception, not one per agent.
    """
    name = spec.name
    models = {runtime.topic_name(topic): runtime.model_for(topic) for topic in spec.inputs}
    quarantined_here = frozenset(runtime.topic_name(topic) for topic in quarantined)
    latency = PROCESSING_SECONDS.labels(name)

    async def report(outputs: SendBuffer, exceptions: tuple[BusinessException, ...]) -> None:
        for exception in exceptions:
            await outputs.exception(exception)

    async def handle(event: Any, staged: StagedTable[S], outputs: SendBuffer) -> int:
        """Apply one record's rule on its key's staged state and send (not yet await) its outputs."""
        source = source_record(event)
        redrive = redrive_of(event, name)
        record = decode(runtime.codec, source, models[source.topic])
        if isinstance(record, BusinessException):
            if source.topic in quarantined_here:
                mine = record.model_copy(update={"details": {**record.details, "agent": name}})
                await report(outputs, settled(redrive, mine))
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
            await report(outputs, settled(redrive, failure))
            return 0
        for delta in step.deltas:
            await outputs.delta(delta)
        await report(outputs, settled_after(redrive, step.exceptions, source, record))
        staged.put(key, step.state, event)
        return len(step.deltas)

    @runtime.app.agent(runtime.topic(*spec.inputs), name=name)
    async def apply_rules(stream: Any) -> AsyncIterator[int]:
        async for events in batches(stream, runtime.settings):
            batch = BatchCommit(runtime)
            staged = batch.stage(table)
            emitted = 0
            for event in events:
                emitted += await handle(event, staged, batch.outputs)
            await batch.commit()
            batch.observe(latency, len(events))
            yield emitted
