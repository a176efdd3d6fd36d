"""Running sums kept exactly by adding and taking back, and digests of what figures were computed with."""

from __future__ import annotations

import hashlib
from decimal import Context, Decimal, Rounded

from pydantic import BaseModel

from domain.forecast.state import Tally

ZERO = Decimal(0)
# Wide enough that sums of amounts converted at 28-digit rates stay exact; a rounded sum is counted again.
PRECISION = 64


class Sums:
    """Adds to and takes back from tallies, remembering whether any result was rounded.

    A running total equals a recount in any order only while every step is exact.
    """

    def __init__(self) -> None:
        self._ctx = Context(prec=PRECISION)
        self._ctx.clear_flags()

    def add(self, a: Decimal, b: Decimal) -> Decimal:
        """Return a + b."""
        return self._ctx.add(a, b)

    def move(self, tally: Tally | None, amount: Decimal, sign: int) -> Tally | None:
        """Return a tally with one entry's amount added (sign 1) or taken back (-1); None once none adds."""
        n, total = tally if tally is not None else (0, ZERO)
        n += sign
        total = self._ctx.add(total, amount) if sign > 0 else self._ctx.subtract(total, amount)
        return (n, total) if n else None

    @property
    def exact(self) -> bool:
        """Tell whether no result so far was rounded."""
        return not self._ctx.flags[Rounded]


def digest(*parts: str) -> str:
    """Return a short digest of some strings."""
    return hashlib.sha256("\x1f".join(parts).encode()).hexdigest()[:16]


# Configuration objects live long and are asked for their digest on every event: each is hashed once.
# Holding the object keeps its id from being reused while the entry lives.
_DIGESTS: dict[int, tuple[BaseModel, str]] = {}
_MAX_DIGESTS = 64


def config_digest(config: BaseModel) -> str:
    """Return a digest of a configuration object's JSON."""
    kept = _DIGESTS.get(id(config))
    if kept is not None and kept[0] is config:
        return kept[1]
    if len(_DIGESTS) >= _MAX_DIGESTS:
        _DIGESTS.clear()
    found = digest(type(config).__name__, config.model_dump_json())
    _DIGESTS[id(config)] = (config, found)
    return found
