"""Makes the Redis fixtures available to the store tests.

Imported here rather than via ``pytest_plugins`` because only the rootdir conftest
may declare plugins, and that one belongs to the whole suite.
"""

from tests.fixtures_redis import redis_server, redis_server_factory, redis_url

__all__ = ["redis_server", "redis_server_factory", "redis_url"]
