"""Send typed records to catalog topics through the codec, counting what goes out."""

from __future__ import annotations

from app.faust_app import Runtime
from app.metrics import EVENTS_OUT, EXCEPTIONS
from app.topics import ERP_BILLING_COMMANDS, OPS_EXCEPTIONS, TopicSpec
from domain.records.erp import BillingCommand
from domain.records.ops import BusinessException


class Outbox:
    """The outputs of an agent; inside an agent, sends join the partition's Kafka transaction."""

    def __init__(self, runtime: Runtime):
        self._runtime = runtime

    async def _send(self, spec: TopicSpec, key: bytes | None, value: bytes) -> None:
        topic = self._runtime.topic(spec)
        await topic.send(key=key, value=value)
        EVENTS_OUT.labels(self._runtime.topic_name(spec)).inc()

    async def command(self, command: BillingCommand) -> None:
        """Send a billing command, keyed by project so a project's commands stay in order."""
        await self._send(
            ERP_BILLING_COMMANDS, command.project_id.encode(), self._runtime.codec.encode(command)
        )

    async def exception(self, exc: BusinessException) -> None:
        """Send an exception, keyed by project when known, else by the source record's key."""
        key = exc.project_id.encode() if exc.project_id else (exc.source.raw_key if exc.source else None)
        EXCEPTIONS.labels(exc.reason.value).inc()
        await self._send(OPS_EXCEPTIONS, key, self._runtime.codec.encode(exc))
