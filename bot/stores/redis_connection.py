"""How ``RedisStore`` connects: timeouts, retries, pool sizes, and how a connection is
described without its credentials.

The numbers are chosen together around Slack's 3-second acknowledgement: an outage is
reported in about a second, a restart or failover costs a few retried calls, never a
bot restart. Kept apart from the store's primitives so they can be read as one policy.
"""

from __future__ import annotations

from typing import Any
from urllib.parse import quote

import redis.exceptions as rex
from redis.asyncio import BlockingConnectionPool
from redis.asyncio.retry import Retry
from redis.asyncio.sentinel import SentinelConnectionPool
from redis.backoff import ExponentialBackoff

SOCKET_TIMEOUT = 1.5
"""Seconds to wait for a reply: an answer slower than this is an outage to report."""
SOCKET_CONNECT_TIMEOUT = 1.0
HEALTH_CHECK_INTERVAL = 10
"""Idle pooled connections are PINGed before reuse, so one broken by a restart is
replaced instead of failing a customer's request."""
MAX_CONNECTIONS = 64
"""Per process. Beyond this, calls wait for a free connection instead of failing:
redis-py's default pool raises "Too many connections" past 100, which would turn a
burst of activity into StoreUnavailable."""
POOL_TIMEOUT = 2.0
"""How long a call may wait for a free pooled connection before reporting an outage."""
RETRIES = 3
BACKOFF_BASE = 0.05
BACKOFF_CAP = 0.5
"""With these, a refused or reset connection is retried for ~0.7 s in total: long
enough to replace every connection a restart broke, short enough that an outage is
reported well inside Slack's 3 s acknowledgement budget."""
RETRY_ON: tuple[type[rex.RedisError], ...] = (rex.ConnectionError,)
BREAKER_SECONDS = 1.0
PROBE_SECONDS = 0.2
"""After a call finds Redis unreachable or hung, further calls fail at once for this
long instead of each waiting out its own timeout: a turn makes several store calls,
and one hung server must not cost several socket timeouts inside Slack's 3 s."""
"""Only connection errors are retried (they include BusyLoadingError while a
restarted server replays its data). Timeouts are not: a server that does not answer
in ``SOCKET_TIMEOUT`` is hung or overloaded, and retrying would multiply both the
load and the caller's wait (4 x 1.5 s would blow the 3 s budget)."""


def connection_defaults() -> dict[str, Any]:
    """Client options used by ``from_url``/``from_sentinel`` unless overridden.

    A function, not a constant: each client gets its own ``Retry`` object.
    """
    return {
        "socket_timeout": SOCKET_TIMEOUT,
        "socket_connect_timeout": SOCKET_CONNECT_TIMEOUT,
        "health_check_interval": HEALTH_CHECK_INTERVAL,
        "retry": Retry(ExponentialBackoff(cap=BACKOFF_CAP, base=BACKOFF_BASE), RETRIES, supported_errors=RETRY_ON),
        "max_connections": MAX_CONNECTIONS,
        "timeout": POOL_TIMEOUT,  # BlockingConnectionPool: wait for a free connection
    }


class BlockingSentinelPool(SentinelConnectionPool, BlockingConnectionPool):
    """Sentinel master discovery with the blocking pool's wait-for-a-connection
    behaviour (SentinelConnectionPool only changes how connections find the master;
    BlockingConnectionPool only changes how they are handed out)."""


def secret_forms(secret: object) -> set[str]:
    """A secret as it may appear in text: raw and URL-encoded."""
    if not isinstance(secret, str) or not secret:
        return set()
    return {secret, quote(secret, safe=""), quote(secret)}


def describe(kwargs: dict[str, Any]) -> str:
    """Where a connection goes, without credentials."""
    if kwargs.get("path"):
        return f"unix:{kwargs['path']}"
    return f"{kwargs.get('host', 'localhost')}:{kwargs.get('port', 6379)}/{kwargs.get('db', 0)}"
