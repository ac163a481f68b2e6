"""A local fake of the Bot Framework: OpenID metadata + JWKS, a token endpoint, and a Bot
Connector that records what the bot sent.

Like ``tests.fakes.slack_api``, it fakes the platform and nothing of ours. One loopback
server serves:

* ``/v1/.well-known/openidconfiguration`` and ``/v1/.well-known/keys``: the shape Microsoft
  publishes (``jwks_uri``, ``issuer``, ``id_token_signing_alg_values_supported``; keys
  with ``endorsements``), for an RSA key pair generated per fake;
* ``/botframework.com/oauth2/v2.0/token``: client-credentials tokens for the test app;
* ``/teams/v3/conversations/{id}/activities[/{activityId}]``: POST (send, reply) and PUT
  (update), refused with 401 unless the bearer token came from the token endpoint.

``make_token`` signs what the Bot Framework would send with an activity, and takes
overrides for every way a token can be wrong. ``fail`` queues failures (status,
Retry-After, delay) for the next calls of an operation.
"""

from __future__ import annotations

import asyncio
import itertools
import json
import time
from collections import defaultdict
from dataclasses import dataclass, field
from typing import Any

import jwt
from aiohttp import web
from aiohttp.test_utils import TestServer
from cryptography.hazmat.primitives.asymmetric import rsa
from jwt.algorithms import RSAAlgorithm

ISSUER = "https://api.botframework.com"
APP_ID = "5f0c7e2a-3b1d-4c9e-8a6f-0d2b4e6a8c10"
APP_PASSWORD = "test-app-password-0123456789"
TENANT_ID = "72f988bf-0000-4000-8000-00000000a11e"
BOT_ID = f"28:{APP_ID}"
BOT_NAME = "AM11 Onboarding"
DEMO_CHANNEL = "19:demo-acme@thread.tacv2"
UNLINKED_CHANNEL = "19:unlinked-channel@thread.tacv2"
ONBOARDING_CHANNEL = "19:demo-onboarding@thread.tacv2"


_KEYS: list[rsa.RSAPrivateKey] = []
_next_key = itertools.count()


def new_key() -> rsa.RSAPrivateKey:
    """A signing key unlike the last few handed out.

    Generating a 2048-bit key costs a fifth of a second, and every Teams test builds a
    fake with one: the keys are generated once per run and handed out in turn, so any
    eight calls in a row (more than a test makes) get different keys."""
    n = next(_next_key) % 8
    if n == len(_KEYS):
        _KEYS.append(rsa.generate_private_key(public_exponent=65537, key_size=2048))
    return _KEYS[n]


@dataclass
class Failure:
    status: int = 500
    retry_after: int | None = None
    delay: float = 0.0
    code: str = "ServiceError"


@dataclass
class ConnectorCall:
    """One call the bot made to the Bot Connector."""

    op: str  # "send" | "reply" | "update"
    conversation: str
    activity_id: str
    body: dict[str, Any]
    headers: dict[str, str] = field(default_factory=dict)

    @property
    def cards(self) -> list[dict[str, Any]]:
        return [a["content"] for a in self.body.get("attachments") or [] if a.get("contentType") == "application/vnd.microsoft.card.adaptive"]

    @property
    def card(self) -> dict[str, Any]:
        [card] = self.cards
        return card


