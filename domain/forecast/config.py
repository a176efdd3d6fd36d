"""Configuration the forecast rules read: exchange rates, intercompany markups, the delta threshold."""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from typing import Annotated

from pydantic import Field

from domain.forecast.calendar import CapacityCalendar, Config

Currency = Annotated[str, Field(pattern=r"^[A-Z]{3}$")]
DEFAULT_MARKUP = Decimal("0.10")
DEFAULT_THRESHOLD = Decimal("0.01")


class FxRate(Config):
    """One explicit exchange rate: 1 `from_currency` = `rate` `to_currency`, from a date on."""

    from_currency: Currency
    to_currency: Currency
    rate: Annotated[Decimal, Field(gt=0)]
    effective_from: date


class FxRates(Config):
    """The exchange rates given to psflow; a rate is only ever looked up, never inverted or triangulated."""

    rates: tuple[FxRate, ...] = ()

    def rate(self, from_currency: str, to_currency: str, on: date) -> Decimal | None:
        """Return the latest rate of the pair effective on `on` (of equal dates the last listed), or None."""
        if from_currency == to_currency:
            return Decimal(1)
        best: FxRate | None = None
        for fx in self.rates:
            pair = (fx.from_currency, fx.to_currency) == (from_currency, to_currency)
            if (
                pair
                and fx.effective_from <= on
                and (best is None or fx.effective_from >= best.effective_from)
            ):
                best = fx
        return None if best is None else best.rate


class Markup(Config):
    """The markup one legal entity charges another for its people's time."""

    seller: str
    buyer: str
    markup: Annotated[Decimal, Field(ge=0)]


class IntercompanyPolicy(Config):
    """Intercompany pricing: the seller's cost x (1 + markup), markup per (seller, buyer) pair or default."""

    default_markup: Annotated[Decimal, Field(ge=0)] = DEFAULT_MARKUP
    markups: tuple[Markup, ...] = ()

    def markup(self, seller: str, buyer: str) -> Decimal:
        """Return the markup the resource's entity (seller) charges the project's entity (buyer)."""
        for pair in reversed(self.markups):
            if (pair.seller, pair.buyer) == (seller, buyer):
                return pair.markup
        return self.default_markup


class ForecastContext(Config):
    """Everything the rules read besides state, event and as_of."""

    calendar: CapacityCalendar = CapacityCalendar()
    fx: FxRates = FxRates()
    intercompany: IntercompanyPolicy = IntercompanyPolicy()
    threshold: Annotated[Decimal, Field(ge=0)] = DEFAULT_THRESHOLD
