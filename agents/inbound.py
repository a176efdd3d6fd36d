"""Read one raw Kafka record: its coordinates, its typed value, or its way to the exception queue."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import UTC, datetime
from typing import Any, TypeVar

from app.contracts.codec import AvroCodec, DecodeError
from app.faust_workarounds.bulk import Delivered
from app.runtime.metrics import EVENTS_IN
from domain.exceptions import quarantine
from domain.records.common import Event, SourceRef
from domain.records.ops import BusinessException, SourceRecord
from domain.redrive import Redrive, settle

E = TypeVar("E", bound=Event)


def delivered(event: Any) -> Delivered:
    """Return a Faust stream event as the record the pipeline takes (the `test_context` path)."""
    message = event.message
    headers = message.headers or ()
    pairs = headers.items() if isinstance(headers, Mapping) else headers
    return Delivered(
        topic=message.topic,
        partition=message.partition,
        offset=message.offset,
        # Faust gives seconds as a float; Kafka stores milliseconds.
        timestamp_ms=round(message.timestamp * 1000),
        key=event.key,
        value=event.value,
        headers=tuple((k if isinstance(k, str) else k.decode(), bytes(v)) for k, v in pairs if v is not None),
        generation=message.generation_id,
    )


def source_record(record: Delivered) -> SourceRecord:
    """Capture a fetched Kafka record exactly as read."""
    # Built without validation: every field comes straight from the Kafka record, and this runs per record.
    return SourceRecord.model_construct(
        topic=record.topic,
        partition=record.partition,
        offset=record.offset,
        timestamp=datetime.fromtimestamp(record.timestamp_ms / 1000, UTC),
        raw_key=record.key,
        raw_value=record.value,
    )


def source_ref(record: Event, source: SourceRecord) -> SourceRef:
    """Return the lineage reference of a decoded record."""
    return SourceRef(
        event_id=record.event_id, topic=source.topic, partition=source.partition, offset=source.offset
    )


def decode(codec: AvroCodec, source: SourceRecord, expected: type[E]) -> E | BusinessException:
    """Decode a record's value, or return the exception that keeps it whole."""
    EVENTS_IN.labels(source.topic).inc()
    try:
        return codec.decode(source.raw_value or b"", expected)
    except DecodeError as exc:
        project = (exc.payload or {}).get("project_id")
        return quarantine(
            source,
            exc.reason,
            exc.message,
            seen_at=source.timestamp or datetime.fromtimestamp(0, UTC),
            project_id=project if isinstance(project, str) else None,
        )


def redrive_of(record: Delivered, agent: str) -> Redrive | None:
    """Return the redrive a record's headers describe if `agent` must settle it (None for other records)."""
    if not record.headers:
        return None
    redrive = Redrive.from_headers(dict(record.headers))
    return redrive if redrive is not None and redrive.is_for(agent) else None


def settled(redrive: Redrive | None, failure: BusinessException) -> tuple[BusinessException, ...]:
    """Return the exceptions of a record that failed before any rule ran, with how its redrive ended."""
    if failure.source is None:
        return (failure,)
    return settled_after(redrive, (failure,), failure.source, failure)


def settled_after(
    redrive: Redrive | None, raised: tuple[BusinessException, ...], source: SourceRecord, cause: Event
) -> tuple[BusinessException, ...]:
    """Return a record's exceptions with how its redrive ended (`cause`: the record, or its failure)."""
    if redrive is None:
        return raised
    return settle(
        redrive,
        raised,
        parked=False,
        at=source,
        occurred_at=cause.occurred_at,
        project_id=getattr(cause, "project_id", None),
    )
