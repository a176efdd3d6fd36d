"""A time entry is one entry firm-wide: a revision moving it to another project reverses it on the old one."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

from domain.forecast import ForecastContext, MemoryProjectForecast, ProjectForecastView
from domain.forecast import project as forecast
from domain.ledger import financials
from domain.ledger.decision import Inbound
from domain.moves import MovedAway
from domain.records.common import SourceRef
from domain.records.erp import BillingCommandType
from domain.records.ops import ExceptionState
from tests.support.factories import T0, context, contract, envelope, play, time_entry

FEBRUARY = date(2026, 2, 20)


def _moved(entry_id: str = "TE-1", revision: int = 2, **fields: object) -> Inbound:
    """The revision that took the entry from P-1 to P-2, as P-1 reads it from psflow.entry-moves."""
    entry = time_entry("P-2", entry_id=entry_id, revision=revision, previous_project_id="P-1", **fields)
    moved = MovedAway.of(entry)
    assert moved is not None
    source = SourceRef(event_id=entry.event_id, topic="psflow.entry-moves", partition=0, offset=7)
    return Inbound(record=moved, source=source)


def test_a_revision_booking_the_entry_on_another_project_is_told_to_its_previous_project() -> None:
    entry = time_entry("P-2", entry_id="TE-1", revision=2, previous_project_id="P-1")

    decision = play(contract("P-2", legal_entity="LE-DE", currency="EUR"), entry)

    assert [(m.project_id, m.moved_to, m.entry.revision) for m in decision.moves] == [("P-1", "P-2", 2)]
    charge = decision.commands[-1]
    assert (charge.project_id, charge.command_id, charge.currency) == (
        "P-2",
        "cmd:TE-1:r2:POST_TIME_CHARGE",
        "EUR",
    )


def test_the_previous_project_reverses_the_entry_in_its_own_entity_and_ignores_it_after() -> None:
    charged = play(contract("P-1"), time_entry("P-1", entry_id="TE-1"))

    moved = play(_moved(), ledger=charged.ledger)

    (reversal,) = moved.commands
    assert reversal.command_type is BillingCommandType.REVERSE_TIME_CHARGE
    assert (reversal.project_id, reversal.legal_entity, reversal.amount) == (
        "P-1",
        "LE-US",
        Decimal("-1200.00"),
    )
    assert reversal.reverses_command_id == "cmd:TE-1:r1:POST_TIME_CHARGE"
    assert reversal.lineage[-1].topic == "psflow.entry-moves"
    figures = financials(moved.ledger)
    assert (figures.posted, figures.hours_total, figures.cost) == (Decimal("0.00"), 0, Decimal("0.00"))
    # A late revision of the entry on the old project, and the same move again, change nothing.
    late = play(
        time_entry("P-1", entry_id="TE-1", revision=1, hours=Decimal("9.00")), _moved(), ledger=moved.ledger
    )
    assert (late.commands, late.exceptions) == ((), ())


def test_the_firm_bills_a_moved_entry_once_across_both_projects() -> None:
    old = play(contract("P-1"), time_entry("P-1", entry_id="TE-1"))
    new = play(contract("P-2"), time_entry("P-2", entry_id="TE-1", revision=2, previous_project_id="P-1"))
    # What P-2 decided reaches P-1 through psflow.entry-moves.
    (move,) = new.moves
    source = SourceRef(event_id=move.event_id, topic="psflow.entry-moves", partition=0, offset=1)
    old = play(Inbound(record=move, source=source), ledger=old.ledger)

    assert financials(old.ledger).posted + financials(new.ledger).posted == Decimal("1200.00")


def test_a_move_of_an_entry_the_old_project_has_not_seen_yet_makes_its_late_revision_stale() -> None:
    before = play(contract("P-1"))

    moved = play(_moved(), time_entry("P-1", entry_id="TE-1", revision=1), ledger=before.ledger)

    assert (moved.commands, moved.exceptions) == ((), ())
    assert financials(moved.ledger).posted == Decimal("0.00")


def test_an_entry_moved_back_is_charged_again_and_its_other_project_told() -> None:
    moved = play(_moved(), ledger=play(contract("P-1"), time_entry("P-1", entry_id="TE-1")).ledger)

    back = play(
        time_entry("P-1", entry_id="TE-1", revision=3, previous_project_id="P-2"), ledger=moved.ledger
    )

    assert [c.command_id for c in back.commands] == ["cmd:TE-1:r3:POST_TIME_CHARGE"]
    assert [m.project_id for m in back.moves] == ["P-2"]


def test_a_moved_entry_in_a_closed_period_is_reversed_in_the_first_open_period() -> None:
    charged = play(contract("P-1"), time_entry("P-1", entry_id="TE-1", work_date=FEBRUARY))

    moved = play(
        _moved(work_date=FEBRUARY), ledger=charged.ledger, ctx=context(closed_periods=frozenset({"2026-02"}))
    )

    (reversal,) = moved.commands
    assert (reversal.accounting_date, reversal.natural_date) == (date(2026, 3, 1), FEBRUARY)


def test_what_the_moved_entry_held_under_the_cap_is_dropped_and_its_hold_resolved() -> None:
    capped = play(contract("P-1", not_to_exceed=Decimal("1000.00")), time_entry("P-1", entry_id="TE-1"))

    moved = play(_moved(), ledger=capped.ledger)

    (cleared,) = moved.exceptions
    assert (cleared.exception_id, cleared.state) == ("exc:BILLING_HOLD:TE-1:r1", ExceptionState.RESOLVED)
    assert cleared.resolution is not None and "moved to project P-2" in cleared.resolution
    assert financials(moved.ledger).held == Decimal("0.00")


def test_the_previous_projects_forecast_drops_the_moved_hours() -> None:
    ctx = ForecastContext()
    state = MemoryProjectForecast("P-1")
    view = ProjectForecastView("P-1", state)
    entry = time_entry("P-1", entry_id="TE-1", envelope=envelope(occurred_at=T0))
    for record in (contract("P-1"), entry):
        forecast.apply(view, record, ctx)
    forecast.settle(view, ctx, as_of=T0, cause=entry.envelope, causes=(entry.event_id,))
    state.apply(view.changes())

    away = ProjectForecastView("P-1", state)
    moved = _moved().record
    assert isinstance(moved, MovedAway)
    forecast.apply(away, moved, ctx)
    settled = forecast.settle(away, ctx, as_of=T0, cause=moved.envelope, causes=(moved.event_id,))

    hours = [d for d in settled.deltas if d.metric == "hours" and d.period == "2026-03"]
    assert [(d.previous, d.current) for d in hours] == [(Decimal("8.00"), Decimal("0.00"))]
