"""Waiting on a platform's API for at most a small budget, without giving the call up.

Slack wants a command acknowledged within 3 seconds and Teams an invoke answered
within a few; the Web API client's own timeout is 10 seconds. Anything the
acknowledgement would like to know from the API (a user's locale, the bot's identity,
a token) is fetched in a task of its own: the answer waits for it at most ``budget``
seconds and goes on without it, while the task finishes and fills its cache for the
next turn.
"""

from __future__ import annotations

import asyncio
from typing import TypeVar

_T = TypeVar("_T")


async def within(task: asyncio.Future[_T], budget: float) -> _T:
    """``task``'s result if it is ready within ``budget`` seconds, else TimeoutError.

    The task is shielded: a caller that stops waiting leaves it running.
    """
    if task.done():
        return task.result()
    return await asyncio.wait_for(asyncio.shield(task), timeout=budget)
