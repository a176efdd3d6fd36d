"""Forecast values, their snapshot view, and the deltas between two sets of them."""

from __future__ import annotations

import hashlib
from collections.abc import Iterable, Mapping
from datetime import datetime
from decimal import Decimal
from typing import NamedTuple

from pydantic import BaseModel, ConfigDict

from domain.forecast.calendar import Period
from domain.records.common import Envelope, NonEmpty, Value
from domain.records.forecast import ForecastDelta, SubjectType
from domain.records.ops import BusinessException

HOURS = "HOURS"
PERCENT = "PERCENT"
SOURCE_SYSTEM = "psflow"
DELTA_EVENT_TYPE = "forecast.delta"


class ForecastValue(BaseModel):
    """One metric of one subject in one month, in its unit (ISO currency, HOURS or PERCENT)."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    subject_type: SubjectType
    subject_id: NonEmpty
    period: Period
    metric: NonEmpty
    value: Value
    unit: NonEmpty

    @property
    def key(self) -> str:
        """Return the snapshot key "subject_type:subject_id:period:metric"."""
        return key_of(self.subject_type, self.subject_id, self.period, self.metric)


class Settled(NamedTuple):
    """What settling a batch emits: the deltas and the exceptions."""

    deltas: tuple[ForecastDelta, ...]
    exceptions: tuple[BusinessException, ...]


# Keyed by `ForecastValue.key`, the key of the compacted snapshot topic.
ForecastValues = Mapping[str, ForecastValue]


def key_of(subject_type: SubjectType, subject_id: str, period: str, metric: str) -> str:
    """Return the snapshot key of a metric."""
    return f"{subject_type.value}:{subject_id}:{period}:{metric}"


def keyed(values: Iterable[ForecastValue]) -> dict[str, ForecastValue]:
    """Return values by their key."""
    return {value.key: value for value in values}


def snapshot(values: ForecastValues) -> dict[str, Decimal]:
    """Return the snapshot view: the value of every key, as the compacted topic holds it."""
    return {key: values[key].value for key in sorted(values)}


def diff(
    previous: ForecastValues,
    current: ForecastValues,
    threshold: Decimal,
    as_of: datetime,
    causes: tuple[str, ...] = (),
) -> tuple[ForecastDelta, ...]:
    """Return one delta per key of `current` that moved by at least `threshold` from `previous`.

    A key absent from `previous` is new: its previous is None and it moves from zero. Keys absent from
    `current` are not compared (a caller that means "now zero" says so with a zero value).
    """
    deltas = []
    for key in sorted(current):
        now = current[key]
        before = previous.get(key)
        change = now.value - (before.value if before is not None else Decimal(0))
        if (before is not None and change == 0) or abs(change) < threshold:
            continue
        deltas.append(_delta(now, None if before is None else before.value, change, as_of, causes))
    return tuple(deltas)


def remember(previous: ForecastValues, deltas: Iterable[ForecastDelta]) -> dict[str, ForecastValue]:
    """Return the last emitted values after `deltas`: a value moving less than the threshold stays as it was.

    Keeping the last emitted value rather than the latest one lets small moves add up to a reported delta.
    """
    emitted = dict(previous)
    for d in deltas:
        value = ForecastValue(
            subject_type=d.subject_type,
            subject_id=d.subject_id,
            period=d.period,
            metric=d.metric,
            value=d.current,
            unit=d.unit,
        )
        emitted[value.key] = value
    return emitted


def zero_removed(
    current: ForecastValues, previous: ForecastValues, keep: frozenset[str], point_in_time: frozenset[str]
) -> dict[str, ForecastValue]:
    """Return `current` plus a zero for every previous key no longer computed, so a removed plan reads 0.

    Keys in `keep` (withheld, e.g. for a missing exchange rate) and point-in-time metrics of past months
    keep their last value instead.
    """
    settled = dict(current)
    for key, before in previous.items():
        if key not in settled and key not in keep and before.metric not in point_in_time:
            settled[key] = before.model_copy(update={"value": Decimal(0)})
    return settled


def delta_id(key: str, current: Decimal, causes: tuple[str, ...], as_of: datetime) -> str:
    """Return a delta's event id: the same key, value and causes always give the same id."""
    # A delta with no causing event (time passing) is told apart by its as_of, else a value that comes
    # back would reuse an id that consumers have already seen.
    parts = (key, str(current), *causes) if causes else (key, str(current), as_of.isoformat())
    digest = hashlib.sha256("|".join(parts).encode()).hexdigest()
    return f"fd:{key}:{digest[:16]}"


def _delta(
    now: ForecastValue, previous: Decimal | None, change: Decimal, as_of: datetime, causes: tuple[str, ...]
) -> ForecastDelta:
    """Return the delta record of one changed value."""
    event_id = delta_id(now.key, now.value, causes, as_of)
    envelope = Envelope(
        event_id=event_id,
        event_type=DELTA_EVENT_TYPE,
        occurred_at=as_of,
        source_system=SOURCE_SYSTEM,
        causation_id=causes[-1] if causes else None,
    )
    return ForecastDelta(
        envelope=envelope,
        subject_type=now.subject_type,
        subject_id=now.subject_id,
        period=now.period,
        metric=now.metric,
        previous=previous,
        current=now.value,
        delta=change,
        unit=now.unit,
        cause_event_ids=causes,
        as_of=as_of,
    )
