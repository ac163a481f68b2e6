"""The pieces of bolt this bot plugs into, each where bolt's default costs or refuses.

Bolt verifies nothing here (``handle`` checks the signature first, see
``bot.slack.platform``); it authorizes, parses payloads and matches listeners. Each class
below replaces a default for a measured reason, said in its docstring; if bolt changes
the hooks they plug into, tests/bot/test_slack_http.py (every request kind through HTTP)
fails.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Awaitable, Callable
from typing import Any

from aiohttp import web
from slack_bolt.authorization import AuthorizeResult
from slack_bolt.authorization.async_authorize import AsyncAuthorize
from slack_bolt.middleware.async_middleware import AsyncMiddleware
from slack_bolt.request.async_request import AsyncBoltRequest
from slack_bolt.response import BoltResponse
from slack_sdk.web.async_client import AsyncWebClient

from bot.budget import within
from bot.settings import Settings
from bot.slack.web import CALL_ERRORS

log = logging.getLogger(__name__)


def to_aiohttp(response: BoltResponse) -> web.Response:
    """Bolt's answer as an aiohttp response, for answers without cookies (all of this
    app's: it has no OAuth flow). Bolt's own converter parses every answer for cookies
    and rewrites its content type with a regex: a twentieth of a command's CPU."""
    headers = response.headers
    content_type = headers["content-type"][0].partition(";")[0] if "content-type" in headers else "text/plain"
    others = {name: values[0] for name, values in headers.items() if name != "content-type"}
    return web.Response(status=response.status, text=response.body, content_type=content_type, headers=others or None)


class SlashCommand(AsyncMiddleware):
    """Answers this app's slash command from inside bolt's middleware chain.

    It runs after bolt's built-in middleware (authorization), so it only ever sees
    authorized requests, and its answer is what bolt returns. A listener would do the
    same work behind bolt's listener machinery, which builds every argument any listener
    could ask for (all the payload views, ``say``, ``respond``, ...) once to match and
    once to call: measured in process, that was a third of what a ``/equinix team`` cost
    on top of bolt's own verification. A class middleware is called with fixed keywords
    and no argument building.
    """

    def __init__(self, command: str, answer: Callable[[dict[str, Any]], Awaitable[BoltResponse]]) -> None:
        self.command = command
        self.answer = answer

    async def async_process(self, *, req: AsyncBoltRequest, resp: BoltResponse,
                            next: Callable[[], Awaitable[BoltResponse]]) -> BoltResponse | None:  # noqa: A002
        body = req.body
        if body.get("command") == self.command and "type" not in body:
            return await self.answer(body)
        return await next()


class RateLimitedNotice(AsyncMiddleware):
    """``app_rate_limited``: Slack says it is dropping this app's events for a while. It
    is no event callback, so no listener can take it; it is acknowledged and logged."""

    async def async_process(self, *, req: AsyncBoltRequest, resp: BoltResponse,
                            next: Callable[[], Awaitable[BoltResponse]]) -> BoltResponse | None:  # noqa: A002
        if req.body.get("type") == "app_rate_limited":
            log.warning("Slack is rate limiting this app's events (minute %s)", req.body.get("minute_rate_limited"))
            return BoltResponse(status=200, body="")
        return await next()


class BotIdentity(AsyncAuthorize):
    """Bolt's authorize hook: the bot's identity from ``auth.test``, asked once per process.

    A class, so bolt calls it with fixed keyword arguments, where a plain function would
    have its arguments worked out by inspection on every request. Every request waits on
    ``auth.test`` at most the lookup budget; without it the request goes on with the
    token alone (bolt's own single-team authorization would refuse every request
    instead). A failure is not retried per request: the next attempt waits 1 s, then 2,
    4... up to 5 minutes.
    """

    def __init__(self, client: AsyncWebClient, settings: Settings) -> None:
        super().__init__()
        self.client = client
        self.token = settings.slack_bot_token
        self.budget = settings.lookup_budget_seconds
        self.result: AuthorizeResult | None = None
        self._task: asyncio.Task[AuthorizeResult | None] | None = None
        self._failures = 0
        self._retry_at = 0.0

    @property
    def bot_user_id(self) -> str | None:
        return self.result.bot_user_id if self.result is not None else None

    async def __call__(self, *, context: Any, enterprise_id: str | None, team_id: str | None,
                       user_id: str | None, **actor: Any) -> AuthorizeResult:
        if self.result is not None:
            return self.result
        if self._task is None and time.monotonic() >= self._retry_at:
            # Only the request that asks waits (its budget); others go on meanwhile.
            task = self._task = asyncio.get_running_loop().create_task(self._auth_test())
            try:
                result = await within(task, self.budget)
            except TimeoutError:
                result = None
            if result is not None:
                return result
        return AuthorizeResult(enterprise_id=enterprise_id, team_id=team_id, bot_token=self.token)

    async def _auth_test(self) -> AuthorizeResult | None:
        try:
            result = await self.client.auth_test()
            self.result = AuthorizeResult.from_auth_test_response(auth_test_response=result, bot_token=self.token)
            return self.result
        except (*CALL_ERRORS, ValueError) as exc:
            self._failures += 1
            pause = min(300.0, 2.0 ** (self._failures - 1))
            self._retry_at = time.monotonic() + pause
            log.warning("auth.test failed (%s); continuing without the bot user id, next try in %.0f s",
                        type(exc).__name__, pause)
            return None
        finally:
            self._task = None

    async def close(self) -> None:
        """Stop an ``auth.test`` still waiting on Slack (shutdown)."""
        if self._task is not None:
            self._task.cancel()
            await asyncio.gather(self._task, return_exceptions=True)


__all__ = ["BotIdentity", "RateLimitedNotice", "SlashCommand", "to_aiohttp"]
