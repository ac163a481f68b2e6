"""The ``Store`` contract, run against every implementation, plus Redis failure modes.

``TestStoreContract`` is parametrised over ``MemoryStore`` and ``RedisStore`` so the
two cannot drift apart: handlers are tested against the memory store and run against
Redis in production, which is only sound if both behave the same. Time is moved with
an injected clock for the memory store and with short real TTLs (and bounded waits)
for Redis.

``TestRedisStore`` covers what only a network store can do: go away, come back, lose
or keep data, and report all that as ``StoreUnavailable`` without leaking secrets.
"""

from __future__ import annotations

import asyncio
import time
import traceback
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass, field
from urllib.parse import quote

import pytest
import redis.asyncio as aioredis
import redis.exceptions as rex

from bot.stores.memory import MemoryStore
from bot.stores.near_cache import NearCache
from bot.stores.redis import DEFAULT_NAMESPACE, RedisStore
from handlers.ports import Store, StoreUnavailable
from tests.fixtures_redis import RedisServerFactory
from tests.redis_server import RedisSentinel, RedisServer, free_port

SHORT_TTL = 0.2
"""Short enough to keep the Redis run fast, long enough to outlive a local round trip."""
EXPIRY_WAIT = 2.0
"""Upper bound for a key to disappear after its TTL; a hang fails instead of blocking."""
OUTAGE_BUDGET = 3.0
"""How long a call may take to report that Redis is down."""


class FakeClock:
    """Monotonic seconds that only move when the test says so."""

    def __init__(self, start: float = 1000.0) -> None:
        self.now = start

    def __call__(self) -> float:
        return self.now

    def advance(self, seconds: float) -> None:
        self.now += seconds


@dataclass
class StoreKit:
    """One implementation under test, with what the contract tests need around it."""

    kind: str
    store: Store
    make: Callable[[str], Awaitable[Store]]
    """Another store on the same backend under the given namespace."""
    let_time_pass: Callable[[float], Awaitable[None]]
    """Move the store's clock forward (fake for memory, real for Redis)."""
    closers: list[Callable[[], Awaitable[None]]] = field(default_factory=list)


async def gone_within(store: Store, key: str, timeout: float = EXPIRY_WAIT) -> bool:
    """True once ``key`` reads as missing; False if it is still there after ``timeout``."""
    deadline = time.monotonic() + timeout
    while True:
        if await store.get(key) is None:
            return True
        if time.monotonic() >= deadline:
            return False
        await asyncio.sleep(0.02)


@pytest.fixture
async def memory_kit() -> AsyncIterator[StoreKit]:
    clock = FakeClock()
    store = MemoryStore(clock=clock)

    async def make(namespace: str) -> Store:
        return store.sibling(namespace)

    async def let_time_pass(seconds: float) -> None:
        clock.advance(seconds)

    yield StoreKit("memory", store, make, let_time_pass)


async def _redis_backed_kit(kind: str, open_store: Callable[[str], Awaitable[Store]]) -> AsyncIterator[StoreKit]:
    """A kit whose stores ``open_store(namespace)`` opens on the test's Redis; real time."""
    store = await open_store(DEFAULT_NAMESPACE)
    kit_closers: list[Callable[[], Awaitable[None]]] = [store.close]  # type: ignore[attr-defined]

    async def make(namespace: str) -> Store:
        other = await open_store(namespace)
        kit_closers.append(other.close)  # type: ignore[attr-defined]
        return other

    async def let_time_pass(seconds: float) -> None:
        await asyncio.sleep(seconds)

    yield StoreKit(kind, store, make, let_time_pass, kit_closers)
    for close in kit_closers:
        await close()


@pytest.fixture
async def redis_kit(redis_url: str) -> AsyncIterator[StoreKit]:
    async def open_store(namespace: str) -> Store:
        return RedisStore.from_url(redis_url, namespace=namespace)

    async for kit in _redis_backed_kit("redis", open_store):
        yield kit


@pytest.fixture
async def near_kit(redis_url: str) -> AsyncIterator[StoreKit]:
    """Redis behind ``NearCache`` caching every key: the strictest setting for a cache
    (every read may be served from memory, so any stale answer fails a contract test)."""

    async def open_cache(namespace: str) -> Store:
        cache = NearCache(RedisStore.from_url(redis_url, namespace=namespace), prefixes=("",))
        await cache.start()
        assert cache.live
        return cache

    async for kit in _redis_backed_kit("near", open_cache):
        yield kit


@pytest.fixture(params=["memory", pytest.param("redis", marks=pytest.mark.redis),
                        pytest.param("near", marks=pytest.mark.redis)])
def kit(request: pytest.FixtureRequest) -> StoreKit:
    return request.getfixturevalue(f"{request.param}_kit")


