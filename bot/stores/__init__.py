"""Implementations of ``handlers.ports.Store``.

``memory.MemoryStore`` for a single process (development, tests, one replica);
``redis.RedisStore`` when several replicas must agree. Both pass the same contract
tests (tests/store/test_store_contract.py), so handlers cannot tell them apart.
"""
