"""When a subject's forecast settles: at the end of each run of its events inside one month, and when due.

A month keeps the point-in-time metrics (recognized revenue, backlog, ETC, EAC) of the last settle in it. The
worker settles a subject when its settle interval is due (at a batch end), but a run of changes may span
months; were it settled only then, what a month reports would depend on where batches and intervals
happened to end. Settling also whenever the next changing event falls in another month than the run so far
makes every month's last settle the one at its last event, whatever the timing: the worker and the replay
recompute both follow this rule and so agree. Between settles a subject's run is kept as a `PendingRun`.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

from pydantic import AwareDatetime, BaseModel, ConfigDict

from domain.forecast.calendar import day_of, period_of
from domain.records.common import Envelope, Event
from domain.records.ops import SourceRecord

# Delta lineage names at most this many of a run's causing events (the latest last).
MAX_CAUSES = 50


@dataclass
class SettleRun:
    """What a subject settles with: the events that changed it since its last settle, all in one month."""

    as_of: datetime
    cause: Envelope
    causes: tuple[str, ...] = field(default_factory=tuple)

    @classmethod
    def starting(cls, event: Event) -> SettleRun:
        """Open a run at a subject's first event since its last settle."""
        return cls(as_of=event.occurred_at, cause=event.envelope)

    def ends_before(self, event: Event) -> bool:
        """Tell whether `event` falls in another month than the changes of this run (settle first)."""
        return bool(self.causes) and period_of(day_of(event.occurred_at)) != period_of(day_of(self.as_of))

    def caused(self, event: Event) -> None:
        """Note an event that changed the subject: the latest cause of what it settles, and its lineage."""
        # The first change fixes the run's month; later ones (same month) move as_of to the latest time seen.
        self.as_of = max(self.as_of, event.occurred_at) if self.causes else event.occurred_at
        self.cause = event.envelope
        self.causes = (*self.causes, event.event_id)[-MAX_CAUSES:]

    def pending(
        self, months: tuple[str, ...] = (), everything: bool = False, source: SourceRecord | None = None
    ) -> PendingRun:
        """Return the run as kept between settles: the months it moved, the last record that changed it."""
        return PendingRun(
            as_of=self.as_of,
            cause=self.cause,
            causes=self.causes,
            months=months,
            everything=everything,
            source=source,
        )

    @classmethod
    def resumed(cls, pending: PendingRun) -> SettleRun:
        """Continue a run kept between settles."""
        return cls(as_of=pending.as_of, cause=pending.cause, causes=pending.causes)


class PendingRun(BaseModel):
    """A subject's changes not yet settled: the run so far and, for a resource, the months it moved."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    as_of: AwareDatetime
    cause: Envelope
    causes: tuple[str, ...]
    months: tuple[str, ...] = ()
    everything: bool = False
    # The last record that changed the subject, bytes included: the exceptions of the settle carry it.
    source: SourceRecord | None = None
