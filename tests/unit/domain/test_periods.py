"""The period calendar: configured closes, ERP closes for all or one entity, reopens."""

from __future__ import annotations

from typing import Any

from domain.periods import AccountingCalendar
from domain.records.erp import AccountingPeriod
from tests.support.factories import envelope


def _period(period: str, status: str = "CLOSED", **fields: Any) -> AccountingPeriod:
    return AccountingPeriod(envelope=envelope("period.changed"), period=period, status=status, **fields)


def test_configured_periods_are_closed_for_every_entity() -> None:
    calendar = AccountingCalendar({"2026-01"})
    assert calendar.closed_for("LE-US") == {"2026-01"}
    assert calendar.closed_for(None) == {"2026-01"}


def test_a_close_without_entity_applies_to_all_and_one_with_entity_only_to_it() -> None:
    calendar = AccountingCalendar()
    calendar.apply(_period("2026-02"))
    calendar.apply(_period("2026-03", legal_entity="LE-DE"))
    assert calendar.closed_for("LE-US") == {"2026-02"}
    assert calendar.closed_for("LE-DE") == {"2026-02", "2026-03"}


def test_a_reopened_period_accepts_postings_again() -> None:
    calendar = AccountingCalendar()
    calendar.apply(_period("2026-02"))
    calendar.apply(_period("2026-02", status="REOPENED"))
    assert calendar.closed_for("LE-US") == frozenset()
