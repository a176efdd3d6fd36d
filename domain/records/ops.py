"""Records of the business exception queue."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum

from pydantic import AwareDatetime, ConfigDict

from domain.records.common import Event, Money, NonEmpty, Record


class ExceptionReason(StrEnum):
    """Machine-readable reason why something could not be processed."""

    UNKNOWN = "UNKNOWN"
    DECODE_BAD_MAGIC = "DECODE_BAD_MAGIC"
    DECODE_UNKNOWN_FINGERPRINT = "DECODE_UNKNOWN_FINGERPRINT"
    DECODE_MALFORMED_BODY = "DECODE_MALFORMED_BODY"
    DECODE_WRONG_RECORD_TYPE = "DECODE_WRONG_RECORD_TYPE"
    INVALID_RECORD = "INVALID_RECORD"
    VALIDATION_FAILED = "VALIDATION_FAILED"
    BILLING_HOLD = "BILLING_HOLD"
    UNKNOWN_PROJECT = "UNKNOWN_PROJECT"
    PERIOD_CLOSED = "PERIOD_CLOSED"
    ERP_REJECTED = "ERP_REJECTED"
    UNKNOWN_COMMAND = "UNKNOWN_COMMAND"
    CAPACITY_CONFLICT = "CAPACITY_CONFLICT"
    FX_RATE_MISSING = "FX_RATE_MISSING"
    PROCESSING_ERROR = "PROCESSING_ERROR"


class ExceptionState(StrEnum):
    """Lifecycle of an exception."""

    UNKNOWN = "UNKNOWN"
    OPEN = "OPEN"
    RESOLVED = "RESOLVED"


class SourceRecord(Record):
    """A Kafka record exactly as read, with its coordinates."""

    # Raw bytes are binary: kept as base64 when a parked record is stored as JSON.
    model_config = ConfigDict(frozen=True, extra="forbid", ser_json_bytes="base64", val_json_bytes="base64")

    topic: str
    partition: int
    offset: int
    timestamp: AwareDatetime | None = None
    raw_key: bytes | None = None
    raw_value: bytes | None = None


class BusinessException(Event):
    """Something that could not be processed, kept whole so it can be re-driven."""

    exception_id: NonEmpty
    reason: ExceptionReason
    message: str
    state: ExceptionState = ExceptionState.OPEN
    source: SourceRecord | None = None
    project_id: str | None = None
    resource_id: str | None = None
    command_id: str | None = None
    source_event_ids: tuple[str, ...] = ()
    amount: Money | None = None
    currency: str | None = None
    details: dict[str, str] = {}
    # v2: when the id was first raised, the commands and invoices concerned, what cleared it.
    first_seen_at: AwareDatetime | None = None
    command_ids: tuple[str, ...] = ()
    invoice_ids: tuple[str, ...] = ()
    resolution: str | None = None

    @property
    def raised_at(self) -> datetime:
        """Return when the exception was raised."""
        return self.envelope.occurred_at
