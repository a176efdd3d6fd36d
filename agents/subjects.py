"""The subjects a batch touched, with what their forecast settles with at the end of the batch."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import datetime
from typing import Generic, TypeVar

from domain.records.common import Envelope, Event

V = TypeVar("V")
# Delta lineage names at most this many of the batch's causing events (the latest last).
MAX_CAUSES = 50


@dataclass
class Touched(Generic[V]):
    """One subject's view for this batch and the events that touched it."""

    view: V
    partition: int
    as_of: datetime
    cause: Envelope
    causes: tuple[str, ...] = field(default_factory=tuple)


class Subjects(Generic[V]):
    """The batch's views by subject id, created on first touch, settled and dropped at the end."""

    def __init__(self) -> None:
        self._touched: dict[str, Touched[V]] = {}

    def touch(self, subject: str, partition: int, event: Event, make: Callable[[], V]) -> Touched[V]:
        """Return the subject's view for this batch (made on the first event of the subject)."""
        touched = self._touched.get(subject)
        if touched is None:
            touched = self._touched[subject] = Touched(make(), partition, event.occurred_at, event.envelope)
        return touched

    @staticmethod
    def caused(touched: Touched[V], event: Event) -> None:
        """Note an event that changed the subject: the latest cause of what it settles, and its lineage."""
        # The latest event time seen says which months are actuals (as the per-event rules did with theirs).
        touched.as_of = max(touched.as_of, event.occurred_at)
        touched.cause = event.envelope
        touched.causes = (*touched.causes, event.event_id)[-MAX_CAUSES:]

    def drain(self) -> Iterator[tuple[str, Touched[V]]]:
        """Yield and forget every touched subject, in id order."""
        touched, self._touched = self._touched, {}
        yield from sorted(touched.items(), key=lambda item: item[0])

    def discard(self) -> None:
        """Forget every view (the batch was abandoned)."""
        self._touched.clear()
