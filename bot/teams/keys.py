"""The Bot Framework's token signing keys, fetched with aiohttp, parsed once, one fetch at a time.

Replaces the SDK's ``_OpenIdMetadata`` (blocking ``requests`` on the event loop, a
process-wide cache, IndexError on an unknown key id). ``bot.teams.authentication`` hands it to the
SDK's ``JwtTokenExtractor`` as its metadata source.
"""

from __future__ import annotations

import asyncio
import json
import logging
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import aiohttp
import jwt
from jwt.algorithms import RSAAlgorithm

log = logging.getLogger(__name__)

KEYS_MAX_AGE = 24 * 3600.0
KEYS_MIN_REFRESH = 60.0
KEYS_RETRY_WITHOUT_KEYS = 10.0  # nothing to validate with: try sooner, but never per request
_HTTP_TIMEOUT = aiohttp.ClientTimeout(total=10)


class AuthFailed(PermissionError):
    """A request the Bot Framework did not sign for us. ``reason`` is safe to log (never the token)."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


@dataclass(frozen=True, slots=True)
class SigningKey:
    """What ``JwtTokenExtractor`` reads from its metadata: a public key and its endorsements."""

    public_key: Any
    endorsements: tuple[str, ...]


class SigningKeys:
    """The signing keys, refreshed when older than a day, and when a token names a key we
    do not know at most once a minute, so a flood of forged key ids cannot turn into a
    flood of fetches. A failed fetch keeps the keys we have.

    Fetches are single-flight: while one is in flight (the first requests after start-up,
    a rotation), every other caller waits for it instead of finding no key and being
    refused, and no second fetch starts.
    """

    def __init__(self, session: aiohttp.ClientSession, metadata_url: str, *, clock: Callable[[], float] = time.monotonic) -> None:
        self.session = session
        self.metadata_url = metadata_url
        self.clock = clock
        self._keys: dict[str, SigningKey] = {}
        self._fetched_at: float | None = None
        self._attempted_at: float | None = None
        self._inflight: asyncio.Future[None] | None = None

    async def get(self, key_id: str | None) -> SigningKey:
        if not key_id:
            raise AuthFailed("token has no key id")
        if self._inflight is not None:
            await asyncio.shield(self._inflight)  # a fetch is under way: its keys, not a refusal
        if self._stale() and self._may_fetch():
            await self._refresh()
        key = self._keys.get(key_id)
        if key is None and self._may_fetch():
            await self._refresh()
            key = self._keys.get(key_id)
        if key is None:
            raise AuthFailed("unknown signing key id" if self._keys else "no signing keys available")
        return key

    def _stale(self) -> bool:
        return self._fetched_at is None or self.clock() - self._fetched_at > KEYS_MAX_AGE

    def _may_fetch(self) -> bool:
        """At most one fetch a minute (every 10 s while we have no key at all), whatever
        the tokens claim: the rate of requests never sets the rate of fetches."""
        if self._attempted_at is None:
            return True
        pause = KEYS_MIN_REFRESH if self._keys else KEYS_RETRY_WITHOUT_KEYS
        return self.clock() - self._attempted_at >= pause

    async def _refresh(self) -> None:
        """Start a fetch, or join the one in flight. The fetch runs as its own task, so a
        caller that goes away (a client disconnect) does not cancel it for the others."""
        if self._inflight is None:
            self._attempted_at = self.clock()
            self._inflight = asyncio.ensure_future(self._fetch_and_keep())
            self._inflight.add_done_callback(self._landed)
        await asyncio.shield(self._inflight)

    def _landed(self, future: asyncio.Future[None]) -> None:
        self._inflight = None
        if not future.cancelled():
            future.exception()  # retrieved: _fetch_and_keep logs its own failures

    async def _fetch_and_keep(self) -> None:
        try:
            keys = await self._fetch()
        except (TimeoutError, aiohttp.ClientError, OSError, ValueError, KeyError, TypeError) as exc:
            log.warning("fetching Bot Framework signing keys failed (%s); keeping %d known keys", type(exc).__name__, len(self._keys))
            return
        self._keys = keys
        self._fetched_at = self.clock()

    async def _fetch(self) -> dict[str, SigningKey]:
        metadata = await self._get_json(self.metadata_url)
        jwks = await self._get_json(str(metadata["jwks_uri"]))
        keys: dict[str, SigningKey] = {}
        for jwk in jwks["keys"]:
            kid = jwk.get("kid") if isinstance(jwk, dict) else None
            if not kid or jwk.get("kty") != "RSA":
                continue
            try:
                public_key = RSAAlgorithm.from_jwk(json.dumps(jwk))
            except (jwt.InvalidKeyError, ValueError, KeyError, TypeError):
                log.warning("skipping an unreadable signing key in the JWKS")
                continue
            keys[str(kid)] = SigningKey(public_key, tuple(str(e) for e in jwk.get("endorsements") or ()))
        if not keys:
            raise ValueError("the JWKS has no usable RSA key")
        return keys

    async def _get_json(self, url: str) -> Any:
        async with self.session.get(url, timeout=_HTTP_TIMEOUT) as resp:
            resp.raise_for_status()
            return await resp.json(content_type=None)
