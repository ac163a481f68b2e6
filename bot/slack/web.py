"""Slack's Web API as this bot calls it: a client with one deadline per call, what a
failed call means (``ReplyFailed`` / ``DeliveryError``), and the outbox's notifier.

slack_sdk applies its ``timeout`` only to a session it creates itself: given our shared
aiohttp session, it used that session's timeout (15 s) instead, and its connection-error
retry handler may start a second attempt inside the same call. ``BoundedWebClient``
bounds the whole call, every attempt included, by the configured timeout; callers
already treat ``TimeoutError`` as "Slack unreachable". If slack_sdk stops routing its
methods through ``api_call``, tests/hostile/test_slack_api_deadline.py fails.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from typing import Any

import aiohttp
from slack_sdk.errors import SlackApiError
from slack_sdk.web.async_client import AsyncWebClient
from slack_sdk.web.async_slack_response import AsyncSlackResponse

from bot.platform import ReplyFailed
from cards import slack as blockkit
from cards.model import Card
from handlers.ports import DeliveryError, Target

CALL_ERRORS = (SlackApiError, aiohttp.ClientError, TimeoutError, OSError)
"""What a Web API call raises when Slack refuses or does not answer."""

PERMANENT_ERRORS = frozenset(
    {
        "channel_not_found", "is_archived", "not_in_channel", "account_inactive", "invalid_auth",
        "token_revoked", "no_permission", "missing_scope", "user_not_found", "msg_too_long",
        "invalid_blocks", "message_not_found", "cant_update_message", "restricted_action",
    }
)


class BoundedWebClient(AsyncWebClient):
    """``AsyncWebClient`` whose every method returns or raises within ``timeout`` seconds."""

    async def api_call(self, *args: Any, **kwargs: Any) -> AsyncSlackResponse:
        async with asyncio.timeout(self.timeout):
            return await super().api_call(*args, **kwargs)


def describe(exc: BaseException) -> str:
    """A failed call in a few words, for the log (Slack's error code, never a token)."""
    if isinstance(exc, SlackApiError) and exc.response is not None:
        return str(exc.response.get("error", exc.response.status_code))
    return type(exc).__name__


def failure(exc: BaseException, where: str) -> ReplyFailed:
    """A failed reply call, as the turn pipeline retries it: Slack's 429 says when, other
    4xx cannot succeed on retry, 5xx and no answer may."""
    if isinstance(exc, SlackApiError) and exc.response is not None:
        status = exc.response.status_code
        if status == 429:
            return ReplyFailed(where, describe(exc), retry_after=float(exc.response.headers.get("Retry-After", "1") or 1))
        return ReplyFailed(where, describe(exc), permanent=status < 500)
    return ReplyFailed(where, describe(exc))


async def calling(where: str, call: Awaitable[Any]) -> Any:
    """``await call``, its failure as a ``ReplyFailed`` (for ``TurnPipeline.send``)."""
    try:
        return await call
    except CALL_ERRORS as exc:
        raise failure(exc, where) from None


class SlackNotifier:
    """Posts and updates cards in Slack channels for the outbox (``handlers.ports.Notifier``)."""

    def __init__(self, client: AsyncWebClient):
        self.client = client

    async def post(self, target: Target, card: Card) -> str:
        message = blockkit.render_message(card)
        response = await self._call(self.client.chat_postMessage, channel=target.conversation, **message)
        return f"{response.get('channel', target.conversation)}:{response['ts']}"

    async def update(self, target: Target, ref: str, card: Card) -> None:
        channel, _, ts = ref.partition(":")
        message = blockkit.render_message(card)
        await self._call(self.client.chat_update, channel=channel, ts=ts, **message)

    async def _call(self, method: Callable[..., Awaitable[Any]], **kwargs: Any) -> Any:
        try:
            return await method(**kwargs)
        except SlackApiError as exc:
            error = str(exc.response.get("error", "")) if exc.response is not None else ""
            status = exc.response.status_code if exc.response is not None else 0
            if status == 429:
                retry = float(exc.response.headers.get("Retry-After", "1") or 1)
                raise DeliveryError("slack rate limited", retry_after=retry) from None
            raise DeliveryError(f"slack error {error or status}", permanent=error in PERMANENT_ERRORS) from None
        except (aiohttp.ClientError, TimeoutError, OSError) as exc:
            raise DeliveryError(f"slack unreachable ({type(exc).__name__})") from None


__all__ = ["CALL_ERRORS", "BoundedWebClient", "SlackNotifier", "calling", "describe", "failure"]
