"""Read the bot's state straight from Redis, the way an operator would check it.

Keys follow ``bot/stores/redis.py``: ``ob:v1:kv:<key>`` for values and
``ob:v1:ix:<index>`` for indexes.
"""

from __future__ import annotations

import json
import re
from typing import Any

import redis

NS = "ob:v1:"
_ESC_KEY = re.compile(rf"^{re.escape(NS)}kv:esc:(ESC-\d+)$")


class Peek:
    def __init__(self, url: str) -> None:
        self.url = url

    def _client(self) -> redis.Redis:
        return redis.Redis.from_url(self.url, decode_responses=True, socket_timeout=2, socket_connect_timeout=2)

    def escalations(self) -> dict[str, dict[str, Any]]:
        """Every escalation record, by id."""
        client = self._client()
        try:
            keys = [k for k in client.scan_iter(f"{NS}kv:esc:ESC-*", count=1000) if _ESC_KEY.match(k)]
            values = client.mget(keys) if keys else []
            return {(_ESC_KEY.match(k).group(1)): json.loads(v) for k, v in zip(keys, values) if v}  # type: ignore[union-attr]
        finally:
            client.close()

    def sequence(self) -> int:
        client = self._client()
        try:
            return int(client.get(f"{NS}kv:seq:esc") or 0)
        finally:
            client.close()

    def outbox(self) -> dict[str, list[tuple[str, float]]]:
        """Members of the outbox's due and dead indexes."""
        client = self._client()
        try:
            return {
                "due": client.zrange(f"{NS}ix:outbox:due", 0, -1, withscores=True),
                "dead": client.zrange(f"{NS}ix:outbox:dead", 0, -1, withscores=True),
            }
        finally:
            client.close()

    def outbox_items(self, *, empty: bool = False) -> list[str]:
        """Ids of the items held in the outbox. ``Outbox.done`` blanks an item before
        deleting it, and ``Outbox.load`` treats a blank one as gone; with ``empty`` the
        blank leftovers (the delete failed) are listed instead."""
        client = self._client()
        try:
            keys = list(client.scan_iter(f"{NS}kv:outbox:item:*", count=1000))
            values = client.mget(keys) if keys else []
            return [k[len(f"{NS}kv:outbox:item:"):] for k, v in zip(keys, values) if v is not None and (v == "") == empty]
        finally:
            client.close()

    def leases(self) -> dict[str, tuple[str, int]]:
        """Outbox leases held right now: item id -> (owner, milliseconds left)."""
        client = self._client()
        try:
            out = {}
            for key in client.scan_iter(f"{NS}kv:outbox:lease:*", count=1000):
                owner, ttl = client.get(key), client.pttl(key)
                if owner is not None:
                    out[key[len(f"{NS}kv:outbox:lease:"):]] = (owner, ttl)
            return out
        finally:
            client.close()

    def expire(self, item_ids: list[str]) -> None:
        client = self._client()
        try:
            for item_id in item_ids:
                client.delete(f"{NS}kv:outbox:lease:{item_id}")
        finally:
            client.close()
