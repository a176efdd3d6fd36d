"""What `decide` takes and returns: the context, one inbound event, what a rule emits, the decision."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta
from typing import NamedTuple

from pydantic import AwareDatetime, field_validator, model_validator

from domain.ledger.state import Period, State
from domain.moves import MovedAway
from domain.records.common import SourceRef
from domain.records.erp import BillingCommand, BillingStatus
from domain.records.ops import BusinessException, SourceRecord
from domain.records.psa import MilestoneEvent, ProjectContract, TimeEntry
from domain.redrive import Redrive
from domain.state import Change


class Context(State):
    """Everything the rules need from outside the event: processing time and configuration."""

    # Processing time: only decides how long a parked item has waited; never copied into a record.
    now: AwareDatetime
    closed_periods: frozenset[Period] = frozenset()
    park_limit: timedelta = timedelta(hours=24)

    @field_validator("now")
    @classmethod
    def _is_utc(cls, value: AwareDatetime) -> AwareDatetime:
        if value.utcoffset() != timedelta(0):
            raise ValueError("now must be in UTC")
        return value


# BillingCommand: a correction `replay apply` sent to the ERP (from psflow.ledger-corrections); MovedAway: a
# revision that booked one of the project's entries on another project (from psflow.entry-moves).
InboundRecord = ProjectContract | TimeEntry | MilestoneEvent | BillingStatus | BillingCommand | MovedAway


class Inbound(State):
    """One decoded source event with the Kafka coordinates it was read from."""

    record: InboundRecord
    source: SourceRef
    # Set when the record was re-published by `replay redrive` to cure an exception (from its headers).
    redrive: Redrive | None = None
    # The Kafka record as read, bytes included: exceptions about it carry them (None: not at hand).
    raw: SourceRecord | None = None

    @model_validator(mode="after")
    def _source_is_the_record(self) -> Inbound:
        # Lineage and causation use both; a mismatch would emit records pointing at the wrong event.
        if self.source.event_id != self.record.event_id:
            raise ValueError("source.event_id must be the record's envelope event id")
        return self


class Emitted(NamedTuple):
    """What a rule emits, in order; its changes to the ledger are staged on the view it was given."""

    commands: tuple[BillingCommand, ...] = ()
    exceptions: tuple[BusinessException, ...] = ()
    # Entries this project took from another: each goes to psflow.entry-moves keyed by that project.
    moves: tuple[MovedAway, ...] = ()

    def then(self, later: Emitted) -> Emitted:
        """Return these records followed by a later rule's."""
        return Emitted(
            self.commands + later.commands, self.exceptions + later.exceptions, self.moves + later.moves
        )


NOTHING = Emitted()


@dataclass(frozen=True, slots=True)
class Decision:
    """What one event does to its project: the records to emit, in order, and the items to write."""

    commands: tuple[BillingCommand, ...] = ()
    exceptions: tuple[BusinessException, ...] = ()
    changes: tuple[Change, ...] = ()
    # For the entries' previous projects, in the same transaction as the commands (domain.moves).
    moves: tuple[MovedAway, ...] = ()
