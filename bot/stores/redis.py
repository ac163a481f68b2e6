"""``RedisStore``: the ``Store`` port on Redis, for running several replicas.

Every primitive is a single Redis command or a short Lua script, so it is atomic
across replicas without client-side locks: ``add`` is ``SET NX``, ``replace``,
``incr`` and ``add_all`` are scripts (compare-then-set, increment-then-expire-if-new,
create-all-or-nothing), indexes are sorted sets.

Failure policy: anything that means "Redis cannot answer right now" (refused or
dropped connection, timeout, server still loading its data, a replica refusing a
write during failover) becomes ``handlers.ports.StoreUnavailable``, whose message
names the server but never its password. Handlers turn that into a clear answer
instead of crashing. Clients built by ``from_url``/``from_sentinel`` retry a few
times with exponential backoff and health-check idle connections, so a Redis restart
or a Sentinel failover costs at most a few failed calls, never a bot restart; the
timeouts are short so an outage is reported in about a second, not a minute.

Layout under the namespace (default ``ob:v1:``): ``<ns>kv:<key>`` for values and
``<ns>ix:<index>`` for indexes, so a key and an index may share a name (as they can
in ``MemoryStore``) and bumping the namespace version isolates incompatible data.
"""

from __future__ import annotations

import contextlib
import math
import time
from collections.abc import AsyncIterator, Callable, Iterator, Sequence
from typing import Any, NoReturn, cast
from urllib.parse import urlsplit

import redis.exceptions as rex
from redis.asyncio import BlockingConnectionPool, Redis
from redis.asyncio.retry import Retry
from redis.asyncio.sentinel import Sentinel
from redis.backoff import NoBackoff

from bot.stores.arguments import check_limit as _check_limit
from bot.stores.arguments import check_score as _check_score
from bot.stores.arguments import check_str as _check_str
from bot.stores.arguments import check_ttl as _check_ttl
from bot.stores.redis_connection import (
    BREAKER_SECONDS,
    PROBE_SECONDS,
    SOCKET_TIMEOUT,
    BlockingSentinelPool,
    connection_defaults,
    describe,
    secret_forms,
)
from bot.stores.redis_scripts import (
    ADD_ALL_LUA,
    ADD_COUNTS_LUA,
    INCR_LUA,
    READ_AND_COUNT_LUA,
    READ_FOR_CACHE_LUA,
    REPLACE_LUA,
)
from handlers.ports import StoreUnavailable

DEFAULT_NAMESPACE = "ob:v1:"

_UNAVAILABLE: tuple[type[BaseException], ...] = (
    rex.ConnectionError,  # also BusyLoadingError, AuthenticationError, MasterNotFoundError
    rex.TimeoutError,
    rex.ReadOnlyError,  # writing to a master that was just demoted
    rex.MasterDownError,  # a replica that lost its master
    OSError,  # raw socket errors; includes the builtin TimeoutError
)

def _ttl_ms(ttl: float | None) -> int | None:
    """Seconds to whole milliseconds, rounded up so a key never expires early.

    Non-positive or infinite TTLs are refused here, as ``MemoryStore`` refuses them,
    rather than being sent to Redis (which errors) or silently meaning "forever".
    """
    checked = _check_ttl(ttl)
    return None if checked is None else max(1, math.ceil(checked * 1000))