class TestStoreContract:
    # -- get / set -------------------------------------------------------------------

    async def test_get_missing_is_none(self, kit: StoreKit) -> None:
        assert await kit.store.get("nope") is None

    async def test_set_then_get_round_trips_any_text(self, kit: StoreKit) -> None:
        for key, value in [("plain", "v"), ("empty", ""), ("unicode", "héllo ✓ 🚀 \n\t"), ("json", '{"a": [1]}')]:
            await kit.store.set(key, value)
            assert await kit.store.get(key) == value

    async def test_set_overwrites(self, kit: StoreKit) -> None:
        await kit.store.set("k", "one")
        await kit.store.set("k", "two")
        assert await kit.store.get("k") == "two"

    async def test_set_ttl_expires(self, kit: StoreKit) -> None:
        await kit.store.set("short", "v", ttl=SHORT_TTL)
        await kit.store.set("long", "v", ttl=60)
        await kit.let_time_pass(SHORT_TTL * 1.5)
        assert await gone_within(kit.store, "short")
        assert await kit.store.get("long") == "v"

    async def test_set_without_ttl_clears_previous_ttl(self, kit: StoreKit) -> None:
        await kit.store.set("k", "old", ttl=SHORT_TTL)
        await kit.store.set("k", "new")
        await kit.let_time_pass(SHORT_TTL * 1.5)
        assert await kit.store.get("k") == "new"

    @pytest.mark.parametrize("bad_value", [5, b"bytes", None, ["list"]])
    async def test_values_must_be_str(self, kit: StoreKit, bad_value: object) -> None:
        with pytest.raises(TypeError):
            await kit.store.set("k", bad_value)  # type: ignore[arg-type]
        assert await kit.store.get("k") is None

    @pytest.mark.parametrize("bad_ttl", [0, -1, float("inf"), float("nan")])
    async def test_non_positive_or_infinite_ttl_is_refused(self, kit: StoreKit, bad_ttl: float) -> None:
        with pytest.raises(ValueError):
            await kit.store.set("k", "v", ttl=bad_ttl)
        with pytest.raises(ValueError):
            await kit.store.add("k", "v", ttl=bad_ttl)
        with pytest.raises(ValueError):
            await kit.store.incr("n", ttl=bad_ttl)
        assert await kit.store.get_many(["k", "n"]) == [None, None]

    # -- get_many ------------------------------------------------------------------

    async def test_get_many_keeps_order_and_reports_missing_as_none(self, kit: StoreKit) -> None:
        await kit.store.set("a", "1")
        await kit.store.set("c", "3")
        assert await kit.store.get_many(["a", "b", "c", "a"]) == ["1", None, "3", "1"]

    async def test_read_and_count_reads_and_counts_in_one_call(self, kit: StoreKit) -> None:
        await kit.store.set("link", "acme")
        values, counts = await kit.store.read_and_count(["link", "missing", "link"], ["c1", "c2"], ttl=SHORT_TTL)
        assert values == ["acme", None, "acme"] and counts == [1, 1]
        values, counts = await kit.store.read_and_count(["missing", "link"], ["c1", "c1"], ttl=SHORT_TTL)
        assert values == [None, "acme"] and counts == [2, 3]
        assert await kit.store.read_and_count([], [], ttl=SHORT_TTL) == ([], [])
        await kit.let_time_pass(SHORT_TTL * 1.5)
        assert await gone_within(kit.store, "c1")  # the counters' ttl was applied on creation

    async def test_get_many_of_nothing_is_empty(self, kit: StoreKit) -> None:
        assert await kit.store.get_many([]) == []

    async def test_get_many_skips_expired(self, kit: StoreKit) -> None:
        await kit.store.set("short", "s", ttl=SHORT_TTL)
        await kit.store.set("kept", "k")
        await kit.let_time_pass(SHORT_TTL * 1.5)
        assert await gone_within(kit.store, "short")
        assert await kit.store.get_many(["short", "kept"]) == [None, "k"]

    # -- add -----------------------------------------------------------------------

    async def test_add_is_true_once_then_false(self, kit: StoreKit) -> None:
        assert await kit.store.add("k", "first") is True
        assert await kit.store.add("k", "second") is False
        assert await kit.store.get("k") == "first"

    async def test_add_after_expiry_creates_again(self, kit: StoreKit) -> None:
        assert await kit.store.add("k", "first", ttl=SHORT_TTL) is True
        assert await kit.store.add("k", "second") is False
        await kit.let_time_pass(SHORT_TTL * 1.5)
        assert await gone_within(kit.store, "k")
        assert await kit.store.add("k", "third") is True
        assert await kit.store.get("k") == "third"

    async def test_add_after_delete_creates_again(self, kit: StoreKit) -> None:
        assert await kit.store.add("k", "a") is True
        await kit.store.delete("k")
        assert await kit.store.add("k", "b") is True

    async def test_concurrent_add_has_exactly_one_winner(self, kit: StoreKit) -> None:
        results = await asyncio.gather(*(kit.store.add("lock", f"owner-{i}") for i in range(50)))
        assert results.count(True) == 1
        winner = results.index(True)
        assert await kit.store.get("lock") == f"owner-{winner}"

    # -- replace -------------------------------------------------------------------

    async def test_replace_on_missing_key_does_nothing(self, kit: StoreKit) -> None:
        assert await kit.store.replace("k", "x", "y") is False
        assert await kit.store.get("k") is None

    async def test_replace_only_on_match(self, kit: StoreKit) -> None:
        await kit.store.set("k", "v1")
        assert await kit.store.replace("k", "other", "v2") is False
        assert await kit.store.get("k") == "v1"
        assert await kit.store.replace("k", "v1", "v2") is True
        assert await kit.store.get("k") == "v2"
        assert await kit.store.replace("k", "v1", "v3") is False
        assert await kit.store.get("k") == "v2"

    async def test_replace_does_not_match_empty_string_against_missing(self, kit: StoreKit) -> None:
        assert await kit.store.replace("k", "", "v") is False
        await kit.store.set("k", "")
        assert await kit.store.replace("k", "", "v") is True
        assert await kit.store.get("k") == "v"

    async def test_replace_keeps_the_ttl(self, kit: StoreKit) -> None:
        await kit.store.set("lease", "a", ttl=SHORT_TTL)
        assert await kit.store.replace("lease", "a", "b") is True
        assert await kit.store.get("lease") == "b"
        await kit.let_time_pass(SHORT_TTL * 1.5)
        assert await gone_within(kit.store, "lease")

    async def test_replace_keeps_no_ttl(self, kit: StoreKit) -> None:
        await kit.store.set("k", "a")
        assert await kit.store.replace("k", "a", "b") is True
        await kit.let_time_pass(SHORT_TTL * 1.5)
        assert await kit.store.get("k") == "b"

    async def test_concurrent_replace_has_exactly_one_winner(self, kit: StoreKit) -> None:
        await kit.store.set("k", "v0")
        results = await asyncio.gather(*(kit.store.replace("k", "v0", f"v{i + 1}") for i in range(50)))
        assert results.count(True) == 1
        assert await kit.store.get("k") == f"v{results.index(True) + 1}"

    # -- add_all -------------------------------------------------------------------

    async def test_add_all_writes_every_key_and_index_entry(self, kit: StoreKit) -> None:
        held = await kit.store.add_all([("rec", "body", None), ("alias", "rec", SHORT_TTL)],
                                       index=[("open", "rec", 5), ("due", "rec", -1.5)])
        assert held == [None, None]
        assert await kit.store.get_many(["rec", "alias"]) == ["body", "rec"]
        assert await kit.store.index_range("open") == [("rec", 5.0)]
        assert await kit.store.index_range("due") == [("rec", -1.5)]
        await kit.let_time_pass(SHORT_TTL * 1.5)
        assert await gone_within(kit.store, "alias")  # each key its own ttl
        assert await kit.store.get("rec") == "body"

    async def test_add_all_writes_nothing_when_any_key_exists(self, kit: StoreKit) -> None:
        await kit.store.set("b", "first")
        await kit.store.index_put("open", "old", 1)
        held = await kit.store.add_all([("a", "x", None), ("b", "x", None), ("c", "x", 60)],
                                       index=[("open", "new", 2), ("other", "new", 2)])
        assert held == [None, "first", None]
        assert await kit.store.get_many(["a", "b", "c"]) == [None, "first", None]
        assert await kit.store.index_range("open") == [("old", 1.0)]
        assert await kit.store.index_range("other") == []
        # Whichever key is taken, the first or the last.
        assert await kit.store.add_all([("b", "y", None)]) == ["first"]
        await kit.store.set("c", "")
        assert await kit.store.add_all([("a", "x", None), ("c", "x", None)]) == [None, ""]
        assert await kit.store.get("a") is None

    async def test_add_all_after_expiry_or_delete_creates_again(self, kit: StoreKit) -> None:
        assert await kit.store.add_all([("k", "one", SHORT_TTL), ("j", "one", None)]) == [None, None]
        await kit.store.delete("j")
        await kit.let_time_pass(SHORT_TTL * 1.5)
        assert await gone_within(kit.store, "k")
        assert await kit.store.add_all([("k", "two", None), ("j", "two", None)]) == [None, None]
        assert await kit.store.get_many(["k", "j"]) == ["two", "two"]

    async def test_concurrent_add_all_has_exactly_one_winner_and_every_loser_sees_it(self, kit: StoreKit) -> None:
        """What creating an escalation once rests on: many creators racing with overlapping
        keys (the same request, the same form) write one record, and every other one is
        told which, with nothing of its own left behind."""
        async def create(i: int) -> list[str | None]:
            keys = [(f"rec:{i}", f"body-{i}", None), ("idem:request", f"rec:{i}", 60)]
            if i % 2:
                keys.append(("idem:form", f"rec:{i}", 60))
            return await kit.store.add_all(keys, index=[("open", f"rec:{i}", i)])

        results = await asyncio.gather(*(create(i) for i in range(40)))
        winners = [i for i, held in enumerate(results) if all(v is None for v in held)]
        assert len(winners) == 1, results
        won = f"rec:{winners[0]}"
        for i, held in enumerate(results):
            if i != winners[0]:
                assert held[0] is None and held[1] == won, held
        assert await kit.store.index_range("open") == [(won, float(winners[0]))]
        assert [i for i in range(40) if await kit.store.get(f"rec:{i}") is not None] == winners

    async def test_add_all_argument_checks_write_nothing(self, kit: StoreKit) -> None:
        with pytest.raises(ValueError):
            await kit.store.add_all([])
        with pytest.raises(ValueError):
            await kit.store.add_all([("a", "x", None), ("b", "x", 0)])
        with pytest.raises(TypeError):
            await kit.store.add_all([("a", "x", None), ("b", 5, None)])  # type: ignore[list-item]
        with pytest.raises(ValueError):
            await kit.store.add_all([("a", "x", None)], index=[("open", "a", float("nan"))])
        assert await kit.store.get_many(["a", "b"]) == [None, None]
        assert await kit.store.index_range("open") == []

    # -- delete --------------------------------------------------------------------

    async def test_delete(self, kit: StoreKit) -> None:
        await kit.store.set("k", "v")
        await kit.store.set("other", "v")
        await kit.store.delete("k")
        await kit.store.delete("never-existed")
        assert await kit.store.get_many(["k", "other"]) == [None, "v"]

    # -- incr ----------------------------------------------------------------------

    async def test_incr_counts_from_one(self, kit: StoreKit) -> None:
        assert [await kit.store.incr("n") for _ in range(3)] == [1, 2, 3]
        assert await kit.store.get("n") == "3"

    async def test_incr_continues_from_a_set_integer(self, kit: StoreKit) -> None:
        await kit.store.set("n", "41")
        assert await kit.store.incr("n") == 42
        await kit.store.set("neg", "-2")
        assert await kit.store.incr("neg") == -1

    async def test_incr_is_atomic_under_200_concurrent_callers(self, kit: StoreKit) -> None:
        results = await asyncio.gather(*(kit.store.incr("hits") for _ in range(200)))
        assert sorted(results) == list(range(1, 201))
        assert await kit.store.get("hits") == "200"

    async def test_incr_ttl_applies_only_when_created(self, kit: StoreKit) -> None:
        assert await kit.store.incr("window", ttl=SHORT_TTL) == 1
        # A later ttl must not extend the window the first call opened.
        assert await kit.store.incr("window", ttl=60) == 2
        await kit.let_time_pass(SHORT_TTL * 1.5)
        assert await gone_within(kit.store, "window")
        assert await kit.store.incr("window") == 1

    async def test_incr_without_ttl_does_not_expire(self, kit: StoreKit) -> None:
        assert await kit.store.incr("n") == 1
        await kit.let_time_pass(SHORT_TTL * 1.5)
        assert await kit.store.incr("n", ttl=SHORT_TTL) == 2
        await kit.let_time_pass(SHORT_TTL * 1.5)
        assert await kit.store.get("n") == "2"

    @pytest.mark.parametrize("value", ["abc", "1.5", "", " 1"])
    async def test_incr_refuses_non_integers(self, kit: StoreKit, value: str) -> None:
        await kit.store.set("n", value)
        with pytest.raises(ValueError):
            await kit.store.incr("n")
        assert await kit.store.get("n") == value

    # -- indexes -------------------------------------------------------------------

    async def test_index_range_lowest_score_first(self, kit: StoreKit) -> None:
        await kit.store.index_put("due", "c", 3)
        await kit.store.index_put("due", "a", 1)
        await kit.store.index_put("due", "b", 2)
        assert await kit.store.index_range("due") == [("a", 1.0), ("b", 2.0), ("c", 3.0)]

    async def test_index_equal_scores_ordered_by_member(self, kit: StoreKit) -> None:
        for member in ["y", "x", "z"]:
            await kit.store.index_put("due", member, 5)
        assert [m for m, _ in await kit.store.index_range("due")] == ["x", "y", "z"]

    async def test_index_put_again_moves_the_member(self, kit: StoreKit) -> None:
        await kit.store.index_put("due", "a", 10)
        await kit.store.index_put("due", "b", 5)
        await kit.store.index_put("due", "a", 1)
        assert await kit.store.index_range("due") == [("a", 1.0), ("b", 5.0)]

    async def test_index_scores_round_trip(self, kit: StoreKit) -> None:
        scores = {"ts": 1732590000.123456, "neg": -3.25, "zero": 0.0, "big": 1e18, "tiny": 1e-9}
        for member, score in scores.items():
            await kit.store.index_put("s", member, score)
        got = await kit.store.index_range("s")
        assert dict(got) == scores
        assert [s for _, s in got] == sorted(scores.values())
        assert all(isinstance(m, str) and isinstance(s, float) for m, s in got)

    async def test_index_max_score_is_inclusive(self, kit: StoreKit) -> None:
        for i in range(1, 6):
            await kit.store.index_put("due", f"m{i}", i)
        assert [m for m, _ in await kit.store.index_range("due", max_score=3)] == ["m1", "m2", "m3"]
        assert [m for m, _ in await kit.store.index_range("due", max_score=2.5)] == ["m1", "m2"]
        assert await kit.store.index_range("due", max_score=0.5) == []
        assert len(await kit.store.index_range("due", max_score=float("inf"))) == 5

    async def test_index_limit(self, kit: StoreKit) -> None:
        for i in range(10):
            await kit.store.index_put("due", f"m{i}", i)
        assert [m for m, _ in await kit.store.index_range("due", limit=3)] == ["m0", "m1", "m2"]
        assert [m for m, _ in await kit.store.index_range("due", max_score=7, limit=20)] == [f"m{i}" for i in range(8)]
        assert [m for m, _ in await kit.store.index_range("due", max_score=1, limit=5)] == ["m0", "m1"]
        assert await kit.store.index_range("due", limit=0) == []

    async def test_index_default_limit_is_100(self, kit: StoreKit) -> None:
        for i in range(150):
            await kit.store.index_put("due", f"m{i:03}", i)
        got = await kit.store.index_range("due")
        assert [m for m, _ in got] == [f"m{i:03}" for i in range(100)]

    async def test_index_remove(self, kit: StoreKit) -> None:
        await kit.store.index_put("due", "a", 1)
        await kit.store.index_put("due", "b", 2)
        await kit.store.index_remove("due", "a")
        await kit.store.index_remove("due", "not-a-member")
        await kit.store.index_remove("no-such-index", "a")
        assert await kit.store.index_range("due") == [("b", 2.0)]
        await kit.store.index_remove("due", "b")
        assert await kit.store.index_range("due") == []
        await kit.store.index_put("due", "b", 3)
        assert await kit.store.index_range("due") == [("b", 3.0)]

    async def test_missing_index_is_empty(self, kit: StoreKit) -> None:
        assert await kit.store.index_range("nothing-here", max_score=10) == []

    async def test_index_argument_checks(self, kit: StoreKit) -> None:
        with pytest.raises(ValueError):
            await kit.store.index_put("due", "a", float("nan"))
        with pytest.raises(ValueError):
            await kit.store.index_range("due", limit=-1)
        assert await kit.store.index_range("due") == []

    async def test_indexes_and_keys_with_the_same_name_are_independent(self, kit: StoreKit) -> None:
        await kit.store.set("same", "value")
        await kit.store.index_put("same", "member", 1)
        assert await kit.store.get("same") == "value"
        assert await kit.store.index_range("same") == [("member", 1.0)]
        assert await kit.store.incr("same2") == 1
        await kit.store.index_put("same2", "m", 2)
        assert await kit.store.incr("same2") == 2

    async def test_separate_indexes_do_not_mix(self, kit: StoreKit) -> None:
        await kit.store.index_put("one", "a", 1)
        await kit.store.index_put("two", "b", 1)
        assert await kit.store.index_range("one") == [("a", 1.0)]
        assert await kit.store.index_range("two") == [("b", 1.0)]

    # -- namespaces ----------------------------------------------------------------

    async def test_namespaces_are_isolated(self, kit: StoreKit) -> None:
        a = await kit.make("tenant-a:")
        b = await kit.make("tenant-b:")
        await a.set("k", "from-a")
        assert await b.get("k") is None
        assert await b.add("k", "from-b") is True
        assert await a.get_many(["k"]) == ["from-a"]
        assert await b.get_many(["k"]) == ["from-b"]
        assert await a.replace("k", "from-b", "x") is False
        assert await a.incr("n") == 1
        assert await b.incr("n") == 1
        await a.index_put("due", "m", 1)
        assert await b.index_range("due") == []
        await b.index_put("due", "m", 2)
        await b.index_remove("due", "m")
        assert await a.index_range("due") == [("m", 1.0)]
        await a.delete("k")
        assert await b.get("k") == "from-b"

    async def test_default_namespace_is_separate_from_others(self, kit: StoreKit) -> None:
        other = await kit.make("ob:v2:")
        await kit.store.set("k", "v1-data")
        assert await other.get("k") is None

    # -- ping ----------------------------------------------------------------------

    async def test_ping(self, kit: StoreKit) -> None:
        assert await kit.store.ping() is None
        await kit.store.set("k", "v")
        assert await kit.store.get("k") == "v"


