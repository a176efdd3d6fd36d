"""One project's ledger as a decision sees it: keyed items through a reader, every change staged.

The running figures are kept here, on every put, from the old and the new value of the item: a rule states
what an entry or a command now is, and the totals follow, so deciding one event touches O(1) items.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime
from decimal import Decimal
from typing import Any, TypeVar, cast

from pydantic import BaseModel

from domain.ledger.state import (
    ZERO,
    CommandState,
    CommandStatus,
    EntryState,
    Figures,
    Ignored,
    Kind,
    Mark,
    MilestoneState,
    Parked,
    ProjectTotals,
    Raised,
)
from domain.records.erp import BillingCommandType
from domain.records.ops import SourceRecord
from domain.records.psa import ProjectContract
from domain.state import Change, Staging, StateReader

M = TypeVar("M", bound=BaseModel)
_PENDING = (CommandStatus.SENT, CommandStatus.ACCEPTED)
_INVOICED = (CommandStatus.INVOICED, CommandStatus.PAID)


class LedgerView:
    """Read and stage one project's items; `changes()` is what the decision writes."""

    def __init__(self, project_id: str, reader: StateReader):
        self.project_id = project_id
        self._staging = Staging(reader)
        found = reader.get(Kind.TOTALS, "")
        self._stored = cast("ProjectTotals | None", found)
        self._base = self._stored if self._stored is not None else ProjectTotals(project_id=project_id)
        # The totals fields changed and the figures as they move: the totals item is built and written once.
        self._updates: dict[str, Any] = {}
        self._figures: dict[str, Decimal] | None = None
        # Commands issued by this decision, in order: ERP reports that came before them are applied after.
        self._issued: list[str] = []
        # The record being decided, bytes included: kept with it if it is parked.
        self.incoming: SourceRecord | None = None

    def _get(self, kind: Kind, item: str, model: type[M]) -> M | None:
        return cast("M | None", self._staging.get(kind, item))

    # --- totals ---------------------------------------------------------------------------------------

    @property
    def owner(self) -> str:
        """Return the project the items read belong to (a new project: the view's)."""
        return self._base.project_id

    def _field(self, name: str) -> Any:
        return self._updates[name] if name in self._updates else getattr(self._base, name)

    @property
    def totals(self) -> ProjectTotals:
        """Return the project's totals as of now (fresh ones for a project never seen)."""
        updates = dict(self._updates)
        if self._figures is not None:
            updates["figures"] = Figures(**self._figures)
        return self._base.model_copy(update=updates) if updates else self._base

    def _set(self, **changes: Any) -> None:
        # Only what changes: the totals item is written only when a field really moves.
        self._updates.update({k: v for k, v in changes.items() if v != self._field(k) or k in self._updates})

    @property
    def exposure(self) -> Decimal:
        """Return the net live time charges (what the not-to-exceed cap limits)."""
        if self._figures is not None:
            return self._figures["exposure"]
        return self._base.figures.exposure

    @property
    def contract(self) -> ProjectContract | None:
        """Return the approved contract version in force, if any."""
        contract: ProjectContract | None = self._field("contract")
        return contract

    @property
    def parked_count(self) -> int:
        """Return how many events are parked."""
        parked: int = self._field("parked")
        return parked

    @property
    def oldest_unreported(self) -> datetime | None:
        """Return the parking time of the oldest parked event not yet reported."""
        oldest: datetime | None = self._field("oldest_unreported")
        return oldest

    def set_contract(self, contract: ProjectContract) -> None:
        """Make an approved contract version the project's terms."""
        self._set(contract=contract)

    def count_ignored(self, contract_versions: int = 0, time_revisions: int = 0) -> None:
        """Count events ignored as stale."""
        ignored: Ignored = self._field("ignored")
        self._set(
            ignored=Ignored(
                contract_versions=ignored.contract_versions + contract_versions,
                time_revisions=ignored.time_revisions + time_revisions,
            )
        )

    def _add(self, deltas: dict[str, Decimal]) -> None:
        figures = self._figures
        for name, delta in deltas.items():
            if delta:
                if figures is None:
                    figures = self._figures = dict(vars(self._base.figures))
                figures[name] += delta

    # --- entries ---------------------------------------------------------------------------------------

    def entry(self, entry_id: str) -> EntryState | None:
        """Return a time entry's state."""
        return self._get(Kind.ENTRY, entry_id, EntryState)

    def put_entry(self, entry_id: str, new: EntryState) -> None:
        """Store an entry's state; the figures and the held index follow."""
        old = self.entry(entry_id)
        was, now = _entry_share(old), _entry_share(new)
        self._add({name: now[name] - was[name] for name in now})
        if old is not None and old.held > 0 and old.work is not None:
            self._staging.delete(Kind.HELD, _held_item(old, entry_id))
        if new.held > 0 and new.work is not None:
            self._staging.put(Kind.HELD, _held_item(new, entry_id), Mark())
        self._staging.put(Kind.ENTRY, entry_id, new)

    def held_entries(self) -> Iterator[tuple[str, EntryState]]:
        """Yield the entries with a held amount, oldest work date first (then by entry id)."""
        for item, _ in list(self._staging.scan(Kind.HELD)):
            entry_id = item.split("/", 1)[1]
            state = self.entry(entry_id)
            if state is not None:
                yield entry_id, state

    # --- commands --------------------------------------------------------------------------------------

    def command(self, command_id: str) -> CommandState | None:
        """Return an issued command's state."""
        return self._get(Kind.COMMAND, command_id, CommandState)

    def put_command(self, command_id: str, new: CommandState) -> None:
        """Store an issued command's state; the figures follow its amount and status."""
        old = self.command(command_id)
        if old is None:
            self._issued.append(command_id)
        was, now = _command_share(old), _command_share(new)
        self._add({name: now[name] - was[name] for name in now})
        self._staging.put(Kind.COMMAND, command_id, new)

    def take_issued(self) -> list[str]:
        """Return the commands issued since the last call, in order, and forget them."""
        issued, self._issued = self._issued, []
        return issued

    # --- milestones ------------------------------------------------------------------------------------

    def milestone(self, milestone_id: str) -> MilestoneState | None:
        """Return a milestone's progress."""
        return self._get(Kind.MILESTONE, milestone_id, MilestoneState)

    def put_milestone(self, milestone_id: str, state: MilestoneState) -> None:
        """Store a milestone's progress."""
        self._staging.put(Kind.MILESTONE, milestone_id, state)

    # --- raised exceptions -----------------------------------------------------------------------------

    def was_raised(self, exception_id: str) -> bool:
        """Tell whether an exception with this id was already emitted for the project."""
        return self._staging.get(Kind.RAISED, exception_id) is not None

    def raised(self, exception_id: str) -> Raised | None:
        """Return what is known of an exception id emitted for the project."""
        return self._get(Kind.RAISED, exception_id, Raised)

    def put_raised(self, exception_id: str, raised: Raised) -> None:
        """Remember an exception id's state."""
        self._staging.put(Kind.RAISED, exception_id, raised)

    # --- parked events ---------------------------------------------------------------------------------

    def is_parked(self, event_id: str) -> bool:
        """Tell whether an event is parked."""
        return self._staging.get(Kind.PARKED_EVENT, event_id) is not None

    def park(self, parked: Parked) -> None:
        """Park an event until the project's first approved contract arrives."""
        seq: int = self._field("parked_seq")
        self._staging.put(Kind.PARKED, f"{seq:012d}", self._with_bytes(parked))
        self._staging.put(Kind.PARKED_EVENT, parked.record.event_id, Mark())
        self._count_parked(parked.parked_at, parked_seq=seq + 1)

    def park_early(self, command_id: str, parked: Parked) -> None:
        """Keep an ERP report on a command not issued yet, until it is."""
        item = f"{_escaped(command_id)}/{parked.record.event_id}"
        self._staging.put(Kind.EARLY, item, self._with_bytes(parked))
        self._staging.put(Kind.PARKED_EVENT, parked.record.event_id, Mark())
        self._count_parked(parked.parked_at)

    def _with_bytes(self, parked: Parked) -> Parked:
        raw, at = self.incoming, parked.source
        same = raw is not None and (raw.topic, raw.partition, raw.offset) == (
            at.topic,
            at.partition,
            at.offset,
        )
        return parked.model_copy(update={"raw": raw}) if same and parked.raw is None else parked

    def _count_parked(self, parked_at: datetime, **more: Any) -> None:
        oldest = self.oldest_unreported
        self._set(
            parked=self.parked_count + 1,
            oldest_unreported=parked_at if oldest is None else min(oldest, parked_at),
            **more,
        )

    def parked(self) -> list[Parked]:
        """Return every parked event: those awaiting the contract in arrival order, then early ERP reports."""
        if not self.parked_count:
            return []
        kinds = (Kind.PARKED, Kind.EARLY)
        return [cast(Parked, value) for kind in kinds for _, value in self._staging.scan(kind)]

    def unpark_all(self) -> list[Parked]:
        """Remove every event parked for the contract and return them in arrival order."""
        return self._unpark(Kind.PARKED, "")

    def unpark_early(self, command_id: str) -> list[Parked]:
        """Remove the ERP reports kept for a command and return them."""
        if not self.parked_count:
            return []
        return self._unpark(Kind.EARLY, f"{_escaped(command_id)}/")

    def _unpark(self, kind: Kind, prefix: str) -> list[Parked]:
        released = []
        for item, value in list(self._staging.scan(kind, prefix)):
            parked = cast(Parked, value)
            self._staging.delete(kind, item)
            self._staging.delete(Kind.PARKED_EVENT, parked.record.event_id)
            released.append(parked)
        if released:
            left = self.parked_count - len(released)
            self._set(parked=left, **({} if left else {"oldest_unreported": None}))
        return released

    def set_oldest_unreported(self, oldest: datetime | None) -> None:
        """Record the parking time of the oldest parked event not yet reported (None: all are)."""
        self._set(oldest_unreported=oldest)

    def changes(self) -> tuple[Change, ...]:
        """Return every change staged by the decision (the totals item once, as it ends)."""
        moved = self._figures is not None and self._figures != vars(self._base.figures)
        if self._updates or moved or (self._stored is None and self._staging.touched()):
            self._staging.put(Kind.TOTALS, "", self.totals)
        return self._staging.changes()


