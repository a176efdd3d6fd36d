"""The accounting cut-off policy: one rule for every path that creates or releases a billable amount.

An amount has a natural date: the work date of time (a charge, its reversal, a released hold, a replay
correction), the day a milestone bill became due, the day a contract version was approved. It posts on that
date when the date's accounting period is open for the project's legal entity; when the period is closed it
posts on the first day of the first open period after it, and the command keeps the natural date (and a
time line its work date). Nothing is refused for a closed period and nothing is posted into one: this is
NetSuite's "default posting period when the transaction date is in a closed period: first open period" and
PeopleSoft's open period control, and what Dynamics 365 Project Operations does with corrections of actuals
whose original period is closed (the reversal and the new line post in the current open period).
"""

from __future__ import annotations

from collections.abc import Set
from dataclasses import dataclass
from datetime import UTC, date, datetime


def period_of(day: date) -> str:
    """Return the accounting period ("YYYY-MM") a day falls in."""
    return f"{day.year:04d}-{day.month:02d}"


def day_of(instant: datetime) -> date:
    """Return the UTC date of an instant: the natural date of an amount an event makes due."""
    return instant.astimezone(UTC).date()


@dataclass(frozen=True, slots=True)
class Posting:
    """Where an amount posts: its own date, and the date in an open period the ERP books it on."""

    natural_date: date
    accounting_date: date

    @property
    def rolled(self) -> bool:
        """Tell whether the natural date's period was closed, so the posting moved forward."""
        return self.accounting_date != self.natural_date


def posting(natural: date, closed: Set[str]) -> Posting:
    """Return where an amount with this natural date posts, given the periods closed for its legal entity."""
    if period_of(natural) not in closed:
        return Posting(natural, natural)
    year, month = natural.year, natural.month
    # The closed set is finite, so an open month follows; a later month, never an earlier one.
    while f"{year:04d}-{month:02d}" in closed:
        year, month = (year + 1, 1) if month == 12 else (year, month + 1)
    return Posting(natural, date(year, month, 1))