class TestMemoryStore:
    """What the contract cannot check through the public methods alone."""

    async def test_ttl_boundary_is_exact(self) -> None:
        clock = FakeClock()
        store = MemoryStore(clock=clock)
        await store.set("k", "v", ttl=10)
        clock.advance(9.999)
        assert await store.get("k") == "v"
        clock.advance(0.001)
        assert await store.get("k") is None

    async def test_expired_data_is_purged_not_just_hidden(self) -> None:
        clock = FakeClock()
        store = MemoryStore(clock=clock)
        for i in range(10_000):
            await store.set(f"k{i}", "v", ttl=1)
        assert store.footprint() >= 10_000
        clock.advance(2)
        await store.ping()
        assert store.footprint() == 0

    async def test_rewriting_a_hot_key_stays_bounded(self) -> None:
        clock = FakeClock()
        store = MemoryStore(clock=clock)
        for i in range(20_000):
            await store.set("hot", str(i), ttl=60)
            clock.advance(0.001)
        assert store.footprint() < 2_000
        assert await store.get("hot") == "19999"

    async def test_emptied_index_is_dropped(self) -> None:
        store = MemoryStore(clock=FakeClock())
        await store.index_put("due", "a", 1)
        await store.index_remove("due", "a")
        assert store.footprint() == 0

    async def test_siblings_share_data_not_namespaces(self) -> None:
        clock = FakeClock()
        store = MemoryStore(clock=clock, namespace="a:")
        other = store.sibling("b:")
        await store.set("k", "v", ttl=5)
        await other.set("k", "w", ttl=5)
        assert store.footprint() == other.footprint() == 4  # two values, two expiry records
        clock.advance(5)
        assert await other.get_many(["k"]) == [None]
        assert store.footprint() == 0

    async def test_namespace_defaults_to_ob_v1(self) -> None:
        assert MemoryStore().namespace == "ob:v1:"


