"""Which accounting periods are closed for posting: configuration plus every close or reopen the ERP sent."""

from __future__ import annotations

from collections.abc import Iterable

from domain.records.erp import AccountingPeriod, PeriodStatus

ALL_ENTITIES = ""


class AccountingCalendar:
    """The closed periods per legal entity; the one source of closed periods for every posting rule."""

    def __init__(self, configured: Iterable[str] = ()):
        self._configured = frozenset(configured)
        self._closed: dict[str, set[str]] = {}

    def apply(self, event: AccountingPeriod) -> None:
        """Record one close or reopen; the latest event for a period and entity wins."""
        periods = self._closed.setdefault(event.legal_entity or ALL_ENTITIES, set())
        if event.status is PeriodStatus.CLOSED:
            periods.add(event.period)
        elif event.status is PeriodStatus.REOPENED:
            periods.discard(event.period)

    def closed_for(self, legal_entity: str | None) -> frozenset[str]:
        """Return the periods closed for an entity: configured, closed for all, or for it alone."""
        own = self._closed.get(legal_entity, set()) if legal_entity else set()
        return self._configured | self._closed.get(ALL_ENTITIES, set()) | own
