"""Outbound credentials: bearer tokens for the Bot Connector, and what a failed call means.

Why it goes around the SDK here: ``MicrosoftAppCredentials`` gets tokens from msal
synchronously, on the event loop, for every connector the stock factory builds (one per
turn). ``AccessTokens`` asks the same endpoint (client credentials, or managed identity)
over aiohttp, one fetch at a time, and keeps the token until shortly before it expires.
The endpoint and scope are the SDK's constants (tests/bot/test_teams_sdk.py checks them).
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Callable

import aiohttp

from bot.platform import ReplyFailed
from bot.settings import Settings
from bot.teams.authentication import BOT_CONNECTOR_AUDIENCE
from handlers.ports import DeliveryError

log = logging.getLogger(__name__)

TOKEN_SCOPE = BOT_CONNECTOR_AUDIENCE + "/.default"
LOGIN_URL = "https://login.microsoftonline.com"
MSI_TOKEN_URL = "http://169.254.169.254/metadata/identity/oauth2/token"
"""Managed identity's endpoint (``UserAssignedMSI``). ``BOTFRAMEWORK_TOKEN_URL`` overrides
any of these (sovereign clouds, tests): it changes where tokens come from, never whether
they are needed."""
_TOKEN_FAILURE_PAUSE = 5.0
_TOKEN_MARGIN = 300.0
HTTP_TIMEOUT = aiohttp.ClientTimeout(total=10)


class ConnectorError(Exception):
    """A Bot Connector (or token endpoint) call failed. Never carries a token."""

    def __init__(self, reason: str, *, status: int = 0, retry_after: float | None = None) -> None:
        super().__init__(reason)
        self.reason = reason
        self.status = status
        self.retry_after = retry_after

    def delivery_error(self) -> DeliveryError:
        """As the outbox understands it: 403/404 (bot removed, conversation gone) and other
        4xx except 401/408/429 cannot succeed on retry; 429 says when to retry."""
        permanent = 400 <= self.status < 500 and self.status not in (401, 408, 429)
        return DeliveryError(f"teams: {self.reason}", permanent=permanent, retry_after=self.retry_after)

    def reply_failed(self, where: str) -> ReplyFailed:
        """As the turn pipeline retries a reply: the same rule as the outbox's."""
        permanent = 400 <= self.status < 500 and self.status not in (401, 408, 429)
        return ReplyFailed(where, self.reason, permanent=permanent, retry_after=self.retry_after)


def token_url(settings: Settings) -> str:
    override = settings.botframework_token_url
    if override:
        return override
    if settings.microsoft_app_type == "UserAssignedMSI":
        return MSI_TOKEN_URL
    if settings.microsoft_app_type == "SingleTenant" and settings.microsoft_app_tenant_id:
        return f"{LOGIN_URL}/{settings.microsoft_app_tenant_id}/oauth2/v2.0/token"
    return f"{LOGIN_URL}/botframework.com/oauth2/v2.0/token"


class AccessTokens:
    """Bearer tokens for the Bot Connector: client credentials (or managed identity) over
    aiohttp, one fetch at a time, cached until five minutes before they expire.

    The SDK gets them from msal synchronously, on the event loop. With no app id (the
    Emulator) there is no token and no header.
    """

    def __init__(self, session: aiohttp.ClientSession, settings: Settings, *, clock: Callable[[], float] = time.monotonic) -> None:
        self.session = session
        self.app_id = settings.microsoft_app_id
        self._password = str(settings.microsoft_app_password)
        self.managed_identity = settings.microsoft_app_type == "UserAssignedMSI"
        self.url = token_url(settings)
        self.clock = clock
        self._token = ""
        self._expires_at = 0.0
        self._failed_until = 0.0
        self._lock = asyncio.Lock()

    async def headers(self) -> dict[str, str]:
        if not self.app_id:
            return {}
        return {"Authorization": f"Bearer {await self.token()}"}

    async def token(self) -> str:
        if self._token and self.clock() < self._expires_at:
            return self._token
        async with self._lock:
            if not (self._token and self.clock() < self._expires_at):
                if self.clock() < self._failed_until:
                    raise ConnectorError("token endpoint failed moments ago; not asking again yet", status=503)
                try:
                    token, lifetime = await self._fetch()
                except ConnectorError:
                    self._failed_until = self.clock() + _TOKEN_FAILURE_PAUSE  # replies queued behind us fail fast
                    raise
                self._token = token
                self._expires_at = self.clock() + max(lifetime - _TOKEN_MARGIN, lifetime / 2)
        return self._token

    def invalidate(self) -> None:
        """Forget the cached token (the connector answered 401 with it)."""
        self._token = ""
        self._expires_at = 0.0

    async def _fetch(self) -> tuple[str, float]:
        try:
            if self.managed_identity:
                params = {"api-version": "2019-08-01", "resource": BOT_CONNECTOR_AUDIENCE, "client_id": self.app_id}
                request = self.session.get(self.url, params=params, headers={"Metadata": "true"}, timeout=HTTP_TIMEOUT)
            else:
                form = {
                    "grant_type": "client_credentials",
                    "client_id": self.app_id,
                    "client_secret": self._password,
                    "scope": TOKEN_SCOPE,
                }
                request = self.session.post(self.url, data=form, timeout=HTTP_TIMEOUT)
            async with request as resp:
                body = await resp.json(content_type=None)
                if resp.status >= 400 or not isinstance(body, dict) or not body.get("access_token"):
                    code = body.get("error", "") if isinstance(body, dict) else ""
                    log.warning("the token endpoint refused the bot's credentials: HTTP %s %s", resp.status, code)
                    raise ConnectorError(f"token endpoint HTTP {resp.status} {code}".strip(), status=503)
                return str(body["access_token"]), float(body.get("expires_in") or 3600)
        except (TimeoutError, aiohttp.ClientError, OSError, ValueError) as exc:
            raise ConnectorError(f"token endpoint unreachable ({type(exc).__name__})", status=503) from None


__all__ = ["AccessTokens", "ConnectorError", "token_url"]
