"""Types shared by every record: the envelope, lineage and exact decimal kinds."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from typing import Annotated

from pydantic import AwareDatetime, BaseModel, ConfigDict, Field

# Exact decimal kinds; their scales match the Avro decimal logical types, so a value that
# validates here always encodes, and one with more places is rejected at the edge, not rounded.
Money = Annotated[Decimal, Field(max_digits=18, decimal_places=2)]
Rate = Annotated[Decimal, Field(max_digits=18, decimal_places=4)]
Hours = Annotated[Decimal, Field(max_digits=9, decimal_places=2)]
Value = Annotated[Decimal, Field(max_digits=24, decimal_places=4)]
NonEmpty = Annotated[str, Field(min_length=1)]


class Record(BaseModel):
    """Base of every immutable psflow record."""

    model_config = ConfigDict(frozen=True, extra="forbid")


class Envelope(Record):
    """Identity, time and lineage shared by every record."""

    event_id: NonEmpty
    event_type: NonEmpty
    occurred_at: AwareDatetime
    source_system: NonEmpty
    correlation_id: str | None = None
    causation_id: str | None = None

    @classmethod
    def caused_by(cls, event_id: str, event_type: str, cause: Envelope) -> Envelope:
        """Return the envelope of a record psflow emits because of `cause`, timed at the cause's event time.

        Never the wall clock: the same cause always gives the same envelope, so a re-emission is identical.
        """
        return cls(
            event_id=event_id,
            event_type=event_type,
            occurred_at=cause.occurred_at,
            source_system="psflow",
            correlation_id=cause.correlation_id,
            causation_id=cause.event_id,
        )


class SourceRef(Record):
    """Coordinates of one source event a record was derived from."""

    event_id: str
    topic: str
    partition: int
    offset: int


class Event(Record):
    """Base of every record on a topic: it carries the envelope."""

    envelope: Envelope

    @property
    def event_id(self) -> str:
        """Return the envelope's event id."""
        return self.envelope.event_id

    @property
    def occurred_at(self) -> datetime:
        """Return the envelope's event time."""
        return self.envelope.occurred_at
