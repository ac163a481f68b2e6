"""Background work is tracked, bounded, and drained at shutdown."""

from __future__ import annotations

import asyncio

from bot.background import Background
from tests.wait import quiet_for


async def test_past_the_limit_spawn_waits_for_a_free_slot():
    background = Background(limit=2, wait=5)
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


async def test_when_no_slot_frees_in_time_the_work_runs_beyond_the_limit_and_is_counted():
    # A stalled API holds every slot: the next request must not wait on it past the budget.
    overflows: list[int] = []
    background = Background(limit=2, wait=0.05, on_overflow=lambda: overflows.append(1))
    release = asyncio.Event()
    finished: list[int] = []

    async def job(n: int) -> None:
        await release.wait()
        finished.append(n)

    await background.spawn(job(1))
    await background.spawn(job(2))
    started = asyncio.get_running_loop().time()
    await asyncio.wait_for(background.spawn(job(3)), 1)
    assert asyncio.get_running_loop().time() - started < 0.5
    assert background.pending == 3 and overflows == [1]
    release.set()
    await background.drain(timeout=1)
    assert sorted(finished) == [1, 2, 3] and background.pending == 0
    # Overflow work held no slot, so it gave none back: the limit is still 2.
    release.clear()
    await background.spawn(job(4))
    await background.spawn(job(5))
    await asyncio.wait_for(background.spawn(job(6)), 1)
    assert overflows == [1, 1]
    release.set()
    await background.drain(timeout=1)


async def test_past_the_ceiling_spawn_waits_as_long_as_it_takes():
    background = Background(limit=1, wait=0.01, ceiling=2)
    release = asyncio.Event()
    await background.spawn(release.wait())
    await background.spawn(release.wait())  # beyond the limit, under the ceiling
    third = asyncio.ensure_future(background.spawn(release.wait()))
    done, _ = await asyncio.wait({third}, timeout=0.2)  # proof of absence: a short, named window
    assert not done and background.pending == 2
    release.set()
    await asyncio.wait_for(third, 1)
    await background.drain(timeout=1)
    assert background.pending == 0
