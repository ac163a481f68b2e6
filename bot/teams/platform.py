"""The Teams platform: ``POST /api/messages`` through botbuilder's own ``CloudAdapter``.

``CloudAdapter.process`` parses the activity, calls ``authenticate_request`` on the
``BotFrameworkAuthentication`` it was given (``bot.teams.authentication``), asks that
authentication's ``ConnectorFactory`` for a connector (``bot.teams.connector``), builds
the ``TurnContext`` and runs the ``ActivityHandler`` (``bot.teams.bot``). The request's
token is checked before its body is read, and ``bot.teams.gate`` refuses other channels
and tenants before the SDK deserializes anything. Together with answering before the
outbound call (sends run as tracked background tasks) and the connector pool, this is
what puts the bot well above the throughput of a stock botbuilder bot.
"""

from __future__ import annotations

import logging

from aiohttp import web
from botbuilder.core import TurnContext
from botbuilder.integration.aiohttp import CloudAdapter
from msrest.exceptions import DeserializationError

from bot.platform import HttpRoute, Runtime
from bot.settings import Settings
from bot.teams import NAME
from bot.teams.authentication import DEFAULT_OPENID_METADATA_URL, TeamsAuthentication
from bot.teams.bot import TeamsBot
from bot.teams.connector import ConnectorPool
from bot.teams.gate import TEAMS_CHANNEL, refusal
from bot.teams.keys import AuthFailed, SigningKeys
from bot.teams.notifier import TeamsNotifier
from bot.teams.state import ConversationReferences, FormMemory
from bot.teams.tokens import AccessTokens
from handlers.ports import Notifier

log = logging.getLogger(__name__)


class TeamsPlatform:
    """Receives ``POST /api/messages`` (``bot.platform.Platform``), runs it through ``CloudAdapter``.

    With ``MICROSOFT_APP_ID`` every request must carry a Bot Framework token; without it
    only ``TEAMS_DEV_NO_AUTH=1`` makes it accept requests (unauthenticated, for the Bot
    Framework Emulator), and ``bot.teams.configured`` builds no platform at all otherwise.
    """

    name = NAME

    def __init__(self, settings: Settings) -> None:
        if not settings.microsoft_app_id and not settings.teams_dev_no_auth:
            raise ValueError("Teams needs MICROSOFT_APP_ID (or TEAMS_DEV_NO_AUTH=1 for the Emulator)")
        self.settings = settings
        self.auth_enabled = bool(settings.microsoft_app_id)
        self.metadata_url = settings.botframework_openid_metadata_url or DEFAULT_OPENID_METADATA_URL

    def routes(self) -> tuple[HttpRoute, ...]:
        return (HttpRoute("POST", "/api/messages", self.handle),)

    @property
    def notifier(self) -> Notifier:
        return self._notifier

    async def start(self, runtime: Runtime) -> None:
        """Build the clients and say how requests are authenticated. Keys are fetched on
        the first request, so starting never waits on (or needs) the network."""
        settings, session = self.settings, runtime.session
        self.metrics = runtime.metrics
        self.tokens = AccessTokens(session, settings) if self.auth_enabled else None
        self.connectors = ConnectorPool(session, self.tokens)
        keys = SigningKeys(session, self.metadata_url) if self.auth_enabled else None
        self.authentication = TeamsAuthentication(settings.microsoft_app_id, keys, self.connectors)
        self.cloud = CloudAdapter(self.authentication)
        self.cloud.on_turn_error = self._on_turn_error
        self.references = ConversationReferences(runtime.store)
        self._notifier = TeamsNotifier(self.connectors, self.references)
        self.bot = TeamsBot(runtime.pipeline, self.references, FormMemory(runtime.store))
        self.pipeline = runtime.pipeline
        if self.auth_enabled:
            if self.settings.teams_dev_no_auth:
                log.warning("TEAMS_DEV_NO_AUTH is ignored: MICROSOFT_APP_ID is set, so every Teams request is authenticated")
            log.info("Teams: Bot Framework tokens verified with keys from %s (%s)", self.metadata_url, self.settings.microsoft_app_type)
        else:
            log.warning("Teams: TEAMS_DEV_NO_AUTH=1 and no MICROSOFT_APP_ID: accepting UNAUTHENTICATED requests (Emulator only)")
        tenants = self.settings.teams_tenants
        log.info("Teams: answering %s", f"tenant(s) {', '.join(sorted(tenants))} only" if tenants else "any tenant")

    async def close(self) -> None:
        """Nothing to release: the HTTP session belongs to the app."""

    async def handle(self, request: web.Request) -> web.StreamResponse:
        refused = await self._unauthenticated(request)
        if refused is not None:
            return refused
        if request.content_type != "application/json":
            return self._refuse(415, "format", "expected an application/json Bot Framework activity")
        try:
            body = await request.json()
        except (ValueError, UnicodeDecodeError, RecursionError):
            return self._refuse(400, "format", "body is not JSON")
        if not isinstance(body, dict) or not isinstance(body.get("type"), str) or not body["type"]:
            return self._refuse(400, "format", "body is not a Bot Framework activity")
        gate = refusal(body, emulator_allowed=not self.auth_enabled, tenants=self.settings.teams_tenants)
        if gate is not None:
            log.info("refused a Teams activity: %s", gate[1])
            return self._refuse(403, *gate)
        return await self._process(request)

    async def _unauthenticated(self, request: web.Request) -> web.Response | None:
        """The 401 for a request without a valid token, checked before a byte of the body is
        read (signature, issuer, audience, expiry and the key's endorsement for Teams): an
        unauthenticated request costs one token check, never a parse. ``CloudAdapter.process``
        checks the same token again (answered from the cache) with the activity's serviceUrl."""
        if not self.auth_enabled:
            return None
        auth = request.headers.get("Authorization", "")
        if not auth.startswith("Bearer "):
            return self._unauthorized()  # no credentials at all
        try:
            await self.authentication.identity(auth, TEAMS_CHANNEL, None)
        except AuthFailed:
            return self._unauthorized()
        return None

    async def _process(self, request: web.Request) -> web.StreamResponse:
        """The SDK's turn; whatever it raises is a 4xx or a counted bug, never a 500 to
        Teams (it would retry the same activity)."""
        try:
            response = await self.cloud.process(request, self.bot)
        except web.HTTPUnauthorized:
            return self._unauthorized()
        except web.HTTPException as exc:
            return self._refuse(exc.status if exc.status < 500 else 400, "format", exc.reason)
        except DeserializationError:
            return self._refuse(400, "format", "activity does not match the Bot Framework schema")
        except Exception as exc:  # noqa: BLE001 - see the docstring
            self.pipeline.bug("activity", exc)
            return web.Response(status=200)
        if response is None or response.status == 201:
            return web.Response(status=200)
        return response

    def _unauthorized(self) -> web.Response:
        self.metrics.rejected.labels(NAME, "auth").inc()
        return web.json_response({"error": "unauthorized"}, status=401)

    def _refuse(self, status: int, reason: str, message: str) -> web.Response:
        self.metrics.rejected.labels(NAME, reason).inc()
        return web.json_response({"error": message}, status=status)

    async def _on_turn_error(self, turn_context: TurnContext, error: Exception) -> None:
        self.pipeline.bug("turn", error)


__all__ = ["TeamsPlatform"]
