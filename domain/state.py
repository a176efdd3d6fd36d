"""Keyed state as the rules see it: typed items of one subject under (kind, item id), changed by staging.

No stored value grows with a subject's history: each entry, command, milestone or month is an item of its
own, running totals are one small item, and a rule reads and writes the few items an event concerns. Rules
read through a `StateReader` (the worker's tables, an in-memory state in tests and replay) and change a
`Staging` over it, which answers later reads with the staged values and returns the changes to apply.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass
from typing import Protocol

from pydantic import BaseModel

# (kind, item id) within one subject (a project, a resource).
ItemKey = tuple[str, str]


class StateReader(Protocol):
    """Read one subject's items."""

    def get(self, kind: str, item: str) -> BaseModel | None:
        """Return the item, or None if there is none."""

    def scan(self, kind: str, prefix: str = "") -> Iterator[tuple[str, BaseModel]]:
        """Yield the items of a kind whose id starts with `prefix`, in ascending id order."""


# Plain slotted dataclasses, not models: a decision makes several per event, and nothing here needs checking.
@dataclass(frozen=True, slots=True)
class Put:
    """Store `value` under (kind, item)."""

    kind: str
    item: str
    value: BaseModel


@dataclass(frozen=True, slots=True)
class Delete:
    """Remove (kind, item)."""

    kind: str
    item: str


Change = Put | Delete


class EmptyState:
    """A subject never seen: no items."""

    def get(self, kind: str, item: str) -> BaseModel | None:
        """Return None: there is nothing."""
        return None

    def scan(self, kind: str, prefix: str = "") -> Iterator[tuple[str, BaseModel]]:
        """Yield nothing."""
        return iter(())


EMPTY = EmptyState()


class Staging:
    """Changes to a subject's items on top of a reader, visible to every later read through this object."""

    def __init__(self, base: StateReader = EMPTY):
        self._base = base
        # (kind, item) -> value, or None for a delete; and the staged item ids of each kind, for scans.
        self._staged: dict[ItemKey, BaseModel | None] = {}
        self._by_kind: dict[str, set[str]] = {}

    def get(self, kind: str, item: str) -> BaseModel | None:
        """Return the item as staged so far."""
        key = (kind, item)
        if key in self._staged:
            return self._staged[key]
        return self._base.get(kind, item)

    def scan(self, kind: str, prefix: str = "") -> Iterator[tuple[str, BaseModel]]:
        """Yield the staged view of a kind's items whose id starts with `prefix`, in id order."""
        merged: dict[str, BaseModel | None] = dict(self._base.scan(kind, prefix))
        for item in self._by_kind.get(kind, ()):
            if item.startswith(prefix):
                merged[item] = self._staged[(kind, item)]
        for item in sorted(merged):
            value = merged[item]
            if value is not None:
                yield item, value

    def put(self, kind: str, item: str, value: BaseModel) -> None:
        """Stage a new value."""
        self._staged[(kind, item)] = value
        self._by_kind.setdefault(kind, set()).add(item)

    def delete(self, kind: str, item: str) -> None:
        """Stage a removal."""
        self._staged[(kind, item)] = None
        self._by_kind.setdefault(kind, set()).add(item)

    def touched(self) -> bool:
        """Tell whether anything is staged."""
        return bool(self._staged)

    def changes(self) -> tuple[Change, ...]:
        """Return the staged changes, one per item, in (kind, item) order: the same decision writes alike."""
        out: list[Change] = []
        for (kind, item), value in sorted(self._staged.items(), key=lambda entry: entry[0]):
            out.append(
                Delete(kind=kind, item=item) if value is None else Put(kind=kind, item=item, value=value)
            )
        return tuple(out)


class MemoryState:
    """A subject's items in memory: the state of the unit tests and of replay's sandboxes."""

    def __init__(self, items: Mapping[ItemKey, BaseModel] | None = None):
        self.items: dict[ItemKey, BaseModel] = dict(items or {})

    def get(self, kind: str, item: str) -> BaseModel | None:
        """Return the item, or None."""
        return self.items.get((kind, item))

    def scan(self, kind: str, prefix: str = "") -> Iterator[tuple[str, BaseModel]]:
        """Yield a kind's items whose id starts with `prefix`, in id order."""
        found = [
            (item, value) for (k, item), value in self.items.items() if k == kind and item.startswith(prefix)
        ]
        return iter(sorted(found, key=lambda pair: pair[0]))

    def apply(self, changes: Iterable[Change]) -> None:
        """Apply changes in order."""
        for change in changes:
            key = (change.kind, change.item)
            if isinstance(change, Put):
                self.items[key] = change.value
            else:
                self.items.pop(key, None)

    def of_kind(self, kind: str) -> dict[str, BaseModel]:
        """Return every item of a kind by id."""
        return dict(self.scan(kind))
