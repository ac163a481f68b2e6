"""Tracked background tasks: work that must run after an ack, and must finish on shutdown.

A bare ``asyncio.create_task`` can be garbage-collected mid-flight and is forgotten at
shutdown; this keeps a reference to each task, logs its failure, and lets the app wait
for the in-flight ones on SIGTERM.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable, Coroutine

log = logging.getLogger(__name__)


class Background:
    """Runs work after the platform has had its answer, with two bounds.

    ``limit`` tasks run on a slot. Past that, ``spawn`` waits for a free slot for at
    most ``wait`` seconds: that delay is the backpressure a flood needs, and it is kept
    short because the caller is usually holding a platform's acknowledgement (Slack
    wants one within 3 seconds). When Slack's API stalls, every reply task waits on
    it and no slot frees up in time; rather than make every later request miss its
    deadline too, the work then runs anyway, beyond the limit, and ``on_overflow`` is
    called so the operator sees it (a metric, an alert). Only past ``ceiling`` tasks in
    all does ``spawn`` wait as long as it takes: memory has to stay bounded, and by
    then the bot is far beyond what it can serve.
    """

    def __init__(
        self,
        limit: int = 256,
        *,
        wait: float = 0.5,
        ceiling: int | None = None,
        on_failure: Callable[[], None] = lambda: None,
        on_overflow: Callable[[], None] = lambda: None,
    ) -> None:
        self._on_failure = on_failure  # counts the failure (``Metrics.bug``); the traceback is logged here
        self._on_overflow = on_overflow
        self._tasks: set[asyncio.Task[None]] = set()
        self._on_slot: set[asyncio.Task[None]] = set()
        self._limit = limit
        self._wait = wait
        self._ceiling = ceiling if ceiling is not None else 4 * limit
        self._slots: asyncio.Semaphore | None = None

    async def spawn(self, work: Coroutine[object, object, None]) -> asyncio.Task[None]:
        """Start ``work``; returns once it is running (see the class for how long that may take)."""
        if self._slots is None:  # created on first use, inside the running loop
            self._slots = asyncio.Semaphore(self._limit)
        try:
            slotted = await self._take_slot(self._slots)
        except BaseException:
            work.close()
            raise
        task = asyncio.get_running_loop().create_task(work)
        self._tasks.add(task)
        if slotted:
            self._on_slot.add(task)
        task.add_done_callback(self._done)
        return task

    async def _take_slot(self, slots: asyncio.Semaphore) -> bool:
        """True with a slot held; False when the work is to run beyond the limit."""
        if not slots.locked():
            await slots.acquire()
            return True
        try:
            await asyncio.wait_for(slots.acquire(), self._wait)
            return True
        except TimeoutError:
            pass
        if len(self._tasks) < self._ceiling:
            log.warning("background work beyond its limit of %d tasks (%d running)", self._limit, len(self._tasks))
            self._on_overflow()
            return False
        await slots.acquire()
        return True

    def _done(self, task: asyncio.Task[None]) -> None:
        self._tasks.discard(task)
        if task in self._on_slot:
            self._on_slot.discard(task)
            if self._slots is not None:
                self._slots.release()
        if not task.cancelled() and task.exception() is not None:
            log.error("background task failed", exc_info=task.exception())
            self._on_failure()

    @property
    def pending(self) -> int:
        return len(self._tasks)

    async def drain(self, timeout: float = 10.0) -> None:
        """Wait for in-flight work (graceful shutdown); cancel what is still running after ``timeout``."""
        if not self._tasks:
            return
        _done, pending = await asyncio.wait(set(self._tasks), timeout=timeout)
        for task in pending:
            task.cancel()
        if pending:
            await asyncio.gather(*pending, return_exceptions=True)
