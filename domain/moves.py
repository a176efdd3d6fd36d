"""A time entry is one entry firm-wide: the revision that books it on another project moves it there.

The PSA says so on the moving revision (time_entry v2 `previous_project_id`). That revision is decided on
the new project, which posts it and writes it, in the same transaction, to psflow.entry-moves keyed by the
previous project; there the old project reads it as a `MovedAway` and reverses what the entry still holds.
The old project learns it through Kafka, in order with its other inputs, never by looking the entry up.
"""

from __future__ import annotations

from domain.records.common import Event, NonEmpty
from domain.records.psa import TimeEntry


class MovedAway(Event):
    """What the entry's previous project learns: this revision took the entry to `entry.project_id`."""

    # The previous project: the one that must reverse (the subject of the record, like every ledger input).
    project_id: NonEmpty
    entry: TimeEntry

    @classmethod
    def of(cls, entry: TimeEntry) -> MovedAway | None:
        """Return what the previous project learns from a revision, or None if it moves nothing."""
        previous = entry.previous_project_id
        if previous is None or previous == entry.project_id:
            return None
        return cls(envelope=entry.envelope, project_id=previous, entry=entry)

    @property
    def moved_to(self) -> str:
        """Return the project the entry moved to."""
        return self.entry.project_id