def _escaped(identifier: str) -> str:
    """Return an id as the first part of an item id: "/" and "%" escaped, so a prefix scan is exact."""
    return identifier.replace("%", "%25").replace("/", "%2F")


def _held_item(state: EntryState, entry_id: str) -> str:
    assert state.work is not None
    return f"{state.work.work_date.isoformat()}/{entry_id}"


def _entry_share(state: EntryState | None) -> dict[str, Decimal]:
    """Return what one entry adds to the figures."""
    if state is None:
        return {"hours_total": ZERO, "hours_billable": ZERO, "cost": ZERO, "held": ZERO, "exposure": ZERO}
    work = state.work
    hours = ZERO if work is None else work.hours
    return {
        "hours_total": hours,
        "hours_billable": hours if work is not None and work.billable else ZERO,
        "cost": state.cost,
        "held": state.held,
        "exposure": state.exposure,
    }


def _command_share(state: CommandState | None) -> dict[str, Decimal]:
    """Return what one command adds to the figures, by its status."""
    names = ("posted", "pending", "invoiced", "paid", "rejected", "milestones_billed")
    if state is None:
        return dict.fromkeys(names, ZERO)
    amount = state.amount
    return {
        "posted": amount,
        "pending": amount if state.status in _PENDING else ZERO,
        "invoiced": amount if state.status in _INVOICED else ZERO,
        "paid": amount if state.status is CommandStatus.PAID else ZERO,
        "rejected": amount if state.status is CommandStatus.REJECTED else ZERO,
        "milestones_billed": amount if state.command_type is BillingCommandType.BILL_MILESTONE else ZERO,
    }
