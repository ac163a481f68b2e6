"""Waiting on a condition instead of sleeping a fixed time.

``wait_until`` polls a predicate until it holds or the timeout passes, and returns
whether it held, so the test asserts on it (``assert wait_until(...)``): a condition
that is met early costs one poll, not the worst case. ``eventually`` is the same for
async predicates and async tests. Proofs of absence ("nothing more was sent") cannot
wait on a condition: they use ``quiet_for`` with a short, named window.
"""

from __future__ import annotations

import asyncio
import inspect
import time
from typing import Awaitable, Callable, TypeVar

T = TypeVar("T")


def wait_until(predicate: Callable[[], object], timeout: float = 10.0, interval: float = 0.02) -> bool:
    """True as soon as ``predicate()`` is truthy; False after ``timeout`` seconds."""
    deadline = time.monotonic() + timeout
    while True:
        if predicate():
            return True
        if time.monotonic() >= deadline:
            return False
        time.sleep(interval)


async def eventually(predicate: Callable[[], object | Awaitable[object]], timeout: float = 10.0,
                     interval: float = 0.02) -> bool:
    """``wait_until`` for the event loop: the predicate may be sync or async."""
    deadline = time.monotonic() + timeout
    while True:
        result = predicate()
        if inspect.isawaitable(result):
            result = await result
        if result:
            return True
        if time.monotonic() >= deadline:
            return False
        await asyncio.sleep(interval)


async def quiet_for(seconds: float) -> None:
    """A proof of absence: give whatever should NOT happen ``seconds`` to happen anyway.

    Kept short and explicit: call it only after the expected things were awaited with
    ``eventually``, with a window that covers one cycle of the mechanism under test."""
    await asyncio.sleep(seconds)
