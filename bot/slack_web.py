"""The Slack Web API client with one deadline per call, retries included.

slack_sdk applies its ``timeout`` only to a session it creates itself: given our shared
aiohttp session, it used that session's timeout (15 s) instead, and its connection-error
retry handler may start a second attempt inside the same call. This client bounds the
whole call, every attempt included, by the configured timeout; callers already treat
``TimeoutError`` as "Slack unreachable". If slack_sdk stops routing its methods
through ``api_call``, the test of this module fails.
"""

from __future__ import annotations

import asyncio
from typing import Any

from slack_sdk.web.async_client import AsyncWebClient
from slack_sdk.web.async_slack_response import AsyncSlackResponse


class BoundedWebClient(AsyncWebClient):
    """``AsyncWebClient`` whose every method returns or raises within ``timeout`` seconds."""

    async def api_call(self, *args: Any, **kwargs: Any) -> AsyncSlackResponse:
        async with asyncio.timeout(self.timeout):
            return await super().api_call(*args, **kwargs)
