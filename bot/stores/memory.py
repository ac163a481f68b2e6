"""``MemoryStore``: the ``Store`` port for one process.

Used by ``./dev serve`` and by tests, and fine in production for a single replica.
Correctness rests on asyncio's cooperative scheduling: no method awaits anything, so
every read-modify-write (``add``, ``add_all``, ``replace``, ``incr``) runs to completion
before any other coroutine can observe the store. It is therefore *not* thread-safe; use
it from one event loop.

Behaviour deliberately mirrors ``RedisStore`` (the contract tests run against both):
TTLs are in seconds and must be positive, values are ``str`` (immutable, so a caller
can never change stored state by mutating what it passed in or got back), index
members with equal scores are ordered by member, and ``incr`` refuses non-integers.
"""

from __future__ import annotations

import heapq
import re
import time
from bisect import bisect_left, bisect_right, insort
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

from bot.stores.arguments import check_limit as _check_limit
from bot.stores.arguments import check_score as _check_score
from bot.stores.arguments import check_str as _check_str
from bot.stores.arguments import check_ttl as _check_ttl

DEFAULT_NAMESPACE = "ob:v1:"

_COMPACT_SLACK = 1024
"""Stale expiry records tolerated beyond twice the live keys before the heap is rebuilt."""

_INT64_MIN, _INT64_MAX = -(2**63), 2**63 - 1
_INTEGER = re.compile(r"-?(?:0|[1-9][0-9]*)")
"""What Redis INCR accepts, so a value that works here also works against Redis."""






@dataclass(slots=True)
class _Index:
    """A sorted set: ``order`` is kept sorted by (score, member), like a Redis ZSET."""

    scores: dict[str, float] = field(default_factory=dict)
    order: list[tuple[float, str]] = field(default_factory=list)

    def put(self, member: str, score: float) -> None:
        old = self.scores.get(member)
        if old is not None:
            del self.order[bisect_left(self.order, (old, member))]
        insort(self.order, (score, member))
        self.scores[member] = score

    def remove(self, member: str) -> None:
        old = self.scores.pop(member, None)
        if old is not None:
            del self.order[bisect_left(self.order, (old, member))]

    def range(self, max_score: float | None, limit: int) -> list[tuple[str, float]]:
        end = len(self.order) if max_score is None else bisect_right(self.order, max_score, key=lambda e: e[0])
        return [(member, score) for score, member in self.order[: min(end, limit)]]


@dataclass(slots=True)
class _State:
    """Everything stored, shared by sibling stores that differ only by namespace."""

    values: dict[str, tuple[str, float | None]] = field(default_factory=dict)
    """Namespaced key -> (value, deadline on the store's clock or None)."""
    expiries: list[tuple[float, str]] = field(default_factory=list)
    """Min-heap of (deadline, key). May hold stale records for keys since rewritten;
    those are skipped when popped and dropped wholesale by compaction."""
    indexes: dict[str, _Index] = field(default_factory=dict)