class FakeBotFramework:
    def __init__(self, *, app_id: str = APP_ID, password: str = APP_PASSWORD) -> None:
        self.app_id = app_id
        self.password = password
        self.key = new_key()
        self.kid = "fake-key-1"
        self.published: dict[str, tuple[rsa.RSAPrivateKey, list[str]]] = {self.kid: (self.key, ["msteams", "webchat"])}
        self.calls: list[ConnectorCall] = []
        self.refused: list[ConnectorCall] = []
        self.failures: dict[str, list[Failure]] = defaultdict(list)
        self.token_requests: list[dict[str, str]] = []
        self.metadata_requests = 0
        self.jwks_requests = 0
        self.issued: set[str] = set()
        self.require_token = True
        self.keys_down = False  # the OpenID endpoints answer 503
        self.keys_gate: asyncio.Event | None = None  # when set, the OpenID metadata waits for it
        self._ids = itertools.count(1)
        self.server: TestServer | None = None
        self.changed = asyncio.Event()
        self.hanging: set[str] = set()  # "token", "send", "reply", "update": no answer until released
        self._released = asyncio.Event()

    def hang(self, *ops: str) -> None:
        """The token endpoint and/or connector operations stall: no answer at all until
        ``release()`` (or close)."""
        self.hanging.update(ops)

    def release(self) -> None:
        self.hanging.clear()
        self._released.set()
        self._released = asyncio.Event()

    # -- server ---------------------------------------------------------------
    async def start(self) -> None:
        app = web.Application()
        app.router.add_get("/v1/.well-known/openidconfiguration", self._openid)
        app.router.add_get("/v1/.well-known/keys", self._jwks)
        app.router.add_post("/botframework.com/oauth2/v2.0/token", self._token)
        app.router.add_post("/teams/v3/conversations/{conversation}/activities", self._send)
        app.router.add_post("/teams/v3/conversations/{conversation}/activities/{activity}", self._reply)
        app.router.add_put("/teams/v3/conversations/{conversation}/activities/{activity}", self._update)
        self.server = TestServer(app)
        await self.server.start_server()

    async def close(self) -> None:
        self.release()
        if self.server is not None:
            await self.server.close()

    def url(self, path: str) -> str:
        assert self.server is not None
        return str(self.server.make_url(path))

    @property
    def openid_url(self) -> str:
        return self.url("/v1/.well-known/openidconfiguration")

    @property
    def token_url(self) -> str:
        return self.url("/botframework.com/oauth2/v2.0/token")

    @property
    def service_url(self) -> str:
        """The serviceUrl activities carry: where the bot must send its replies."""
        return self.url("/teams/")

    # -- keys and tokens --------------------------------------------------------
    def publish(self, kid: str, key: rsa.RSAPrivateKey, endorsements: list[str] | None = None) -> None:
        """Add a key to the JWKS (a key rotation)."""
        self.published[kid] = (key, endorsements if endorsements is not None else ["msteams"])

    def make_token(
        self,
        *,
        audience: str | None = None,
        issuer: str = ISSUER,
        service_url: str | None = None,
        expires_in: float = 3600,
        not_before: float = -300,
        kid: str | None = None,
        key: rsa.RSAPrivateKey | None = None,
        drop: tuple[str, ...] = (),
        **claims: Any,
    ) -> str:
        """A token as the Bot Framework signs it for an activity to this bot."""
        now = time.time()
        payload: dict[str, Any] = {
            "iss": issuer,
            "aud": self.app_id if audience is None else audience,
            "serviceurl": self.service_url if service_url is None else service_url,
            "nbf": int(now + not_before),
            "exp": int(now + expires_in),
            "iat": int(now + not_before),
            **claims,
        }
        for name in drop:
            payload.pop(name, None)
        return jwt.encode(payload, key or self.key, algorithm="RS256", headers={"kid": kid or self.kid})

    # -- control --------------------------------------------------------------
    def fail(self, op: str, *failures: Failure) -> None:
        self.failures[op].extend(failures)

    def of(self, op: str) -> list[ConnectorCall]:
        return [c for c in self.calls if c.op == op]

    async def wait_for(self, op: str | None = None, count: int = 1, timeout: float = 5.0) -> list[ConnectorCall]:
        """Wait until ``op`` (any operation when None) was called ``count`` times: replies are
        sent after the bot has answered the HTTP request."""
        loop = asyncio.get_running_loop()
        deadline = loop.time() + timeout
        while len(self._matching(op)) < count:
            remaining = deadline - loop.time()
            if remaining <= 0:
                raise AssertionError(f"{op or 'any call'} seen {len(self._matching(op))} times, expected {count}: {[c.op for c in self.calls]}")
            self.changed.clear()
            try:
                await asyncio.wait_for(self.changed.wait(), timeout=min(remaining, 0.05))
            except asyncio.TimeoutError:
                pass
        return self._matching(op)

    def _matching(self, op: str | None) -> list[ConnectorCall]:
        return list(self.calls) if op is None else self.of(op)

    # -- handlers -------------------------------------------------------------
    async def _openid(self, request: web.Request) -> web.Response:
        self.metadata_requests += 1
        if self.keys_gate is not None:
            await self.keys_gate.wait()
        if self.keys_down:
            return web.Response(status=503, text="down")
        return web.json_response({
            "issuer": ISSUER,
            "authorization_endpoint": "https://invalid.botframework.com",
            "jwks_uri": self.url("/v1/.well-known/keys"),
            "id_token_signing_alg_values_supported": ["RS256"],
            "token_endpoint_auth_methods_supported": ["private_key_jwt"],
        })

    async def _jwks(self, request: web.Request) -> web.Response:
        self.jwks_requests += 1
        if self.keys_down:
            return web.Response(status=503, text="down")
        keys = []
        for kid, (key, endorsements) in self.published.items():
            jwk = RSAAlgorithm.to_jwk(key.public_key(), as_dict=True)
            keys.append({**jwk, "kid": kid, "use": "sig", "x5t": kid, "endorsements": endorsements})
        return web.json_response({"keys": keys})

    async def _token(self, request: web.Request) -> web.Response:
        form = dict(await request.post())
        self.token_requests.append({k: str(v) for k, v in form.items() if k != "client_secret"})
        if "token" in self.hanging:
            await self._released.wait()
        if form.get("client_id") != self.app_id or form.get("client_secret") != self.password or form.get("grant_type") != "client_credentials":
            return web.json_response({"error": "invalid_client"}, status=401)
        token = f"fake-access-token-{next(self._ids)}"
        self.issued.add(token)
        return web.json_response({"token_type": "Bearer", "expires_in": 3599, "ext_expires_in": 3599, "access_token": token})

    async def _send(self, request: web.Request) -> web.Response:
        return await self._record(request, "send")

    async def _reply(self, request: web.Request) -> web.Response:
        return await self._record(request, "reply")

    async def _update(self, request: web.Request) -> web.Response:
        return await self._record(request, "update")

    async def _record(self, request: web.Request, op: str) -> web.Response:
        body = await request.json()
        call = ConnectorCall(op, request.match_info["conversation"], request.match_info.get("activity", ""), body, dict(request.headers))
        if op in self.hanging:
            await self._released.wait()
        auth = request.headers.get("Authorization", "")
        if self.require_token and (not auth.startswith("Bearer ") or auth.removeprefix("Bearer ") not in self.issued):
            self.refused.append(call)
            return web.json_response({"error": {"code": "Unauthorized", "message": "bad token"}}, status=401)
        self.calls.append(call)
        self.changed.set()
        if self.failures.get(op):
            failure = self.failures[op].pop(0)
            if failure.delay:
                await asyncio.sleep(failure.delay)
            if failure.status >= 400:
                headers = {"Retry-After": str(failure.retry_after)} if failure.retry_after is not None else {}
                return web.json_response({"error": {"code": failure.code, "message": "fake failure"}}, status=failure.status, headers=headers)
        activity_id = call.activity_id if op == "update" else f"1700000000{next(self._ids):03d}"
        return web.json_response({"id": activity_id}, status=200 if op == "update" else 201)


