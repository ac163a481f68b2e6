"""Slack users' locales, looked up once and kept (``users.info`` is an HTTP call)."""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Callable

import aiohttp
from slack_sdk.errors import SlackApiError
from slack_sdk.web.async_client import AsyncWebClient

from bot.budget import within
from handlers.ports import Store, StoreUnavailable

log = logging.getLogger(__name__)

_LOCALE_TTL = 24 * 3600.0
_LOCALE_MISS_TTL = 300.0


class LocaleCache:
    """Slack users' locales (``users.info``), cached in-process and in the store.

    The lookup is an HTTP call; doing it on every command would put Slack's latency on
    every reply, so a hit is remembered for a day and a failure for five minutes. A
    turn waits for a lookup at most ``budget`` seconds (and not at all while one for the
    same user is already under way): past that it answers in the language guessed from
    the text or the account's, and the lookup finishes in the background for next time.
    """

    def __init__(self, client: AsyncWebClient, store: Store, clock: Callable[[], float] = time.monotonic,
                 *, budget: float = 0.5):
        self.client = client
        self.store = store
        self.clock = clock
        self.budget = budget
        self.local: dict[str, tuple[float, str]] = {}
        self._pending: dict[str, asyncio.Task[str]] = {}

    async def get(self, team: str, user: str) -> str | None:
        key = f"slocale:{team}:{user}"
        hit = self.local.get(key)
        now = self.clock()
        if hit and hit[0] > now:
            return hit[1] or None
        pending = self._pending.get(key)
        if pending is not None:
            return None  # a lookup is under way: no turn waits on it twice
        try:
            stored = await self.store.get(key)
        except StoreUnavailable:
            stored = None
        if stored is not None:
            self._remember(key, stored, _LOCALE_TTL)
            return stored or None
        if len(self._pending) >= 1000:
            return None  # Slack is not answering anyone: stop asking until it does
        task = asyncio.get_running_loop().create_task(self._lookup(key, user))
        self._pending[key] = task
        task.add_done_callback(lambda _: self._pending.pop(key, None))
        try:
            return await within(task, self.budget) or None
        except TimeoutError:
            log.info("users.info is slow; answering in the guessed or account language meanwhile")
            return None

    async def _lookup(self, key: str, user: str) -> str:
        locale = ""
        ttl = _LOCALE_TTL
        try:
            info = await self.client.users_info(user=user, include_locale=True)
            locale = str((info.get("user") or {}).get("locale") or "")
        except (SlackApiError, aiohttp.ClientError, TimeoutError, ValueError) as exc:
            log.info("users.info failed for a user (%s); using the account language", type(exc).__name__)
            ttl = _LOCALE_MISS_TTL
        self._remember(key, locale, ttl)
        try:
            await self.store.set(key, locale, ttl=ttl)
        except StoreUnavailable:
            pass
        return locale

    async def close(self) -> None:
        """Stop lookups still waiting on Slack (shutdown)."""
        for task in list(self._pending.values()):
            task.cancel()
        if self._pending:
            await asyncio.gather(*self._pending.values(), return_exceptions=True)

    def _remember(self, key: str, locale: str, ttl: float) -> None:
        if len(self.local) > 10_000:
            self.local.clear()
        self.local[key] = (self.clock() + ttl, locale)


__all__ = ["LocaleCache"]
