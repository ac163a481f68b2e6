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
    """At most ``limit`` tasks run at once: past that, ``spawn`` waits for a free slot,
    which delays the request that asked for the work. That is the backpressure a
    flood needs: without it, acked-but-unfinished work piles up in memory."""

    def __init__(self, limit: int = 256, on_failure: Callable[[], None] = lambda: None) -> None:
        self._on_failure = on_failure  # counts the failure (``Metrics.bug``); the traceback is logged here
        self._tasks: set[asyncio.Task[None]] = set()
        self._limit = limit
        self._slots: asyncio.Semaphore | None = None

    async def spawn(self, work: Coroutine[object, object, None]) -> asyncio.Task[None]:
        if self._slots is None:
            self._slots = asyncio.Semaphore(self._limit)
        try:
            await self._slots.acquire()
        except BaseException:
            work.close()
            raise
        task = asyncio.get_running_loop().create_task(work)
        self._tasks.add(task)
        task.add_done_callback(self._done)
        return task

    def _done(self, task: asyncio.Task[None]) -> None:
        self._tasks.discard(task)
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
