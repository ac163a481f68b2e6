"""Background work is tracked, bounded, and drained at shutdown."""

from __future__ import annotations

import asyncio

from bot.background import Background
from tests.wait import quiet_for


async def test_past_the_limit_spawn_waits_for_a_free_slot():
    background = Background(limit=2)
    release = asyncio.Event()
    finished: list[int] = []

    async def job(n: int) -> None:
        await release.wait()
        finished.append(n)

    await background.spawn(job(1))
    await background.spawn(job(2))
    third = asyncio.ensure_future(background.spawn(job(3)))
    await quiet_for(0.05)  # the third spawn would return at once if it were not held back
    assert not third.done() and background.pending == 2  # the caller is held back
    release.set()
    await asyncio.wait_for(third, 1)
    await background.drain(timeout=1)
    assert sorted(finished) == [1, 2, 3] and background.pending == 0


async def test_drain_cancels_what_outlives_the_timeout():
    background = Background()
    task = await background.spawn(asyncio.sleep(10))
    await background.drain(timeout=0.05)
    assert task.cancelled()
