"""The Bot Connector, reached over the app's aiohttp session.

Why it goes around the SDK here: the stock ``ConnectorFactory`` builds an msrest
``ConnectorClient`` per turn (about 5-10 ms of CPU each), with msal tokens fetched on the
event loop. ``ConnectorPool`` keeps one small ``BotConnector`` per service URL that
stands in for ``ConnectorClient``: ``connector.conversations`` is itself, with the four
calls ``CloudAdapterBase`` makes (reply, send, update, delete). Activities are
serialized with msrest, except attachments: their content is already plain JSON (an
Adaptive Card), and walking it against msrest's models was 40% of a reply's CPU.

tests/bot/test_teams_sdk.py fails if ``CloudAdapterBase`` starts calling another
``conversations`` operation, or if an attachment field this serialization drops
(anything but ``contentType``, ``content``, ``name``, ``contentUrl``, ``thumbnailUrl``)
appears in the SDK's model.
"""

from __future__ import annotations

import copy
from collections.abc import Mapping
from typing import Any
from urllib.parse import quote

import aiohttp
from botbuilder.schema import Activity, Attachment, ResourceResponse
from botframework.connector.auth import ConnectorFactory
from yarl import URL

from bot.teams.tokens import HTTP_TIMEOUT, AccessTokens, ConnectorError

_MAX_CONNECTORS = 256

ATTACHMENT_FIELDS = {"content_type": "contentType", "content": "content", "name": "name",
                     "content_url": "contentUrl", "thumbnail_url": "thumbnailUrl"}
"""Every field of the SDK's ``Attachment``, by its wire name: all are copied as they are."""


def _attachment(attachment: Attachment) -> dict[str, Any]:
    return {wire: value for attr, wire in ATTACHMENT_FIELDS.items() if (value := getattr(attachment, attr, None)) is not None}


def payload(activity: Activity | Mapping[str, Any]) -> Any:
    """The activity as JSON: msrest's ``serialize`` for everything but the attachments,
    which are copied field by field (see the module's docstring). The activity is not
    changed: a shallow copy without attachments is serialized."""
    if not isinstance(activity, Activity):
        return dict(activity)
    attachments = activity.attachments
    if not attachments:
        return activity.serialize()
    bare = copy.copy(activity)
    bare.attachments = None
    body = bare.serialize()
    body["attachments"] = [_attachment(a) for a in attachments]
    return body


def _retry_after(value: str | None) -> float | None:
    try:
        return max(0.0, float(value)) if value else None
    except ValueError:
        return None


class BotConnector:
    """One service URL's Bot Connector, over the shared aiohttp session.

    Stands in for msrest's ``ConnectorClient``: ``connector.conversations`` is itself,
    with the four calls ``CloudAdapterBase`` makes.
    """

    def __init__(self, service_url: str, session: aiohttp.ClientSession, tokens: AccessTokens | None) -> None:
        self.service_url = service_url.rstrip("/")
        self.session = session
        self.tokens = tokens
        self.conversations = self

    def _url(self, conversation_id: str, activity_id: str = "") -> URL:
        path = f"/v3/conversations/{quote(conversation_id, safe='')}/activities"
        if activity_id:
            path += f"/{quote(activity_id, safe='')}"
        return URL(self.service_url + path, encoded=True)

    async def reply_to_activity(self, conversation_id: str, activity_id: str, activity: Activity | Mapping[str, Any]) -> ResourceResponse:
        return await self._call("POST", self._url(conversation_id, activity_id), payload(activity))

    async def send_to_conversation(self, conversation_id: str, activity: Activity | Mapping[str, Any]) -> ResourceResponse:
        return await self._call("POST", self._url(conversation_id), payload(activity))

    async def update_activity(self, conversation_id: str, activity_id: str, activity: Activity | Mapping[str, Any]) -> ResourceResponse:
        return await self._call("PUT", self._url(conversation_id, activity_id), payload(activity))

    async def delete_activity(self, conversation_id: str, activity_id: str) -> None:
        await self._call("DELETE", self._url(conversation_id, activity_id), None)

    async def _call(self, method: str, url: URL, payload: Any) -> ResourceResponse:
        headers = await self.tokens.headers() if self.tokens is not None else {}
        try:
            async with self.session.request(method, url, json=payload, headers=headers, timeout=HTTP_TIMEOUT) as resp:
                if resp.status >= 400:
                    raise await self._error(resp)
                body = await resp.json(content_type=None) if resp.content_length != 0 else None
        except (TimeoutError, aiohttp.ClientError, OSError) as exc:
            raise ConnectorError(f"bot connector unreachable ({type(exc).__name__})") from None
        except ValueError:
            body = None  # a 2xx without a JSON body: sent, but no id
        return ResourceResponse(id=str(body.get("id", "")) if isinstance(body, dict) else "")

    async def _error(self, resp: aiohttp.ClientResponse) -> ConnectorError:
        code = ""
        try:
            body = await resp.json(content_type=None)
            if isinstance(body, dict) and isinstance(body.get("error"), dict):
                code = str(body["error"].get("code", ""))[:60]
        except (ValueError, aiohttp.ClientError):
            pass
        if resp.status == 401 and self.tokens is not None:
            self.tokens.invalidate()
        retry_after = _retry_after(resp.headers.get("Retry-After")) if resp.status == 429 else None
        return ConnectorError(f"bot connector HTTP {resp.status} {code}".strip(), status=resp.status, retry_after=retry_after)


class ConnectorPool(ConnectorFactory):
    """One ``BotConnector`` per service URL for the process (the SDK makes one per turn)."""

    def __init__(self, session: aiohttp.ClientSession, tokens: AccessTokens | None) -> None:
        self.session = session
        self.tokens = tokens
        self._connectors: dict[str, BotConnector] = {}

    async def create(self, service_url: str, audience: str | None = None) -> BotConnector:
        return self.get(service_url)

    def get(self, service_url: str) -> BotConnector:
        key = service_url.rstrip("/")
        connector = self._connectors.get(key)
        if connector is None:
            if len(self._connectors) >= _MAX_CONNECTORS:
                self._connectors.pop(next(iter(self._connectors)))
            connector = self._connectors[key] = BotConnector(key, self.session, self.tokens)
        return connector


__all__ = ["BotConnector", "ConnectorPool", "payload"]
