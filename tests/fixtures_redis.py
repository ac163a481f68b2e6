"""Pytest fixtures that provide a real Redis. Import them into a ``conftest.py``.

* ``redis_server`` (session): one throwaway server shared by the whole run.
* ``redis_url`` (function): its URL, with the data flushed before each test so tests
  cannot leak state into one another.
* ``redis_server_factory`` (function): starts private servers (with a password, with
  appendonly, ...) for tests that stop, kill or restart them, so such tests never
  disturb the shared one; all are shut down after the test.

Without a ``redis-server`` binary the tests are skipped on a developer machine but
*fail* when ``CI=true``: a CI image missing Redis must not turn the Redis half of the
suite into silent skips.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterator
from typing import Any, NoReturn

import pytest

from tests.redis_server import RedisServer, find_redis_server


def _missing_redis(reason: str) -> NoReturn:
    if os.environ.get("CI") == "true":
        pytest.fail(f"{reason} (CI=true: Redis tests must run in CI, not be skipped)", pytrace=False)
    pytest.skip(reason)


def require_redis_server() -> str:
    """Path of ``redis-server``; skips (or fails in CI) the calling test without it."""
    path = find_redis_server()
    if path is None:
        _missing_redis("redis-server not found on PATH")
    return path


@pytest.fixture(scope="session")
def redis_server() -> Iterator[RedisServer]:
    """A Redis for the whole session; restarted by ``redis_url`` if a test stopped it."""
    binary = require_redis_server()
    server = RedisServer(binary=binary)
    server.start()
    try:
        yield server
    finally:
        server.close()


@pytest.fixture
def redis_url(redis_server: RedisServer) -> str:
    """URL of the session Redis, emptied (FLUSHALL) before the test."""
    if not redis_server.running:
        redis_server.start()
    redis_server.flushall()
    return redis_server.url


RedisServerFactory = Callable[..., RedisServer]


@pytest.fixture
def redis_server_factory() -> Iterator[RedisServerFactory]:
    """``make(appendonly=False, password=None, ...)`` -> a started private server."""
    binary = require_redis_server()
    servers: list[RedisServer] = []

    def make(**kwargs: Any) -> RedisServer:
        server = RedisServer(binary=binary, **kwargs)
        servers.append(server)
        return server.start()

    try:
        yield make
    finally:
        for server in servers:
            server.close()
