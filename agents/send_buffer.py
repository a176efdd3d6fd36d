"""A batch's outgoing records: queued in the transaction of their cause's partition, flushed together."""

from __future__ import annotations

from app.contracts.topics import (
    ERP_BILLING_COMMANDS,
    FORECAST_DELTAS,
    FORECAST_SNAPSHOTS,
    OPS_EXCEPTIONS,
    TopicSpec,
)
from app.runtime.metrics import EVENTS_OUT, EXCEPTIONS
from app.runtime.runtime import Runtime
from app.runtime.sink import Placed
from domain.records.erp import BillingCommand
from domain.records.forecast import ForecastDelta, ForecastSnapshot
from domain.records.ops import BusinessException

Cause = tuple[str, int]  # (topic, partition) of the record a send belongs with


class SendBuffer:
    """The records of one batch, not yet sent; `delivered()` sends them and awaits the broker's acks."""

    def __init__(self, runtime: Runtime):
        self._runtime = runtime
        self._counted: dict[str, int] = {}

    async def raw(
        self,
        cause: Cause,
        topic: str,
        key: bytes | None,
        value: bytes | None,
        partition: int | None = None,
        headers: list[tuple[str, bytes]] | None = None,
    ) -> Placed:
        """Queue bytes for a concrete topic in the cause's transaction."""
        return await self._runtime.sink.send(cause, topic, key, value, partition, headers)

    async def _send(self, cause: Cause, spec: TopicSpec, key: bytes | None, value: bytes) -> None:
        name = self._runtime.topic_name(spec)
        await self.raw(cause, name, key, value)
        self._counted[name] = self._counted.get(name, 0) + 1

    async def command(self, cause: Cause, command: BillingCommand) -> None:
        """Send a billing command, keyed by project so a project's commands stay in order."""
        await self._send(
            cause, ERP_BILLING_COMMANDS, command.project_id.encode(), self._runtime.codec.encode(command)
        )

    async def exception(self, cause: Cause, exc: BusinessException) -> None:
        """Send an exception, keyed by project, else resource, else the source record's key."""
        subject = exc.project_id or exc.resource_id
        key = subject.encode() if subject else (exc.source.raw_key if exc.source else None)
        EXCEPTIONS.labels(exc.reason.value).inc()
        await self._send(cause, OPS_EXCEPTIONS, key, self._runtime.codec.encode(exc))

    async def delta(self, cause: Cause, delta: ForecastDelta) -> None:
        """Send a forecast delta and the snapshot it leaves, so the compacted topic holds the latest value."""
        codec = self._runtime.codec
        datum = delta.model_dump()
        await self._send(
            cause, FORECAST_DELTAS, delta.subject_id.encode(), codec.encode_datum(ForecastDelta, datum)
        )
        # Built as a plain datum from the delta's: a ForecastSnapshot model would validate what the delta was.
        envelope = datum["envelope"]
        snapshot = {
            "envelope": {
                "event_id": f"snap:{delta.event_id}",
                "event_type": "forecast.snapshot",
                "occurred_at": envelope["occurred_at"],
                "source_system": "psflow",
                "correlation_id": envelope["correlation_id"],
                "causation_id": delta.event_id,
            },
            "subject_type": datum["subject_type"],
            "subject_id": delta.subject_id,
            "period": delta.period,
            "metric": delta.metric,
            "value": datum["current"],
            "unit": delta.unit,
            "as_of": datum["as_of"],
            "delta_event_id": delta.event_id,
        }
        key = f"{delta.subject_type.value}:{delta.subject_id}:{delta.period}:{delta.metric}"
        await self._send(
            cause, FORECAST_SNAPSHOTS, key.encode(), codec.encode_datum(ForecastSnapshot, snapshot)
        )

    async def delivered(self) -> None:
        """Send the batch's records and wait until the broker has acknowledged every one."""
        await self._runtime.sink.flush()
        for topic, count in self._counted.items():
            EVENTS_OUT.labels(topic).inc(count)
        self._counted.clear()

    def discard(self) -> None:
        """Forget the batch's records (it was abandoned)."""
        self._counted.clear()
        self._runtime.sink.discard()