# ---------------------------------------------------------------------- activities


def _base(fake: FakeBotFramework, *, conversation: str, kind: str, user: str, aad: str | None, locale: str | None,
          activity_type: str, activity_id: str, tenant: str = TENANT_ID) -> dict[str, Any]:
    activity: dict[str, Any] = {
        "type": activity_type,
        "id": activity_id,
        "timestamp": "2026-11-26T09:30:00.000Z",
        "serviceUrl": fake.service_url,
        "channelId": "msteams",
        "from": {"id": user, "name": "Chris Customer", **({"aadObjectId": aad} if aad else {})},
        "conversation": {"id": conversation, "conversationType": kind, "tenantId": tenant, **({"isGroup": True} if kind != "personal" else {})},
        "recipient": {"id": BOT_ID, "name": BOT_NAME},
        "channelData": {"tenant": {"id": tenant}},
    }
    if locale:
        activity["locale"] = locale
    if kind == "channel":
        activity["channelData"].update({"team": {"id": "19:team-acme@thread.tacv2"}, "channel": {"id": conversation.split(";")[0]}})
    return activity


_activity_ids = itertools.count(1)


def next_id() -> str:
    return f"17000{next(_activity_ids):08d}"


def channel_message(fake: FakeBotFramework, text: str, *, conversation: str = DEMO_CHANNEL, mention: str | None = None,
                    user: str = "29:customer-chris", aad: str | None = "aad-chris", locale: str | None = "en-US",
                    kind: str = "channel", activity_id: str | None = None) -> dict[str, Any]:
    """A message that @mentions the bot, ``<at>...</at>`` included in ``text`` by the caller
    (``mention`` is the entity's text; by default the first ``<at>`` tag in ``text``)."""
    activity_id = activity_id or next_id()
    activity = _base(fake, conversation=f"{conversation};messageid={activity_id}" if kind == "channel" else conversation, kind=kind,
                     user=user, aad=aad, locale=locale, activity_type="message", activity_id=activity_id)
    activity["text"] = text
    activity["textFormat"] = "plain"
    if mention is None and "<at>" in text.lower():
        start = text.lower().index("<at>")
        end = text.lower().index("</at>") + len("</at>")
        mention = text[start:end]
    if mention:
        activity["entities"] = [
            {"type": "mention", "text": mention, "mentioned": {"id": BOT_ID, "name": BOT_NAME}},
            {"type": "clientInfo", "locale": locale or "en-US", "platform": "Web"},
        ]
    return activity


