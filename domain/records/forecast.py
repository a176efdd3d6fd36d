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