class MemoryStore:
    """In-process ``Store``. See the module docstring for the guarantees.

    ``clock`` is a monotonic seconds clock, injectable so tests can expire keys
    without sleeping. ``namespace`` prefixes every key and index, as in Redis, so
    stores made with ``sibling`` see only their own data.
    """

    def __init__(
        self,
        *,
        clock: Callable[[], float] = time.monotonic,
        namespace: str = DEFAULT_NAMESPACE,
    ) -> None:
        self._clock = clock
        self._ns = _check_str("namespace", namespace)
        self._state = _State()

    def sibling(self, namespace: str) -> MemoryStore:
        """A store over the same memory and clock under another namespace (as two
        ``RedisStore`` objects with different namespaces share one Redis)."""
        other = MemoryStore(clock=self._clock, namespace=namespace)
        other._state = self._state
        return other

    @property
    def namespace(self) -> str:
        return self._ns

    def __repr__(self) -> str:
        return f"<MemoryStore namespace={self._ns!r} keys={len(self._state.values)}>"

    # -- housekeeping ----------------------------------------------------------------

    def _key(self, key: str) -> str:
        return self._ns + _check_str("key", key)

    def _index(self, index: str) -> str:
        return self._ns + _check_str("index", index)

    def _now(self) -> float:
        """The current time, after dropping every key that has expired by then.

        Called first by every method: expiry is lazy (no background task to leak or
        cancel) yet nothing expired is ever returned and nothing expired is kept
        longer than the next call, so memory follows the live data set.
        """
        now = self._clock()
        state = self._state
        heap = state.expiries
        while heap and heap[0][0] <= now:
            deadline, key = heapq.heappop(heap)
            entry = state.values.get(key)
            if entry is not None and entry[1] == deadline:
                del state.values[key]
        # Rewriting a key with a TTL leaves its old record behind; rebuild the heap
        # once those outnumber the live keys, so a hot key cannot grow it forever.
        if len(heap) > 2 * len(state.values) + _COMPACT_SLACK:
            state.expiries = [(d, k) for k, (_, d) in state.values.items() if d is not None]
            heapq.heapify(state.expiries)
        return now

    def _write(self, key: str, value: str, deadline: float | None) -> None:
        self._state.values[key] = (value, deadline)
        if deadline is not None:
            heapq.heappush(self._state.expiries, (deadline, key))

    def _live(self, key: str) -> tuple[str, float | None] | None:
        """The entry for a namespaced key; call after ``_now`` so expired ones are gone."""
        return self._state.values.get(key)

    def footprint(self) -> int:
        """Entries held right now: values, pending expiry records and index members.

        For tests and metrics: it proves expired data does not pile up.
        """
        state = self._state
        return len(state.values) + len(state.expiries) + sum(len(i.scores) for i in state.indexes.values())

    # -- Store -----------------------------------------------------------------------

    async def get(self, key: str) -> str | None:
        k = self._key(key)
        self._now()
        entry = self._live(k)
        return None if entry is None else entry[0]

    async def get_many(self, keys: Sequence[str]) -> list[str | None]:
        ks = [self._key(key) for key in keys]
        self._now()
        out: list[str | None] = []
        for k in ks:
            entry = self._live(k)
            out.append(None if entry is None else entry[0])
        return out

    async def read_and_count(
        self, keys: Sequence[str], counters: Sequence[str], *, ttl: float, limits: Sequence[int] | None = None
    ) -> tuple[list[str | None], list[int]]:
        values = await self.get_many(keys)
        return values, [await self.incr(counter, ttl=ttl) for counter in counters]

    async def set(self, key: str, value: str, *, ttl: float | None = None) -> None:
        k, v, t = self._key(key), _check_str("value", value), _check_ttl(ttl)
        now = self._now()
        self._write(k, v, None if t is None else now + t)

    async def add(self, key: str, value: str, *, ttl: float | None = None) -> bool:
        k, v, t = self._key(key), _check_str("value", value), _check_ttl(ttl)
        now = self._now()
        if self._live(k) is not None:
            return False
        self._write(k, v, None if t is None else now + t)
        return True

    async def replace(self, key: str, expected: str, value: str) -> bool:
        k = self._key(key)
        exp, v = _check_str("expected", expected), _check_str("value", value)
        self._now()
        entry = self._live(k)
        if entry is None or entry[0] != exp:
            return False
        # Keep the deadline, like SET ... KEEPTTL: the heap record stays valid.
        self._state.values[k] = (v, entry[1])
        return True

    async def add_all(
        self, values: Sequence[tuple[str, str, float | None]], *, index: Sequence[tuple[str, str, float]] = ()
    ) -> list[str | None]:
        """See ``Store.add_all``: every argument is checked before anything is written."""
        writes = [(self._key(k), _check_str("value", v), _check_ttl(t)) for k, v, t in values]
        entries = [(self._index(i), _check_str("member", m), _check_score(sc)) for i, m, sc in index]
        if not writes:
            raise ValueError("add_all needs at least one key")
        now = self._now()
        held = [self._live(k) for k, _, _ in writes]
        if any(entry is not None for entry in held):
            return [None if entry is None else entry[0] for entry in held]
        for k, v, t in writes:
            self._write(k, v, None if t is None else now + t)
        for name, member, score in entries:
            self._state.indexes.setdefault(name, _Index()).put(member, score)
        return [None] * len(writes)

    async def delete(self, key: str) -> None:
        k = self._key(key)
        self._now()
        self._state.values.pop(k, None)

    async def incr(self, key: str, *, ttl: float | None = None) -> int:
        k, t = self._key(key), _check_ttl(ttl)
        now = self._now()
        entry = self._live(k)
        if entry is None:
            self._write(k, "1", None if t is None else now + t)
            return 1
        if not _INTEGER.fullmatch(entry[0]):
            raise ValueError(f"value of {key!r} is not an integer")
        n = int(entry[0]) + 1
        if not _INT64_MIN <= n <= _INT64_MAX:
            raise ValueError(f"incrementing {key!r} would overflow")
        self._state.values[k] = (str(n), entry[1])
        return n

    async def index_put(self, index: str, member: str, score: float) -> None:
        name, m, s = self._index(index), _check_str("member", member), _check_score(score)
        self._now()
        self._state.indexes.setdefault(name, _Index()).put(m, s)

    async def index_remove(self, index: str, member: str) -> None:
        name, m = self._index(index), _check_str("member", member)
        self._now()
        idx = self._state.indexes.get(name)
        if idx is None:
            return
        idx.remove(m)
        if not idx.scores:
            # An empty index is dropped, as Redis drops an empty ZSET.
            del self._state.indexes[name]

    async def index_range(
        self, index: str, *, max_score: float | None = None, limit: int = 100
    ) -> list[tuple[str, float]]:
        name, n = self._index(index), _check_limit(limit)
        top = None if max_score is None else _check_score(max_score)
        self._now()
        idx = self._state.indexes.get(name)
        return [] if idx is None else idx.range(top, n)

    async def ping(self) -> None:
        self._now()

    def dump(self, wall_now: float) -> dict[str, object]:
        """Everything stored, as JSON-able data: values with their expiry as wall-clock
        time (``wall_now`` is now on that clock), and every index. For ``bot.stores.snapshot``."""
        now = self._now()
        values = {k: [v, None if d is None else wall_now + (d - now)] for k, (v, d) in self._state.values.items()}
        indexes = {name: [[m, sc] for sc, m in index.order] for name, index in self._state.indexes.items() if index.order}
        return {"values": values, "indexes": indexes}

    def restore(self, data: dict[str, object], wall_now: float) -> None:
        """Put back what ``dump`` returned (expired keys stay out). Meant for a fresh
        store at start-up: what the store already holds is kept unless overwritten."""
        now = self._now()
        for key, (value, wall_deadline) in dict(data.get("values", {})).items():  # type: ignore[call-overload]
            if wall_deadline is None:
                self._write(str(key), str(value), None)
            elif wall_deadline > wall_now:
                self._write(str(key), str(value), now + (float(wall_deadline) - wall_now))
        for name, members in dict(data.get("indexes", {})).items():  # type: ignore[call-overload]
            index = self._state.indexes.setdefault(str(name), _Index())
            for member, score in members:
                index.put(str(member), float(score))

    async def close(self) -> None:
        """Nothing to release; present so callers can treat every store alike."""
