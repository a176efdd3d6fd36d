"""Send a batch's typed records to catalog topics through the codec, and await their acks together."""

from __future__ import annotations

from collections.abc import Awaitable

from app.contracts.topics import (
    ERP_BILLING_COMMANDS,
    FORECAST_DELTAS,
    FORECAST_SNAPSHOTS,
    OPS_EXCEPTIONS,
    TopicSpec,
)
from app.runtime.metrics import EVENTS_OUT, EXCEPTIONS
from app.runtime.runtime import Runtime
from domain.records.common import Envelope
from domain.records.erp import BillingCommand
from domain.records.forecast import ForecastDelta, ForecastSnapshot
from domain.records.ops import BusinessException


class SendBuffer:
    """The sends of one batch, not yet acknowledged; `delivered()` awaits the broker's ack of every one.

    Faust's exactly_once does not make these sends transactional: it chooses a transactional producer only
    for topics the app itself consumes, so sends to output topics go through its plain producer, and a
    transaction commit does not flush that producer. Waiting for the broker's acknowledgement of every
    output before moving to the next record means a committed input offset never outruns its outputs;
    a crash in between re-emits them, with the same ids and bytes.
    """

    def __init__(self, runtime: Runtime):
        self._runtime = runtime
        self._pending: list[Awaitable[object]] = []

    async def _send(self, spec: TopicSpec, key: bytes | None, value: bytes) -> None:
        topic = self._runtime.topic(spec)
        self._pending.append(await topic.send(key=key, value=value))
        EVENTS_OUT.labels(self._runtime.topic_name(spec)).inc()

    async def delivered(self) -> None:
        """Wait until the broker has acknowledged every output sent since the last call."""
        pending, self._pending = self._pending, []
        for future in pending:
            await future

    async def command(self, command: BillingCommand) -> None:
        """Send a billing command, keyed by project so a project's commands stay in order."""
        await self._send(
            ERP_BILLING_COMMANDS, command.project_id.encode(), self._runtime.codec.encode(command)
        )

    async def exception(self, exc: BusinessException) -> None:
        """Send an exception, keyed by project, else resource, else the source record's key."""
        subject = exc.project_id or exc.resource_id
        key = subject.encode() if subject else (exc.source.raw_key if exc.source else None)
        EXCEPTIONS.labels(exc.reason.value).inc()
        await self._send(OPS_EXCEPTIONS, key, self._runtime.codec.encode(exc))

    async def delta(self, delta: ForecastDelta) -> None:
        """Send a forecast delta and the snapshot it leaves, so the compacted topic holds the latest value."""
        codec = self._runtime.codec
        await self._send(FORECAST_DELTAS, delta.subject_id.encode(), codec.encode(delta))
        latest = ForecastSnapshot(
            envelope=Envelope(
                event_id=f"snap:{delta.event_id}",
                event_type="forecast.snapshot",
                occurred_at=delta.occurred_at,
                source_system="psflow",
                correlation_id=delta.envelope.correlation_id,
                causation_id=delta.event_id,
            ),
            subject_type=delta.subject_type,
            subject_id=delta.subject_id,
            period=delta.period,
            metric=delta.metric,
            value=delta.current,
            unit=delta.unit,
            as_of=delta.as_of,
            delta_event_id=delta.event_id,
        )
        await self._send(FORECAST_SNAPSHOTS, latest.key.encode(), codec.encode(latest))
