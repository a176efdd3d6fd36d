"""The forecast subjects of a stage: their views in a batch, their pending runs, and when each settles.

A subject settles (its deltas are computed and emitted) when its partition is due (`Cadence`: at most once
per settle interval, at a batch end) and whenever its next changing event falls in another month than its
run so far (domain.forecast.runs). Between settles its run waits in the partition's pending index, an item
of the subject's own table committed with the batch, so a restart or a new owner of the partition settles
it; the index is read only when the partition is due, and holds one small item per unsettled subject.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Iterable
from dataclasses import dataclass
from time import monotonic
from typing import Generic, Protocol, TypeVar

from agents.commit import BatchCommit
from domain.forecast.runs import PendingRun, SettleRun
from domain.records.common import Event
from domain.records.ops import SourceRecord
from domain.state import Change, Delete, Put
from tables.items import PENDING, PENDING_KIND
from tables.keyed import KeyedTable


class SettlingView(Protocol):
    """What a forecast view offers its settling: its changes, and what it leaves unsettled."""

    def changes(self) -> tuple[Change, ...]:
        """Return the staged changes."""

    def unsettled(self) -> tuple[tuple[str, ...], bool]:
        """Return the months touched since the last settle, and whether every month may have moved."""

    def resume(self, months: Iterable[str], everything: bool) -> None:
        """Take over what an earlier batch left unsettled."""


V = TypeVar("V", bound=SettlingView)


@dataclass
class Touched(Generic[V]):
    """One subject's view in this batch, and its run since the last settle (None: nothing to settle)."""

    view: V
    partition: int
    run: SettleRun | None
    # The last record that changed the subject, bytes included: the exceptions of its settle carry it.
    source: SourceRecord | None = None


class Cadence:
    """When a partition's subjects settle: at most once per interval (0: at every batch end).

    Kept in memory: after a restart every partition is due at once, and its pending index says what to settle.
    """

    def __init__(self, interval_s: float, clock: Callable[[], float] | None = None):
        self._interval = interval_s
        self._clock = clock
        self._last: dict[int, float] = {}

    def due(self, partitions: Iterable[int]) -> set[int]:
        """Return the partitions whose subjects settle at this batch end, and mark them settled now."""
        now = self._clock() if self._clock is not None else monotonic()
        due = {p for p in partitions if p not in self._last or now - self._last[p] >= self._interval}
        for partition in due:
            self._last[partition] = now
        return due


Settle = Callable[[BatchCommit, str, Touched[V]], Awaitable[None]]


class Subjects(Generic[V]):
    """One stage's forecast subjects: their views in the batch, and their pending runs."""

    def __init__(self, table: KeyedTable, make: Callable[[BatchCommit, int, str], V], settle: Settle[V]):
        self._table = table
        self._make = make
        self._settle = settle
        self._touched: dict[str, Touched[V]] = {}

    async def touch(self, batch: BatchCommit, subject: str, partition: int, event: Event) -> Touched[V]:
        """Return the subject's view for `event`, settling its run first if the event starts another month."""
        touched = self._touched.get(subject)
        if touched is None:
            touched = self._touched[subject] = self._open(batch, subject, partition)
        if touched.run is not None and touched.run.ends_before(event):
            await self._finish(batch, subject, touched)
            touched = self._touched[subject] = Touched(self._make(batch, partition, subject), partition, None)
        return touched

    @staticmethod
    def caused(touched: Touched[V], event: Event, source: SourceRecord) -> None:
        """Note that `event` (read as `source`) changed the subject."""
        if touched.run is None:
            touched.run = SettleRun.starting(event)
        touched.run.caused(event)
        touched.source = source

    async def roll(
        self, batch: BatchCommit, subject: str, partition: int, roll: Callable[[V], Awaitable[None]]
    ) -> None:
        """Let time move a subject on (`roll` emits what it settles); its pending run settles first."""
        touched = self._touched.get(subject)
        if touched is None:
            touched = self._open(batch, subject, partition)
        if touched.run is not None:
            await self._finish(batch, subject, touched)
            touched = Touched(self._make(batch, partition, subject), partition, None)
        await roll(touched.view)
        self._touched[subject] = touched

    async def end_batch(self, batch: BatchCommit, due: set[int]) -> None:
        """Settle the touched and pending subjects of due partitions; keep the others' runs pending."""
        touched, self._touched = self._touched, {}
        for subject, entry in sorted(touched.items()):
            if entry.partition in due:
                await self._finish(batch, subject, entry)
            else:
                self._keep(batch, subject, entry)
        pending = batch.state(self._table)
        for partition in sorted(due):
            for subject, _ in list(pending.reader(partition, PENDING).scan(PENDING_KIND)):
                if subject not in touched:
                    await self._finish(batch, subject, self._open(batch, subject, partition))

    def discard(self) -> None:
        """Forget every view (the batch was abandoned)."""
        self._touched.clear()

    def _open(self, batch: BatchCommit, subject: str, partition: int) -> Touched[V]:
        view = self._make(batch, partition, subject)
        kept = batch.state(self._table).reader(partition, PENDING).get(PENDING_KIND, subject)
        if not isinstance(kept, PendingRun):
            return Touched(view, partition, None)
        view.resume(kept.months, kept.everything)
        return Touched(view, partition, SettleRun.resumed(kept), kept.source)

    async def _finish(self, batch: BatchCommit, subject: str, touched: Touched[V]) -> None:
        """Settle a subject's run (if any), stage its view, and clear its pending entry."""
        if touched.run is not None and touched.run.causes:
            await self._settle(batch, subject, touched)
        touched.run, touched.source = None, None
        self._stage(batch, subject, touched, None)

    def _keep(self, batch: BatchCommit, subject: str, touched: Touched[V]) -> None:
        run = touched.run
        pending = None
        if run is not None and run.causes:
            months, everything = touched.view.unsettled()
            pending = run.pending(months, everything, touched.source)
        self._stage(batch, subject, touched, pending)

    def _stage(
        self, batch: BatchCommit, subject: str, touched: Touched[V], pending: PendingRun | None
    ) -> None:
        state = batch.state(self._table)
        state.apply(touched.partition, subject, touched.view.changes())
        index = state.reader(touched.partition, PENDING)
        if pending is not None:
            state.apply(touched.partition, PENDING, (Put(kind=PENDING_KIND, item=subject, value=pending),))
        elif index.get(PENDING_KIND, subject) is not None:
            state.apply(touched.partition, PENDING, (Delete(kind=PENDING_KIND, item=subject),))
