"""Period closes do not race postings: a batch first waits for every close written before it."""

from __future__ import annotations

import asyncio

from app.runtime.periods import PeriodFollower
from domain.periods import AccountingCalendar


async def test_a_batch_waits_until_the_calendar_holds_every_event_written_before_it() -> None:
    topic_end = 3  # the broker says three period events are written

    async def end_offset() -> int:
        return topic_end

    follower = PeriodFollower(AccountingCalendar(), end_offset=end_offset)
    await follower.applied_to(1)  # the follower has applied the first one only

    waiting = asyncio.create_task(follower.caught_up())
    for _ in range(5):
        await asyncio.sleep(0)  # let the barrier run as far as it can
    assert not waiting.done()

    await follower.applied_to(3)
    await asyncio.wait_for(waiting, timeout=1)


async def test_a_barrier_whose_broker_call_fails_asks_again_instead_of_passing() -> None:
    calls = 0

    async def end_offset() -> int:
        nonlocal calls
        calls += 1
        if calls == 1:
            raise ConnectionError("broker away")
        return 0

    await asyncio.wait_for(PeriodFollower(AccountingCalendar(), end_offset=end_offset).caught_up(), timeout=5)
    assert calls == 2


async def test_without_a_followed_topic_the_barrier_passes_at_once() -> None:
    await asyncio.wait_for(PeriodFollower(AccountingCalendar()).caught_up(), timeout=1)
