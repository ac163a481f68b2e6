"""Numbers of a rate-limited counter reserved in Redis ahead of need, per process.

A limited counter (escalations per account per window) must never let two replicas hand
out the same number, but asking Redis for every one costs a round trip per turn. A
process reserves a block of numbers at once (an eighth of what is left of the limit),
hands them out locally, and reserves the next block before it runs dry. Near the limit
it reserves nothing, so the last numbers are counted in Redis one by one. Split from
``bot.stores.near_cache``, which asks it for a number before going to Redis.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from dataclasses import dataclass

from bot.stores.redis import RedisStore
from handlers.ports import StoreUnavailable

MAX_BLOCK = 1024
"""Most numbers reserved at once for a limited counter. Blocks are an eighth of what is
left of the limit, so with real limits (tens a minute) they are a few numbers; the cap
only matters for very high limits, where a small one would cost a round trip every few
turns."""


@dataclass(slots=True)
class _Lease:
    """Numbers of a limited counter reserved in Redis for this process, not used yet."""

    ranges: list[list[int]]
    highest: int
    limit: int
    ttl: float
    until: float
    refilling: bool = False

    def take(self) -> int | None:
        while self.ranges:
            first = self.ranges[0]
            if first[0] <= first[1]:
                first[0] += 1
                return first[0] - 1
            self.ranges.pop(0)
        return None

    def left(self) -> int:
        return sum(max(0, end - start + 1) for start, end in self.ranges)

    def block(self) -> int:
        """How many numbers to reserve next: none near the limit, else an eighth of
        what is left, at most ``MAX_BLOCK``."""
        room = self.limit - self.highest
        size = min(MAX_BLOCK, room // 8)
        return size if size >= 2 and self.highest + 2 * size <= self.limit else 0


class Leases:
    """This process' leases, at most ``max_counters`` of them; ``track`` keeps each
    reservation task so the owner can wait for it on close."""

    def __init__(self, store: RedisStore, max_counters: int, track: Callable[[asyncio.Task[None]], None]) -> None:
        self.store = store
        self._max = max_counters
        self._track = track
        self._by_counter: dict[str, _Lease] = {}

    def forget(self, counter: str) -> None:
        self._by_counter.pop(counter, None)

    def ticket(self, counter: str, now: float) -> int | None:
        """A number from this process' lease on ``counter``, if it holds one.

        An empty lease is refilled here too, even while turns are fetching numbers one by
        one: this turn came after Redis answered one of them, so the traffic goes on and
        a block will be used. Leaving the refill to the moment nothing is in flight
        (``leased``) never came under steady concurrent load: at 16 concurrent turns
        every turn of the minute went to Redis (``./dev bench``'s Redis row, 0.6x).
        """
        lease = self._by_counter.get(counter)
        if lease is None or lease.until <= now:
            return None
        ticket = lease.take()
        self._refill(counter, lease)
        return ticket

    def leased(self, counter: str, total: int, limit: int, ttl: float, now: float, *, busy: bool) -> None:
        """Redis just handed out ``total`` for ``counter``: note it, and reserve a block
        ahead if the counter is far from its limit."""
        lease = self._by_counter.get(counter)
        if lease is None or lease.until <= now:
            if len(self._by_counter) >= self._max:
                self._by_counter.clear()
            lease = self._by_counter[counter] = _Lease([], total, limit, ttl, now + ttl)
        lease.highest = max(lease.highest, total)
        if not busy:
            self._refill(counter, lease)

    def _refill(self, counter: str, lease: _Lease) -> None:
        if lease.refilling or lease.left() > lease.block() // 2:
            return
        size = lease.block()
        if not size:
            return
        lease.refilling = True

        async def reserve() -> None:
            try:
                [total] = await self.store.add_counts([(counter, size, lease.ttl)])
                lease.ranges.append([total - size + 1, total])
                lease.highest = max(lease.highest, total)
            except StoreUnavailable:
                pass  # turns take their numbers from Redis one by one meanwhile
            finally:
                lease.refilling = False

        self._track(asyncio.get_running_loop().create_task(reserve()))
