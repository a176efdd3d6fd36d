"""Keep a worker's accounting calendar current: read erp.accounting-periods whole, then follow it.

Every worker reads the topic whole (one partition, no consumer group) before Faust starts, then keeps
following it, because a closed period concerns every project, whichever worker owns it: a restarted worker
never posts into a period that the ERP had already closed. Following alone would race: a close written
just before a batch could still be on its way to this worker while the batch posts. So each batch first
passes `caught_up()`: it asks the broker where the topic ends now and waits until the follower has applied
that far, so a posting decided after a close was written sees it.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Awaitable, Callable

from aiokafka.structs import TopicPartition

from app.contracts.codec import AvroCodec, DecodeError
from app.runtime.metrics import EXCEPTIONS
from app.security.kafka_clients import KafkaClients
from domain.periods import AccountingCalendar
from domain.records.erp import AccountingPeriod

log = logging.getLogger(__name__)


EndOffset = Callable[[], Awaitable[int]]


class PeriodFollower:
    """Feed an accounting calendar from the ERP's period topic."""

    def __init__(self, calendar: AccountingCalendar, end_offset: EndOffset | None = None):
        self.calendar = calendar
        # Where the topic ends now (asked of the broker); set once following starts, or given (tests).
        self._end_offset = end_offset
        self._position = 0
        self._moved = asyncio.Condition()

    async def caught_up(self) -> None:
        """Return once every period event written before this call is applied (at once when not following)."""
        while True:
            ask = self._end_offset
            if ask is None:
                return
            try:
                end = await ask()
                break
            except asyncio.CancelledError:
                raise
            except Exception:
                # Never post on a calendar that may be behind: wait for the broker rather than guess.
                log.warning("asking where the accounting periods end failed; asking again", exc_info=True)
                await asyncio.sleep(0.5)
        async with self._moved:
            await self._moved.wait_for(lambda: self._position >= end)

    async def applied_to(self, position: int) -> None:
        """Record that every event before offset `position` is applied to the calendar."""
        async with self._moved:
            self._position = max(self._position, position)
            self._moved.notify_all()

    async def follow(self, kafka: KafkaClients, topic: str, codec: AvroCodec) -> None:
        """Read the topic from the start and keep following it until cancelled; retry on any error."""
        while True:
            try:
                await self._read(kafka, topic, codec, until_end=False)
            except asyncio.CancelledError:
                raise
            except Exception:
                # A silent death here would leave closes unknown to this worker until its next start.
                log.exception("reading %s failed; retrying", topic)
                await asyncio.sleep(1.0)

    async def load(self, kafka: KafkaClients, topic: str, codec: AvroCodec) -> None:
        """Read the topic as it stands now.

        The worker calls this before Faust starts, so no agent has to wait for it: an agent that awaited
        before iterating its stream was seen to stall Faust after restarts.
        """
        await self._read(kafka, topic, codec, until_end=True)

    async def _read(self, kafka: KafkaClients, topic: str, codec: AvroCodec, until_end: bool) -> None:
        consumer = kafka.consumer(enable_auto_commit=False, isolation_level="read_committed")
        await consumer.start()
        try:
            partition = TopicPartition(topic, 0)
            consumer.assign([partition])
            await consumer.seek_to_beginning(partition)
            end = (await consumer.end_offsets([partition]))[partition]

            async def end_offset() -> int:
                found: int = (await consumer.end_offsets([partition]))[partition]
                return found

            if not until_end:
                self._end_offset = end_offset
            while not (until_end and await consumer.position(partition) >= end):
                batch = await consumer.getmany(partition, timeout_ms=1000)
                for record in batch.get(partition, []):
                    self._apply_raw(codec, record.value or b"", record.offset)
                await self.applied_to(await consumer.position(partition))
        finally:
            with contextlib.suppress(Exception):
                await consumer.stop()

    def _apply_raw(self, codec: AvroCodec, value: bytes, offset: int) -> None:
        try:
            self.calendar.apply(codec.decode(value, AccountingPeriod))
        except DecodeError as exc:
            # Not a business record of a project: nothing to quarantine it under, but never silent.
            EXCEPTIONS.labels(exc.reason.value).inc()
            log.error(
                "erp.accounting-periods offset %s skipped: %s (%s)", offset, exc.message, exc.reason.value
            )