def personal_message(fake: FakeBotFramework, text: str, *, user: str = "29:customer-chris", aad: str | None = "aad-chris",
                     locale: str | None = "en-US", conversation: str = "a:1personal-chris") -> dict[str, Any]:
    activity = _base(fake, conversation=conversation, kind="personal", user=user, aad=aad, locale=locale,
                     activity_type="message", activity_id=next_id())
    activity["text"] = text
    return activity


def card_action(fake: FakeBotFramework, verb: str, data: dict[str, str] | None = None, *, conversation: str = DEMO_CHANNEL,
                kind: str = "channel", user: str = "29:customer-chris", aad: str | None = "aad-chris",
                locale: str | None = "en-US", reply_to: str = "1700000000001") -> dict[str, Any]:
    """The ``adaptiveCard/action`` invoke Teams sends for an Action.Execute press."""
    activity = _base(fake, conversation=conversation, kind=kind, user=user, aad=aad, locale=locale,
                     activity_type="invoke", activity_id=f"f:{next_id()}")
    activity["name"] = "adaptiveCard/action"
    activity["replyToId"] = reply_to
    activity["value"] = {"action": {"type": "Action.Execute", "id": "btn", "verb": verb, "data": data or {}}, "trigger": "manual"}
    return activity


def submit_message(fake: FakeBotFramework, value: dict[str, Any], *, conversation: str = DEMO_CHANNEL, kind: str = "channel",
                   reply_to: str = "1700000000001") -> dict[str, Any]:
    """What an Action.Submit fallback sends: a message with ``value`` and no text."""
    activity = _base(fake, conversation=conversation, kind=kind, user="29:customer-chris", aad="aad-chris", locale="en-US",
                     activity_type="message", activity_id=next_id())
    activity["value"] = value
    activity["replyToId"] = reply_to
    return activity


def bot_added(fake: FakeBotFramework, *, conversation: str = DEMO_CHANNEL, kind: str = "channel", locale: str | None = None) -> dict[str, Any]:
    """``conversationUpdate``: the bot was added to a team (its General channel) or a chat."""
    activity = _base(fake, conversation=conversation, kind=kind, user="29:customer-chris", aad="aad-chris", locale=locale,
                     activity_type="conversationUpdate", activity_id=f"f:{next_id()}")
    activity["membersAdded"] = [{"id": BOT_ID}]
    if kind == "channel":
        activity["channelData"]["eventType"] = "teamMemberAdded"
    return activity


def installation_update(fake: FakeBotFramework, action: str = "add", *, conversation: str = DEMO_CHANNEL, kind: str = "channel") -> dict[str, Any]:
    activity = _base(fake, conversation=conversation, kind=kind, user="29:customer-chris", aad="aad-chris", locale=None,
                     activity_type="installationUpdate", activity_id=f"f:{next_id()}")
    activity["action"] = action
    return activity


def dumps(activity: dict[str, Any]) -> str:
    return json.dumps(activity)