@pytest.mark.redis
class TestRedisStore:
    PASSWORD = "s3cr3t/pa:ss@word"

    async def test_namespace_prefixes_every_key_and_index(self, redis_url: str) -> None:
        store = RedisStore.from_url(redis_url, namespace="t1:")
        raw = aioredis.Redis.from_url(redis_url, decode_responses=True)
        try:
            await store.set("a", "1")
            await store.add("b", "2", ttl=30)
            await store.incr("c", ttl=30)
            await store.index_put("i", "m", 1)
            keys = sorted(await raw.keys("*"))
            assert keys == ["t1:ix:i", "t1:kv:a", "t1:kv:b", "t1:kv:c"]
            assert 0 < await raw.pttl("t1:kv:c") <= 30_000
        finally:
            await raw.aclose()
            await store.close()

    async def test_default_namespace(self, redis_url: str) -> None:
        store = RedisStore.from_url(redis_url)
        raw = aioredis.Redis.from_url(redis_url, decode_responses=True)
        try:
            await store.set("k", "v")
            assert await raw.get("ob:v1:kv:k") == "v"
        finally:
            await raw.aclose()
            await store.close()

    async def test_needs_decode_responses(self, redis_url: str) -> None:
        client = aioredis.Redis.from_url(redis_url)
        try:
            with pytest.raises(ValueError, match="decode_responses"):
                RedisStore(client)
        finally:
            await client.aclose()

    async def test_from_url_sets_timeouts_retry_and_health_checks(self, redis_url: str) -> None:
        store = RedisStore.from_url(redis_url, socket_timeout=0.7)
        try:
            kwargs = store._client.get_connection_kwargs()
            assert kwargs["socket_timeout"] == 0.7  # caller's override wins
            assert 0 < kwargs["socket_connect_timeout"] <= 2
            assert kwargs["health_check_interval"] > 0
            assert kwargs["decode_responses"] is True
            assert kwargs["retry"].get_retries() >= 2
        finally:
            await store.close()

    @pytest.mark.slow
    async def test_outage_every_method_fails_fast_without_password_then_recovers(
        self, redis_server_factory: RedisServerFactory
    ) -> None:
        server = redis_server_factory(password=self.PASSWORD)
        store = RedisStore.from_url(server.url, breaker=0)  # every method must reach the driver
        try:
            await store.set("k", "v")  # a pooled connection that the outage will break
            assert self.PASSWORD not in repr(store)
            await asyncio.to_thread(server.stop)

            calls: dict[str, Callable[[], Awaitable[object]]] = {
                "get": lambda: store.get("k"),
                "get_many": lambda: store.get_many(["k", "x"]),
                "set": lambda: store.set("k", "v", ttl=5),
                "add": lambda: store.add("k2", "v", ttl=5),
                "replace": lambda: store.replace("k", "v", "w"),
                "add_all": lambda: store.add_all([("k3", "v", 5)], index=[("i", "m", 1)]),
                "delete": lambda: store.delete("k"),
                "incr": lambda: store.incr("n", ttl=5),
                "index_put": lambda: store.index_put("i", "m", 1),
                "index_remove": lambda: store.index_remove("i", "m"),
                "index_range": lambda: store.index_range("i", max_score=5, limit=3),
                "ping": lambda: store.ping(),
            }

            async def timed(call: Callable[[], Awaitable[object]]) -> tuple[BaseException | None, float]:
                started = time.monotonic()
                try:
                    await call()
                except BaseException as exc:  # noqa: BLE001 - what it raised is checked below
                    return exc, time.monotonic() - started
                return None, time.monotonic() - started

            # All at once, as a busy replica's turns would meet the outage: each is timed on
            # its own, and the client's retries (most of a second per call) overlap.
            outcomes = await asyncio.gather(*(timed(call) for call in calls.values()))
            for name, (error, elapsed) in zip(calls, outcomes, strict=True):
                assert isinstance(error, StoreUnavailable), f"{name} raised {error!r}"
                assert elapsed < OUTAGE_BUDGET, f"{name} took {elapsed:.2f}s to report the outage"
                self.assert_no_password(error, str(server.port))
                # Without a secret in it, the driver's error stays chained for debugging.
                assert isinstance(error.__cause__, rex.ConnectionError)

            await asyncio.to_thread(server.start)  # same port and directory
            await store.set("k", "back")
            assert await store.get("k") == "back"
            assert await store.incr("n") == 1
            assert await store.replace("k", "back", "again") is True
        finally:
            await store.close()

    @pytest.mark.slow
    async def test_restart_is_survived_without_a_failed_call(self, redis_server_factory: RedisServerFactory) -> None:
        server = redis_server_factory()
        store = RedisStore.from_url(server.url)
        try:
            # Several pooled connections, all broken by the restart.
            await asyncio.gather(*(store.incr("n") for _ in range(10)))
            await asyncio.to_thread(server.restart)
            # The retry policy replaces broken connections: no StoreUnavailable here,
            # and the Lua scripts are reloaded into the emptied script cache.
            results = await asyncio.gather(*(store.incr("n") for _ in range(10)))
            assert sorted(results) == list(range(1, 11))  # no appendonly: data is gone
            await store.set("k", "v")
            assert await store.replace("k", "v", "w") is True
        finally:
            await store.close()

    @pytest.mark.slow
    async def test_hung_server_times_out_as_unavailable(self, redis_server_factory: RedisServerFactory) -> None:
        server = redis_server_factory(password=self.PASSWORD)
        store = RedisStore.from_url(server.url, breaker=0)
        try:
            await store.set("k", "v")
            await asyncio.to_thread(server.pause)
            try:
                started = time.monotonic()
                with pytest.raises(StoreUnavailable) as info:
                    await store.get("k")
                assert time.monotonic() - started < OUTAGE_BUDGET
                assert "Timeout" in str(info.value)
                self.assert_no_password(info.value, str(server.port))
            finally:
                await asyncio.to_thread(server.resume)
            assert await store.get("k") == "v"
        finally:
            await store.close()

    @pytest.mark.slow
    async def test_after_an_outage_calls_fail_at_once_for_a_moment(self, redis_server_factory: RedisServerFactory) -> None:
        """A hung Redis costs one socket timeout per breaker window, not one per call:
        a turn makes several store calls inside Slack's 3 s."""
        server = redis_server_factory()
        store = RedisStore.from_url(server.url, breaker=0.5)
        try:
            await store.set("k", "v")
            await asyncio.to_thread(server.pause)
            try:
                with pytest.raises(StoreUnavailable):
                    await store.get("k")
                started = time.monotonic()
                for _ in range(5):
                    with pytest.raises(StoreUnavailable):
                        await store.get("k")
                assert time.monotonic() - started < 0.2
            finally:
                await asyncio.to_thread(server.resume)
            await asyncio.sleep(0.6)
            assert await store.get("k") == "v"
        finally:
            await store.close()

    async def test_wrong_password_is_unavailable_and_not_echoed(self, redis_server_factory: RedisServerFactory) -> None:
        server = redis_server_factory(password="the-right-one")
        wrong = "wrong-" + self.PASSWORD
        store = RedisStore.from_url(server.url.replace("the-right-one", quote(wrong, safe="")))
        try:
            with pytest.raises(StoreUnavailable) as info:
                await store.ping()
            self.assert_no_password(info.value, str(server.port), secret=wrong)
        finally:
            await store.close()

    async def test_nothing_listening_is_unavailable(self) -> None:
        store = RedisStore.from_url(f"redis://:{quote(self.PASSWORD, safe='')}@127.0.0.1:{free_port()}/0")
        try:
            started = time.monotonic()
            with pytest.raises(StoreUnavailable) as info:
                await store.get("k")
            assert time.monotonic() - started < OUTAGE_BUDGET
            self.assert_no_password(info.value, "127.0.0.1")
        finally:
            await store.close()

    @pytest.mark.parametrize(
        "error",
        [
            rex.ConnectionError,
            rex.TimeoutError,
            rex.BusyLoadingError,
            rex.ReadOnlyError,
            rex.MasterDownError,
            rex.AuthenticationError,
            ConnectionResetError,
            OSError,
        ],
    )
    async def test_unreachable_errors_become_store_unavailable_and_are_scrubbed(
        self, monkeypatch: pytest.MonkeyPatch, error: type[Exception]
    ) -> None:
        # Even an error whose own text carried the password (no redis-py error does
        # today; a future one or a proxy's might) must not pass it on.
        encoded = quote(self.PASSWORD, safe="")
        client = aioredis.Redis.from_url(f"redis://:{encoded}@127.0.0.1:1/0", decode_responses=True)

        async def failing(*args: object, **kwargs: object) -> None:
            raise error(f"boom for redis://:{encoded}@host with {self.PASSWORD}")

        monkeypatch.setattr(client, "get", failing)
        store = RedisStore(client)
        try:
            with pytest.raises(StoreUnavailable) as info:
                await store.get("k")
            assert "boom" in str(info.value)
            assert error.__name__ in str(info.value)
            self.assert_no_password(info.value, "127.0.0.1:1")
        finally:
            await store.close()

    async def test_other_redis_errors_are_not_disguised_as_outages(self, monkeypatch: pytest.MonkeyPatch) -> None:
        client = aioredis.Redis.from_url("redis://127.0.0.1:1/0", decode_responses=True)

        async def failing(*args: object, **kwargs: object) -> None:
            raise rex.ResponseError("WRONGTYPE Operation against a key holding the wrong kind of value")

        monkeypatch.setattr(client, "get", failing)
        store = RedisStore(client)
        try:
            with pytest.raises(rex.ResponseError):
                await store.get("k")
        finally:
            await store.close()

    def test_malformed_url_is_refused_without_echoing_it(self) -> None:
        # An unescaped '/' in the password makes urllib read part of it as the port.
        password = "topsecret/moonbeam:lightning"
        with pytest.raises(ValueError) as info:
            RedisStore.from_url(f"redis://:{password}@127.0.0.1:6379/0")
        text = "".join(traceback.format_exception(info.value))
        for part in ("topsecret", "moonbeam", "lightning"):
            assert part not in text
        assert "invalid Redis URL" in str(info.value)

    @pytest.mark.slow
    @pytest.mark.parametrize("how", ["restart", "kill"])
    async def test_appendonly_data_survives(self, redis_server_factory: RedisServerFactory, how: str) -> None:
        server = redis_server_factory(appendonly=True)
        store = RedisStore.from_url(server.url)
        try:
            await store.set("k", "kept")
            await store.set("lease", "held", ttl=60)
            assert await store.incr("n") == 1
            assert await store.incr("n") == 2
            await store.index_put("due", "m", 42.5)
            if how == "kill":
                await asyncio.to_thread(server.kill)
                await asyncio.to_thread(server.start)
            else:
                await asyncio.to_thread(server.restart)
            assert await store.get_many(["k", "lease"]) == ["kept", "held"]
            assert await store.incr("n") == 3
            assert await store.index_range("due") == [("m", 42.5)]
            # A fresh client sees the same data (nothing was served from a cache).
            fresh = RedisStore.from_url(server.url)
            try:
                assert await fresh.get("k") == "kept"
                assert await fresh.add("lease", "stolen") is False
            finally:
                await fresh.close()
        finally:
            await store.close()

    @pytest.mark.slow
    async def test_from_sentinel_follows_the_master(self, redis_server_factory: RedisServerFactory) -> None:
        master = redis_server_factory(password=self.PASSWORD)
        sentinel = RedisSentinel(master, service="onboarding", binary=master.binary)
        try:
            await asyncio.to_thread(sentinel.start)
            store = RedisStore.from_sentinel(
                [(sentinel.host, sentinel.port)], "onboarding", namespace="s:", password=self.PASSWORD
            )
            try:
                await store.set("k", "via-sentinel")
                assert await store.get("k") == "via-sentinel"
                assert await store.incr("n", ttl=30) == 1
                # More concurrent calls than pooled connections: they queue, not fail.
                results = await asyncio.gather(*(store.incr("burst") for _ in range(200)))
                assert sorted(results) == list(range(1, 201))
                assert self.PASSWORD not in repr(store)
                assert "onboarding" in repr(store)
                await asyncio.to_thread(master.stop)
                started = time.monotonic()
                with pytest.raises(StoreUnavailable) as info:
                    await store.get("k")
                assert time.monotonic() - started < OUTAGE_BUDGET
                self.assert_no_password(info.value, "onboarding")
            finally:
                await store.close()
        finally:
            await asyncio.to_thread(sentinel.close)

    async def test_from_sentinel_without_sentinels_is_unavailable(self) -> None:
        store = RedisStore.from_sentinel([("127.0.0.1", free_port())], "onboarding", password=self.PASSWORD)
        try:
            started = time.monotonic()
            with pytest.raises(StoreUnavailable) as info:
                await store.get("k")
            assert time.monotonic() - started < OUTAGE_BUDGET
            self.assert_no_password(info.value, "onboarding")
        finally:
            await store.close()

    def assert_no_password(self, exc: StoreUnavailable, expected_in_message: str, secret: str | None = None) -> None:
        """Neither the message nor the whole chained traceback (what a log would show)
        contains the password, raw or URL-encoded; the message still says where."""
        secret = secret or self.PASSWORD
        text = "".join(traceback.format_exception(exc))
        for form in {secret, quote(secret, safe=""), quote(secret)}:
            assert form not in str(exc)
            assert form not in repr(exc)
            assert form not in text
        assert expected_in_message in str(exc)


