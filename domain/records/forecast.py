"""Records the forecasting platform consumes."""

from __future__ import annotations

from enum import StrEnum

from pydantic import AwareDatetime

from domain.records.common import Event, NonEmpty, Value


class SubjectType(StrEnum):
    """Kind of forecast subject."""

    UNKNOWN = "UNKNOWN"
    PROJECT = "PROJECT"
    RESOURCE = "RESOURCE"


class ForecastDelta(Event):
    """A change of one metric of one subject in one month."""

    subject_type: SubjectType
    subject_id: NonEmpty
    period: NonEmpty
    metric: NonEmpty
    previous: Value | None = None
    current: Value
    delta: Value
    unit: str
    cause_event_ids: tuple[str, ...] = ()
    as_of: AwareDatetime


class ForecastSnapshot(Event):
    """The latest value of one metric of one subject in one month; keyed for a compacted topic."""

    subject_type: SubjectType
    subject_id: NonEmpty
    period: NonEmpty
    metric: NonEmpty
    value: Value
    unit: str
    as_of: AwareDatetime
    delta_event_id: NonEmpty

    @property
    def key(self) -> str:
        """Return the compaction key "subject_type:subject_id:period:metric"."""
        return f"{self.subject_type.value}:{self.subject_id}:{self.period}:{self.metric}"
