"""``NearCache``: the Redis store with the per-turn reads and counts kept in process.

Every turn reads the conversation's run-time link and the user's language, and counts
the turn for the rate limits. On Redis that is one round trip per turn, which cost
about a third of the CPU of a busy ``/equinix team`` (and its latency under load),
for data that changes a few times in an onboarding. So:

- **Reads** of keys under the configured prefixes are answered from process memory
  once read. Any write through any replica announces the key on a Redis pub/sub
  channel of the namespace, and every replica drops it: another replica's change is
  seen within the time a message takes on loopback/LAN, and this replica's own writes
  at once. Entries never outlive the Redis key (its remaining TTL is read with the
  value) nor ``ttl`` seconds, which bounds staleness even if a message were lost.
  While the subscription is down (Redis restarting, failover), nothing is served from
  memory: reads go to Redis, and the cache starts empty when it is back.
- **Limited counters** (``read_and_count`` with ``limits``, the rate limits) are
  counted in *tickets*: each count is a number Redis handed out, so no two turns on any
  replica get the same one and at most ``limit`` turns get a number within the limit,
  however many replicas there are. Far from the limit a replica reserves a small block
  of numbers in the background (one ``INCRBY`` for several turns) and counts from it
  without a round trip; near the limit every turn takes its number from Redis itself.
  Numbers reserved and not used by the end of the window only make the limit stricter
  (by at most a block per replica, an eighth of what was left when it was reserved).
- **Other counters** are counted in process after their first use and added to Redis
  in one batch every ``flush_every`` seconds, which also brings back the other
  replicas' counts: this replica's own counts are exact, the others' arrive within a
  batch.

It is a ``Store`` (the same contract tests run against it); handlers cannot tell.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
import uuid
from collections.abc import Callable, Sequence
from dataclasses import dataclass

from bot.stores.arguments import check_ttl
from bot.stores.count_leases import Leases
from bot.stores.redis import RedisStore
from handlers.ports import StoreUnavailable

log = logging.getLogger(__name__)

MARGIN = 0.05
"""Seconds before a key's Redis expiry at which the cached copy is dropped: the TTL
was read a round trip ago."""
RESUBSCRIBE = (0.05, 2.0)
"""First and longest wait between attempts to subscribe again after losing Redis."""


@dataclass(slots=True)
class _Count:
    """A counter as this process knows it: Redis' total when last seen, plus the
    increments made here since: on their way there (``sending``) or not sent yet."""

    known: int
    pending: int
    ttl: float
    until: float
    sending: int = 0

    @property
    def total(self) -> int:
        return self.known + self.sending + self.pending


class NearCache:
    """A ``Store`` over ``RedisStore`` that keeps hot reads and counters in process.

    ``prefixes`` name the keys worth caching (read on every turn, written rarely);
    ``("",)`` caches every key. ``start()`` subscribes to the namespace's change
    announcements and starts the counter batches; ``close()`` flushes them and closes
    the Redis store.
    """

    def __init__(
        self,
        store: RedisStore,
        *,
        prefixes: Sequence[str],
        ttl: float = 5.0,
        flush_every: float = 0.05,
        max_entries: int = 100_000,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        if ttl <= 0 or flush_every <= 0:
            raise ValueError("ttl and flush_every must be positive")
        self.store = store
        self._prefixes = tuple(prefixes)
        self._ttl = ttl
        self._flush_every = flush_every
        self._max = max_entries
        self._clock = clock
        self._values: dict[str, tuple[float, str | None]] = {}
        self._counts: dict[str, _Count] = {}
        self._leases = Leases(store, self._max, self._track)
        self._inflight: dict[str, int] = {}
        """Limited counters' numbers being fetched from Redis one by one right now: while
        any are, the turns already sent are a burst, and a block reserved as their answers
        come back would mostly go unused (a turn that arrives after one came back does
        reserve, see ``_ticket``)."""
        self._epoch = 0
        self._live = False
        self._tasks: list[asyncio.Task[None]] = []
        self._subscribed = asyncio.Event()
        self._origin = uuid.uuid4().hex

    def __repr__(self) -> str:
        return f"<NearCache over {self.store!r} prefixes={self._prefixes!r}>"

    @property
    def live(self) -> bool:
        """True while reads may be answered from memory (the subscription is up)."""
        return self._live

    # -- lifecycle -------------------------------------------------------------------

    async def start(self, *, wait: float = 2.0) -> None:
        """Start listening and batching; waits up to ``wait`` seconds for the
        subscription (without it the store still works, uncached)."""
        loop = asyncio.get_running_loop()
        self._tasks = [loop.create_task(self._listen()), loop.create_task(self._flush_loop())]
        with contextlib.suppress(asyncio.TimeoutError):
            await asyncio.wait_for(self._subscribed.wait(), wait)

    async def close(self) -> None:
        for task in self._tasks:
            task.cancel()
        for task in self._tasks:
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await task
        self._tasks = []
        self._going_dark()
        try:
            await self._flush()
        except StoreUnavailable:
            log.warning("could not add the last rate-limit counts to Redis")
        await self.store.close()

    async def _listen(self) -> None:
        wait = RESUBSCRIBE[0]
        while True:
            try:
                async with self.store.changes() as changes:
                    self._forget_all()
                    self._live = True
                    self._subscribed.set()
                    wait = RESUBSCRIBE[0]
                    async for message in changes:
                        origin, _, key = message.partition(" ")
                        if origin != self._origin:  # this process forgot it when it wrote
                            self._forget(key)
            except StoreUnavailable as exc:
                if self._live:
                    log.warning("lost the cache's change announcements; reading from Redis until back (%s)", exc)
            finally:
                self._going_dark()
            await asyncio.sleep(wait)
            wait = min(wait * 2, RESUBSCRIBE[1])

    def _going_dark(self) -> None:
        self._live = False
        self._forget_all()

    async def _flush_loop(self) -> None:
        while True:
            await asyncio.sleep(self._flush_every)
            try:
                await self._flush()
            except StoreUnavailable:
                pass  # the counts stay pending and go with the next batch
            except Exception:  # noqa: BLE001 - the batches must go on whatever one of them hit
                log.exception("adding rate-limit counts to Redis failed")

    # -- the caches --------------------------------------------------------------------

    def _cached(self, key: str) -> bool:
        return isinstance(key, str) and key.startswith(self._prefixes)

    def _forget(self, key: str) -> None:
        self._epoch += 1
        self._values.pop(key, None)

    def _forget_all(self) -> None:
        self._epoch += 1
        self._values.clear()

    def _hit(self, key: str, now: float) -> tuple[bool, str | None]:
        if not self._live or not self._cached(key):
            return False, None
        entry = self._values.get(key)
        if entry is None or entry[0] <= now:
            return False, None
        return True, entry[1]

    def _keep(self, key: str, value: str | None, life: float | None, now: float, epoch: int) -> None:
        """Remember a value read from Redis, unless something changed since the read
        started (its announcement may have arrived before the read's answer)."""
        if not self._live or epoch != self._epoch or not self._cached(key):
            return
        lasts = self._ttl if life is None else min(self._ttl, life - MARGIN)
        if lasts <= 0:
            return
        if len(self._values) >= self._max:
            self._values.clear()
        self._values[key] = (now + lasts, value)

    async def _read(self, keys: Sequence[str], counters: Sequence[str], ttl: float | None
                    ) -> tuple[list[str | None], list[int]]:
        epoch, now = self._epoch, self._clock()
        values, lives, counts = await self.store.read_for_cache(keys, counters, ttl=ttl)
        for key, value, life in zip(keys, values, lives, strict=True):
            self._keep(key, value, life, now, epoch)
        return values, counts

    async def _settle(self, key: str) -> None:
        """Before touching a counter directly: add its pending counts and stop counting
        it here (the direct call decides its value from now on)."""
        count = self._counts.pop(key, None)
        if count is not None and count.pending:
            await self.store.add_counts([(key, count.pending, count.ttl)])

    async def _flush(self) -> None:
        now = self._clock()
        batch: list[tuple[str, _Count, int]] = []
        for key, count in list(self._counts.items()):
            if count.until <= now:
                del self._counts[key]  # its window is over; so are its pending counts
            elif count.pending:
                batch.append((key, count, count.pending))
        if not batch:
            return
        # Taken out of pending before the call: a direct call on the counter meanwhile
        # (``_settle``) must not add them a second time.
        # Counted as ``sending`` until Redis answers, so a turn counted meanwhile still
        # sees them (known + sending + pending), not a total that lost them for a moment.
        for _, count, amount in batch:
            count.pending -= amount
            count.sending += amount
        try:
            totals = await self.store.add_counts([(key, amount, count.ttl) for key, count, amount in batch])
        except BaseException:
            for key, count, amount in batch:
                count.sending -= amount
                if self._counts.get(key) is count:  # still counted here: try again next batch
                    count.pending += amount
            raise
        for (_, count, amount), total in zip(batch, totals, strict=True):
            count.sending -= amount
            count.known = total

    async def _changed(self, key: str) -> None:
        """After a write: forget the key here, and tell the other replicas."""
        self._forget(key)
        if not self._cached(key):
            return
        try:
            await self.store.announce(f"{self._origin} {key}")
        except StoreUnavailable as exc:
            # The write itself went through; other replicas' copies expire within ttl.
            log.warning("could not announce a change to the other replicas (%s)", exc)

    # -- Store ---------------------------------------------------------------------------

    def _ticket(self, counter: str, now: float) -> int | None:
        return self._leases.ticket(counter, now)

    def _leased(self, counter: str, total: int, limit: int, ttl: float, now: float) -> None:
        self._leases.leased(counter, total, limit, ttl, now, busy=bool(self._inflight.get(counter)))

    def _track(self, task: asyncio.Task[None]) -> None:
        """Keep a reservation task with the listener's, so ``close`` waits for it too."""
        self._tasks.append(task)
        task.add_done_callback(lambda t: self._tasks.remove(t) if t in self._tasks else None)

    async def read_and_count(
        self, keys: Sequence[str], counters: Sequence[str], *, ttl: float, limits: Sequence[int] | None = None
    ) -> tuple[list[str | None], list[int]]:
        """See ``Store.read_and_count``. A counter given a positive limit in ``limits``
        is counted in tickets (see the module docstring); others in batches."""
        check_ttl(ttl)
        now = self._clock()
        limited = {counters[j]: limit for j, limit in enumerate(limits or ()) if limit and limit > 0}
        values, missing = self._values_here(keys, now)
        counts, remote = self._counts_here(counters, limited, now)
        if missing or remote:
            read, counted = await self._fetch([keys[i] for i in missing], [counters[j] for j in remote], limited, ttl)
            for i, value in zip(missing, read, strict=True):
                values[i] = value
            for j, total in zip(remote, counted, strict=True):
                counts[j] = total
            self._note_totals([counters[j] for j in remote], counted, limited, ttl)
        return values, counts

    def _values_here(self, keys: Sequence[str], now: float) -> tuple[list[str | None], list[int]]:
        """The values this process holds for ``keys``, and the positions it does not."""
        values: list[str | None] = [None] * len(keys)
        missing: list[int] = []
        for i, key in enumerate(keys):
            hit, value = self._hit(key, now)
            if hit:
                values[i] = value
            else:
                missing.append(i)
        return values, missing

    def _counts_here(self, counters: Sequence[str], limited: dict[str, int], now: float) -> tuple[list[int], list[int]]:
        """Counts taken in process (a ticket from a lease, or a batched count), and the
        positions of the counters that need Redis for this turn."""
        counts = [0] * len(counters)
        remote: list[int] = []
        for j, counter in enumerate(counters):
            if counter in limited:
                ticket = self._ticket(counter, now)
            else:
                ticket = self._batched(counter, now)
            if ticket is None:
                remote.append(j)
            else:
                counts[j] = ticket
        return counts, remote

    def _batched(self, counter: str, now: float) -> int | None:
        """Count one for ``counter`` in process, if it is counted here (see ``_flush``)."""
        count = self._counts.get(counter)
        if count is None or count.until <= now:
            return None
        count.pending += 1
        return count.total

    async def _fetch(self, keys: list[str], counters: list[str], limited: dict[str, int], ttl: float
                     ) -> tuple[list[str | None], list[int]]:
        """Read ``keys`` and count ``counters`` in Redis, noting which limited counters
        are being fetched one by one meanwhile (``_inflight``)."""
        fetching = [counter for counter in counters if counter in limited]
        for counter in fetching:
            self._inflight[counter] = self._inflight.get(counter, 0) + 1
        try:
            return await self._read(keys, counters, ttl)
        finally:
            for counter in fetching:
                if self._inflight.get(counter, 0) <= 1:
                    self._inflight.pop(counter, None)
                else:
                    self._inflight[counter] -= 1

    def _note_totals(self, counters: list[str], totals: list[int], limited: dict[str, int], ttl: float) -> None:
        """Redis' totals for counters counted there this turn: leases for the limited
        ones, and the others counted here from now on."""
        for counter in counters:
            if self._cached(counter):
                self._forget(counter)
        now = self._clock()
        for counter, total in zip(counters, totals, strict=True):
            if counter in limited:
                self._leased(counter, total, limited[counter], ttl, now)
                continue
            count = self._counts.get(counter)
            if count is not None and count.until > now:
                count.known = max(count.known, total)
            else:
                if len(self._counts) >= self._max:
                    self._counts.clear()
                self._counts[counter] = _Count(known=total, pending=0, ttl=ttl, until=now + ttl)

    async def get(self, key: str) -> str | None:
        return (await self.get_many([key]))[0]

    async def get_many(self, keys: Sequence[str]) -> list[str | None]:
        for key in keys:
            await self._settle(key)
        if not any(self._cached(key) for key in keys):
            # Nothing to keep here (escalations, outbox items): a plain MGET, not the
            # script that also reads each key's expiry for the cache.
            return await self.store.get_many(keys)
        values, _ = await self.read_and_count(keys, [], ttl=self._ttl)
        return values

    async def set(self, key: str, value: str, *, ttl: float | None = None) -> None:
        self._counts.pop(key, None)
        self._leases.forget(key)
        try:
            await self.store.set(key, value, ttl=ttl)
        finally:
            self._forget(key)
        await self._changed(key)

    async def add(self, key: str, value: str, *, ttl: float | None = None) -> bool:
        await self._settle(key)
        try:
            created = await self.store.add(key, value, ttl=ttl)
        finally:
            self._forget(key)
        if created:
            await self._changed(key)
        return created

    async def add_all(
        self, values: Sequence[tuple[str, str, float | None]], *, index: Sequence[tuple[str, str, float]] = ()
    ) -> list[str | None]:
        keys = [key for key, _, _ in values]
        for key in keys:
            await self._settle(key)
        try:
            held = await self.store.add_all(values, index=index)
        finally:
            for key in keys:
                self._forget(key)
        if all(value is None for value in held):
            for key in keys:
                await self._changed(key)
        return held

    async def replace(self, key: str, expected: str, value: str) -> bool:
        await self._settle(key)
        try:
            replaced = await self.store.replace(key, expected, value)
        finally:
            self._forget(key)
        if replaced:
            await self._changed(key)
        return replaced

    async def delete(self, key: str) -> None:
        self._counts.pop(key, None)
        self._leases.forget(key)
        try:
            await self.store.delete(key)
        finally:
            self._forget(key)
        await self._changed(key)

    async def incr(self, key: str, *, ttl: float | None = None) -> int:
        await self._settle(key)
        try:
            return await self.store.incr(key, ttl=ttl)
        finally:
            self._forget(key)
            await self._changed(key)

    async def index_put(self, index: str, member: str, score: float) -> None:
        await self.store.index_put(index, member, score)

    async def index_remove(self, index: str, member: str) -> None:
        await self.store.index_remove(index, member)

    async def index_range(
        self, index: str, *, max_score: float | None = None, limit: int = 100
    ) -> list[tuple[str, float]]:
        return await self.store.index_range(index, max_score=max_score, limit=limit)

    async def ping(self) -> None:
        await self.store.ping()
