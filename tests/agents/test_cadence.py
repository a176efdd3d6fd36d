"""A partition's forecasts settle at its first batch, then at most once per interval."""

from __future__ import annotations

from agents.subjects import Cadence


class Clock:
    def __init__(self) -> None:
        self.now = 100.0

    def __call__(self) -> float:
        return self.now


def test_every_partition_is_due_at_its_first_batch_then_once_per_interval() -> None:
    clock = Clock()
    cadence = Cadence(10.0, clock)

    assert cadence.due({0, 1}) == {0, 1}
    clock.now += 4
    assert cadence.due({0, 1, 2}) == {2}
    clock.now += 6
    assert cadence.due({0, 1, 2}) == {0, 1}
    clock.now += 4
    assert cadence.due({2}) == {2}


def test_an_interval_of_zero_settles_at_every_batch_end() -> None:
    cadence = Cadence(0.0, Clock())

    assert cadence.due({3}) == {3}
    assert cadence.due({3}) == {3}
