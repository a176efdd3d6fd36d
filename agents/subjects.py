"""The subjects a batch touched, each with its view and the run of events it settles with."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Generic, TypeVar

from domain.forecast.runs import SettleRun
from domain.records.common import Event
from domain.records.ops import SourceRecord

V = TypeVar("V")


@dataclass
class Touched(Generic[V]):
    """One subject's view since its last settle, and the events that changed it."""

    view: V
    partition: int
    run: SettleRun
    # The last record that changed the subject, bytes included: the exceptions of its settle carry it.
    source: SourceRecord | None = None


class Subjects(Generic[V]):
    """The batch's views by subject id, created on first touch, settled and dropped at the end."""

    def __init__(self) -> None:
        self._touched: dict[str, Touched[V]] = {}

    def ended_by(self, subject: str, event: Event) -> Touched[V] | None:
        """Take the subject's run out of the batch if `event` starts another month (settle it before)."""
        touched = self._touched.get(subject)
        if touched is None or not touched.run.ends_before(event):
            return None
        return self._touched.pop(subject)

    def touch(self, subject: str, partition: int, event: Event, make: Callable[[], V]) -> Touched[V]:
        """Return the subject's view for this run (made on the run's first event)."""
        touched = self._touched.get(subject)
        if touched is None:
            touched = self._touched[subject] = Touched(make(), partition, SettleRun.starting(event))
        return touched

    def drain(self) -> Iterator[tuple[str, Touched[V]]]:
        """Yield and forget every touched subject, in id order."""
        touched, self._touched = self._touched, {}
        yield from sorted(touched.items(), key=lambda item: item[0])

    def discard(self) -> None:
        """Forget every view (the batch was abandoned)."""
        self._touched.clear()
