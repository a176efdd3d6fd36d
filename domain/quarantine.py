"""Turn a record that could not be processed into a business exception that keeps it whole."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime

from domain.records.common import Envelope
from domain.records.ops import BusinessException, ExceptionReason, ExceptionState, SourceRecord


def exception_id(source: SourceRecord, reason: ExceptionReason) -> str:
    """Derive the exception id from where the record sits, so a re-emission carries the same id."""
    return f"exc:{reason.value}:{source.topic}:{source.partition}:{source.offset}"


def quarantine(
    source: SourceRecord,
    reason: ExceptionReason,
    message: str,
    *,
    seen_at: datetime,
    project_id: str | None = None,
    details: Mapping[str, str] | None = None,
) -> BusinessException:
    """Raise an exception for an unprocessable Kafka record, keeping its raw bytes and coordinates.

    ``seen_at`` should be the Kafka record timestamp, not the wall clock: the same record must
    always produce the same exception, byte for byte.
    """
    exc_id = exception_id(source, reason)
    return BusinessException(
        envelope=Envelope(
            event_id=exc_id,
            event_type=f"exception.{reason.value.lower()}",
            occurred_at=seen_at,
            source_system="psflow",
        ),
        exception_id=exc_id,
        reason=reason,
        message=message,
        state=ExceptionState.OPEN,
        source=source,
        project_id=project_id,
        details=dict(details or {}),
    )