class RedisStore:
    """``Store`` on a ``redis.asyncio.Redis`` client created with ``decode_responses=True``.

    The store owns the client: ``close()`` closes it. Prefer ``from_url`` or
    ``from_sentinel``, which set the timeouts and retry policy described in the
    module docstring.
    """

    def __init__(self, client: Redis, namespace: str = DEFAULT_NAMESPACE, *,
                 breaker: float = BREAKER_SECONDS, clock: Callable[[], float] = time.monotonic) -> None:
        kwargs = client.get_connection_kwargs()
        if not kwargs.get("decode_responses"):
            raise ValueError("RedisStore needs a client created with decode_responses=True")
        self._client = client
        self._ns = _check_str("namespace", namespace)
        self._where = describe(kwargs)
        self._secrets: set[str] = secret_forms(kwargs.get("password"))
        self._sentinel: Sentinel | None = None
        self._clock = clock
        self._breaker = breaker
        self._open_until = 0.0
        self._next_probe = 0.0
        # register_script does no I/O; the scripts are loaded on first use and
        # reloaded automatically (NOSCRIPT) after a restart empties the script cache.
        self._replace_script = client.register_script(REPLACE_LUA)
        self._add_all_script = client.register_script(ADD_ALL_LUA)
        self._incr_script = client.register_script(INCR_LUA)
        self._read_and_count_script = client.register_script(READ_AND_COUNT_LUA)
        self._read_for_cache_script = client.register_script(READ_FOR_CACHE_LUA)
        self._add_counts_script = client.register_script(ADD_COUNTS_LUA)

    @classmethod
    def from_url(cls, url: str, *, namespace: str = DEFAULT_NAMESPACE, breaker: float = BREAKER_SECONDS,
                 **kw: Any) -> RedisStore:
        """Connect to ``redis://[:password@]host:port/db`` (or ``rediss://``, ``unix://``).

        ``kw`` overrides the client options from ``connection_defaults()``;
        ``decode_responses`` is always True because the store speaks ``str``.
        """
        options = {**connection_defaults(), **kw, "decode_responses": True}
        try:
            pool = BlockingConnectionPool.from_url(url, **options)
            password = urlsplit(url).password
        except ValueError:
            # urllib/redis-py quote the malformed part of the URL, which may be the
            # password (an unescaped '/' or ':' in it); say what is wrong, not what.
            raise ValueError(
                "invalid Redis URL: expected redis://[[user]:password@]host[:port][/db] "
                "(percent-encode special characters in the password)"
            ) from None
        store = cls(Redis.from_pool(pool), namespace=namespace, breaker=breaker)
        store._secrets |= secret_forms(password)
        return store

    @classmethod
    def from_sentinel(
        cls,
        sentinels: list[tuple[str, int]],
        master: str,
        *,
        namespace: str = DEFAULT_NAMESPACE,
        sentinel_kwargs: dict[str, Any] | None = None,
        breaker: float = BREAKER_SECONDS,
        **kw: Any,
    ) -> RedisStore:
        """Follow the master of service ``master`` as known to ``sentinels``.

        ``kw`` are options for connections to the master (``password`` etc.), over
        ``connection_defaults()``; ``sentinel_kwargs`` those for the sentinels
        themselves (``password`` if they require one). After a failover the pool
        asks the sentinels again and the retry policy covers the switch.
        """
        options = {**connection_defaults(), **kw, "decode_responses": True}
        sentinel_options: dict[str, Any] = {
            "socket_timeout": options["socket_timeout"],
            "socket_connect_timeout": options["socket_connect_timeout"],
            # Sentinel queries run inside the master connection's own retry loop
            # (which already retries each command): retrying here too would
            # multiply the attempts and make an outage take many seconds to report.
            "retry": Retry(NoBackoff(), 0),
            **(sentinel_kwargs or {}),
        }
        sentinel = Sentinel(sentinels, sentinel_kwargs=sentinel_options, **options)
        client = sentinel.master_for(master, connection_pool_class=BlockingSentinelPool)
        store = cls(client, namespace=namespace, breaker=breaker)
        store._sentinel = sentinel
        store._where = f"sentinel service {master!r} via " + ",".join(f"{h}:{p}" for h, p in sentinels)
        store._secrets |= secret_forms(options.get("password"))
        store._secrets |= secret_forms(sentinel_options.get("password"))
        return store

    @property
    def namespace(self) -> str:
        return self._ns

    def __repr__(self) -> str:
        return f"<RedisStore {self._where} namespace={self._ns!r}>"

    async def close(self) -> None:
        """Close the client (and the sentinel connections, if any)."""
        try:
            await self._client.aclose()
        finally:
            if self._sentinel is not None:
                await self._sentinel.aclose()

    # -- helpers ---------------------------------------------------------------------

    def _key(self, key: str) -> str:
        return f"{self._ns}kv:{_check_str('key', key)}"

    def _index(self, index: str) -> str:
        return f"{self._ns}ix:{_check_str('index', index)}"

    def _scrub(self, text: str) -> str:
        for secret in sorted(self._secrets, key=len, reverse=True):
            text = text.replace(secret, "***")
        return text

    @contextlib.contextmanager
    def _guard(self) -> Iterator[None]:
        """Turn "cannot reach Redis" into ``StoreUnavailable`` (password-free), and
        fail fast for ``BREAKER_SECONDS`` after an outage was seen.

        While the breaker is open, one call in each ``PROBE_SECONDS`` still goes through
        (half-open): the first one that succeeds closes the breaker, so a Redis that is
        back serves again within a fraction of a second, not after the whole window."""
        if self._breaker:
            now = self._clock()
            if now < self._open_until:
                if now < self._next_probe:
                    raise StoreUnavailable(f"Redis store unavailable ({self._where}): failed moments ago")
                self._next_probe = now + PROBE_SECONDS
        try:
            yield
            self._open_until = 0.0
        except _UNAVAILABLE as exc:
            self._open_until = self._clock() + self._breaker
            self._next_probe = self._clock() + PROBE_SECONDS
            self._raise_unavailable(exc)

    def _raise_unavailable(self, exc: BaseException) -> NoReturn:
        raw = f"{type(exc).__name__}: {exc}"
        detail = self._scrub(raw)
        error = StoreUnavailable(f"Redis store unavailable ({self._where}): {detail}")
        if detail != raw:
            # The original text held a secret: do not chain it, or every logged
            # traceback would print it right under the scrubbed message.
            raise error from None
        raise error from exc

    @contextlib.contextmanager
    def _translated(self) -> Iterator[None]:
        """``StoreUnavailable`` for an outage, without the breaker: for the long-lived
        subscription, whose quiet polls must neither close a breaker that requests
        opened nor be refused by it."""
        try:
            yield
        except _UNAVAILABLE as exc:
            self._raise_unavailable(exc)

    # -- Store -----------------------------------------------------------------------

    async def get(self, key: str) -> str | None:
        k = self._key(key)
        with self._guard():
            return cast(str | None, await self._client.get(k))  # the client decodes responses

    async def get_many(self, keys: Sequence[str]) -> list[str | None]:
        ks = [self._key(key) for key in keys]
        if not ks:
            return []  # MGET needs at least one key
        with self._guard():
            return cast(list[str | None], list(await self._client.mget(ks)))

    async def set(self, key: str, value: str, *, ttl: float | None = None) -> None:
        k, v, px = self._key(key), _check_str("value", value), _ttl_ms(ttl)
        with self._guard():
            await self._client.set(k, v, px=px)

    async def add(self, key: str, value: str, *, ttl: float | None = None) -> bool:
        k, v, px = self._key(key), _check_str("value", value), _ttl_ms(ttl)
        with self._guard():
            return bool(await self._client.set(k, v, px=px, nx=True))

    async def replace(self, key: str, expected: str, value: str) -> bool:
        k = self._key(key)
        exp, v = _check_str("expected", expected), _check_str("value", value)
        with self._guard():
            return bool(await self._replace_script(keys=[k], args=[exp, v]))

    async def add_all(
        self, values: Sequence[tuple[str, str, float | None]], *, index: Sequence[tuple[str, str, float]] = ()
    ) -> list[str | None]:
        """See ``Store.add_all``: one script, so it is atomic across replicas, and kept
        or lost as a whole by the AOF and by replication."""
        keys = [self._key(k) for k, _, _ in values]
        args: list[str | int] = [len(keys)]
        for _, value, ttl in values:
            args += [_check_str("value", value), _ttl_ms(ttl) or 0]
        for name, member, score in index:
            keys.append(self._index(name))
            args += [_check_str("member", member), repr(_check_score(score))]
        if not values:
            raise ValueError("add_all needs at least one key")
        with self._guard():
            held = list(await self._add_all_script(keys=keys, args=args))
        if not held:
            return [None] * len(values)
        # Missing keys are Lua false in the table, nil in the reply: nothing is cut off.
        return [None if v is None or v is False else str(v) for v in held]

    async def delete(self, key: str) -> None:
        k = self._key(key)
        with self._guard():
            await self._client.delete(k)

    async def incr(self, key: str, *, ttl: float | None = None) -> int:
        k, px = self._key(key), _ttl_ms(ttl)
        with self._guard():
            try:
                return int(await self._incr_script(keys=[k], args=[px or 0]))
            except rex.ResponseError as exc:
                if isinstance(exc, _UNAVAILABLE):
                    raise
                # Same contract as MemoryStore: a non-integer value is a caller bug.
                raise ValueError(f"cannot increment {key!r}: {exc}") from exc

    async def read_and_count(
        self, keys: Sequence[str], counters: Sequence[str], *, ttl: float, limits: Sequence[int] | None = None
    ) -> tuple[list[str | None], list[int]]:
        ks = [self._key(key) for key in keys]
        cs = [self._key(counter) for counter in counters]
        px = _ttl_ms(ttl)
        if not ks and not cs:
            return [], []
        with self._guard():
            out = await self._read_and_count_script(keys=[*ks, *cs], args=[len(ks), px or 0])
        # A Lua table stops at its first nil, so missing keys at the end are simply absent.
        out = list(out) + [None] * (len(ks) + len(cs) - len(out))
        values = [None if v is None or v is False else str(v) for v in out[: len(ks)]]
        return values, [int(c) for c in out[len(ks):]]

    async def index_put(self, index: str, member: str, score: float) -> None:
        name, m, s = self._index(index), _check_str("member", member), _check_score(score)
        with self._guard():
            await self._client.zadd(name, {m: s})

    async def index_remove(self, index: str, member: str) -> None:
        name, m = self._index(index), _check_str("member", member)
        with self._guard():
            await self._client.zrem(name, m)

    async def index_range(
        self, index: str, *, max_score: float | None = None, limit: int = 100
    ) -> list[tuple[str, float]]:
        name, n = self._index(index), _check_limit(limit)
        top: float | str = "+inf" if max_score is None else _check_score(max_score)
        with self._guard():
            rows = cast(list[tuple[str, float]], await self._client.zrangebyscore(name, "-inf", top, start=0, num=n, withscores=True))
        return [(str(member), float(score)) for member, score in rows]

    async def ping(self) -> None:
        with self._guard():
            await self._client.ping()

    # -- what a near cache needs (bot.stores.near_cache) ---------------------------------

    async def read_for_cache(
        self, keys: Sequence[str], counters: Sequence[str], *, ttl: float | None
    ) -> tuple[list[str | None], list[float | None], list[int]]:
        """``read_and_count``, plus how long each value read may still live: seconds,
        or None when it has no expiry (a missing key has none either)."""
        ks = [self._key(key) for key in keys]
        cs = [self._key(counter) for counter in counters]
        px = _ttl_ms(ttl) if cs else None
        if not ks and not cs:
            return [], [], []
        with self._guard():
            out = await self._read_for_cache_script(keys=[*ks, *cs], args=[len(ks), px or 0])
        out = list(out) + [None] * (2 * len(ks) + len(cs) - len(out))
        values = [None if v is None or v is False else str(v) for v in out[0: 2 * len(ks): 2]]
        lives = [None if int(p) < 0 else int(p) / 1000 for p in out[1: 2 * len(ks): 2]]
        return values, lives, [int(c) for c in out[2 * len(ks):]]

    async def add_counts(self, deltas: Sequence[tuple[str, int, float]]) -> list[int]:
        """Add to several counters at once, ``(counter, amount, ttl)`` each; their totals.

        ``ttl`` is applied to a counter that has no expiry, as ``incr`` does when it
        creates one."""
        if not deltas:
            return []
        keys = [self._key(counter) for counter, _, _ in deltas]
        args: list[int] = []
        for _, amount, ttl in deltas:
            args += [int(amount), _ttl_ms(ttl) or 0]
        with self._guard():
            return [int(total) for total in await self._add_counts_script(keys=keys, args=args)]

    def _channel(self) -> str:
        return f"{self._ns}changed"

    async def announce(self, message: str) -> None:
        """Publish ``message`` to every ``changes()`` subscriber of this namespace."""
        channel, text = self._channel(), _check_str("message", message)
        with self._guard():
            await self._client.publish(channel, text)

    @contextlib.asynccontextmanager
    async def changes(self, *, poll: float = 1.0) -> AsyncIterator[AsyncIterator[str]]:
        """Subscribe to ``announce``: entered once Redis confirmed the subscription
        (nothing announced after that is missed while the connection lives); yields the
        messages as they come. Raises ``StoreUnavailable`` when the connection is lost, so
        the caller knows it may have missed some."""
        pubsub = self._client.pubsub()
        try:
            with self._translated():
                await pubsub.subscribe(self._channel())
                while True:  # the confirmation comes before any message
                    first = await pubsub.get_message(timeout=SOCKET_TIMEOUT)
                    if first is None:
                        raise rex.TimeoutError("no subscription confirmation")
                    if first["type"] == "subscribe":
                        break

            async def keys() -> AsyncIterator[str]:
                while True:
                    with self._translated():
                        message = await pubsub.get_message(timeout=poll)
                        if message is not None and message["type"] == "subscribe":
                            # redis-py reconnected and subscribed again by itself: what
                            # was announced in between is lost, and the caller must know.
                            raise rex.ConnectionError("the subscription was re-established")
                    if message is not None and message["type"] == "message":
                        yield str(message["data"])

            yield keys()
        finally:
            with contextlib.suppress(Exception):
                await pubsub.aclose()