@pytest.mark.redis
def test_redis_server_helper_restarts_on_the_same_port(redis_server_factory: RedisServerFactory) -> None:
    server: RedisServer = redis_server_factory()
    port = server.port
    server.stop()
    assert not server.running
    server.restart()
    assert server.running and server.port == port
    server.kill()
    assert not server.running


class TestRedisBreaker:
    """The half-open breaker: fast failures while Redis is out, and back at once after."""

    async def test_a_probe_closes_the_breaker_as_soon_as_redis_is_back(self, redis_server_factory) -> None:
        server = redis_server_factory()
        store = RedisStore.from_url(server.url, breaker=5.0)  # a long window: only a probe can close it
        try:
            await store.set("k", "v")
            await asyncio.to_thread(server.stop)
            with pytest.raises(StoreUnavailable):
                await store.get("k")
            with pytest.raises(StoreUnavailable):
                await store.get("k")  # inside the probe interval: refused without trying
            await asyncio.to_thread(server.start)
            deadline = time.monotonic() + 3
            while True:
                try:
                    await store.get("k")
                    break
                except StoreUnavailable:
                    assert time.monotonic() < deadline, "the breaker kept refusing a Redis that was back"
                    await asyncio.sleep(0.05)
            assert await store.set("k2", "v") is None  # closed: every call goes through again
        finally:
            await store.close()
