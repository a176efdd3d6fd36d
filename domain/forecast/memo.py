"""Figures derived from one state object, kept beside it (never in it) so the next event updates them."""

from __future__ import annotations

import weakref
from decimal import Context, Decimal, Rounded, getcontext
from typing import Generic, TypeVar

from pydantic import BaseModel

Owner = TypeVar("Owner", bound=BaseModel)
Derived = TypeVar("Derived")


class Memo(Generic[Owner, Derived]):
    """Derived figures per state object, dropped with it.

    Kept outside the model so the state's JSON, equality and copies stay exactly what they were; a state
    decoded from JSON simply has none yet. Keyed by identity: a frozen state never changes under its memo.
    """

    def __init__(self) -> None:
        self._by_id: dict[int, tuple[weakref.ref[Owner], Derived]] = {}

    def get(self, owner: Owner) -> Derived | None:
        """Return what was derived from this very state object, or None."""
        entry = self._by_id.get(id(owner))
        if entry is None or entry[0]() is not owner:
            return None
        return entry[1]

    def put(self, owner: Owner, derived: Derived) -> None:
        """Keep `derived` beside `owner` for as long as `owner` lives."""
        key = id(owner)

        def drop(ref: weakref.ref[Owner]) -> None:
            # Only our own entry: the id may already belong to a newer state.
            entry = self._by_id.get(key)
            if entry is not None and entry[0] is ref:
                del self._by_id[key]

        self._by_id[key] = (weakref.ref(owner, drop), derived)


class Sums:
    """Adds and subtracts in the ambient precision, remembering whether any result was rounded.

    A running total kept by deltas equals a recomputed one only while every step is exact; with non-negative
    terms an unrounded total also means the rules' own sums (in any order) are exact, so the values agree.
    """

    def __init__(self) -> None:
        self._ctx: Context = getcontext().copy()
        self._ctx.clear_flags()

    def add(self, a: Decimal, b: Decimal) -> Decimal:
        """Return a + b."""
        return self._ctx.add(a, b)

    def sub(self, a: Decimal, b: Decimal) -> Decimal:
        """Return a - b."""
        return self._ctx.subtract(a, b)

    @property
    def exact(self) -> bool:
        """Tell whether no result so far was rounded."""
        return not self._ctx.flags[Rounded]
