"""The baselines, each a small server in its own process:

    python -m bench.targets bare --port P          a bare aiohttp endpoint
    python -m bench.targets bolt --port P [--pbr]  a minimal bolt AsyncApp (default settings,
                                                   or process_before_response=True)
    python -m bench.targets botbuilder --port P    a minimal stock botbuilder bot: CloudAdapter +
                                                   ActivityHandler replying with an Adaptive Card

Settings come from the environment like the bot's: SLACK_SIGNING_SECRET, SLACK_BOT_TOKEN,
SLACK_API_URL, MICROSOFT_APP_ID, MICROSOFT_APP_PASSWORD, BOTFRAMEWORK_OPENID_METADATA_URL.
Every server also answers ``GET /healthz`` (for the cold-start measurement), listens on
127.0.0.1 and logs no access lines, like ``onboarding-bot serve``.
"""

from __future__ import annotations

import argparse
import asyncio
import logging
import os
import signal
from typing import Any

from aiohttp import web


async def _healthz(request: web.Request) -> web.Response:
    return web.json_response({"status": "ok"})


def bare_app() -> web.Application:
    body = b'{"response_type":"ephemeral","text":"ok"}'

    async def handler(request: web.Request) -> web.Response:
        await request.read()
        return web.Response(body=body, content_type="application/json")

    app = web.Application()
    app.router.add_post("/slack/events", handler)
    app.router.add_post("/api/messages", handler)
    return app


def bolt_app(process_before_response: bool) -> web.Application:
    from slack_bolt.adapter.aiohttp import to_aiohttp_response, to_bolt_request
    from slack_bolt.async_app import AsyncApp
    from slack_sdk.web.async_client import AsyncWebClient

    client = AsyncWebClient(token=os.environ["SLACK_BOT_TOKEN"], base_url=os.environ["SLACK_API_URL"])
    bolt = AsyncApp(client=client, signing_secret=os.environ["SLACK_SIGNING_SECRET"],
                    process_before_response=process_before_response)

    @bolt.command("/equinix")
    async def command(ack: Any) -> None:
        await ack("Your account team: Sanne de Vries (Account Manager)")

    async def handler(request: web.Request) -> web.Response:
        return await to_aiohttp_response(await bolt.async_dispatch(await to_bolt_request(request)))

    app = web.Application()
    app.router.add_post("/slack/events", handler)
    return app


ADAPTIVE_CARD = {
    "type": "AdaptiveCard",
    "$schema": "http://adaptivecards.io/schemas/adaptive-card.json",
    "version": "1.5",
    "body": [
        {"type": "TextBlock", "text": "Your account team", "weight": "Bolder", "size": "Medium", "wrap": True},
        {"type": "FactSet", "facts": [
            {"title": "Account Manager", "value": "Sanne de Vries"},
            {"title": "Customer Success", "value": "Pieter Jansen"},
            {"title": "Sales Engineer", "value": "Amira El Idrissi"},
            {"title": "Billing Analyst", "value": "Lotte Bakker"},
        ]},
    ],
    "actions": [{"type": "Action.Submit", "title": "Service desk", "data": {"a": "gsd.show"}}],
}


def botbuilder_app(auth: bool) -> web.Application:
    from botbuilder.core import ActivityHandler, CardFactory, MessageFactory, TurnContext
    from botbuilder.integration.aiohttp import CloudAdapter, ConfigurationBotFrameworkAuthentication
    from botframework.connector.auth import MicrosoftAppCredentials, PasswordServiceClientCredentialFactory

    class StaticTokenCredentials(MicrosoftAppCredentials):
        """Outbound calls carry a bearer token as usual, but it is not fetched from Azure AD
        (not reachable here); MSAL would serve it from its cache on every call anyway."""

        def get_access_token(self, force_refresh: bool = False) -> str:
            return "bench-outbound-token"

    class LocalCredentialFactory(PasswordServiceClientCredentialFactory):
        async def create_credentials(self, app_id: str, oauth_scope: str, login_endpoint: str,
                                     validate_authority: bool) -> MicrosoftAppCredentials:
            if await self.is_authentication_disabled():
                return MicrosoftAppCredentials.empty()
            if not await self.is_valid_app_id(app_id):
                raise Exception("Invalid app_id")
            return StaticTokenCredentials(app_id, self.password, oauth_scope=oauth_scope)

    class Config:
        APP_TYPE = "MultiTenant"
        APP_TENANTID = ""

    if auth:
        Config.APP_ID = os.environ["MICROSOFT_APP_ID"]  # type: ignore[attr-defined]
        Config.APP_PASSWORD = os.environ["MICROSOFT_APP_PASSWORD"]  # type: ignore[attr-defined]
        # The parameterized (non public-cloud) configuration, pointed at the local OpenID server.
        metadata = os.environ["BOTFRAMEWORK_OPENID_METADATA_URL"]
        Config.TO_BOT_FROM_CHANNEL_OPENID_METADATA_URL = metadata  # type: ignore[attr-defined]
        Config.TO_BOT_FROM_EMULATOR_OPENID_METADATA_URL = metadata  # type: ignore[attr-defined]
        Config.TO_BOT_FROM_CHANNEL_TOKEN_ISSUER = "https://api.botframework.com"  # type: ignore[attr-defined]
        Config.TO_CHANNEL_FROM_BOT_OAUTH_SCOPE = "https://api.botframework.com"  # type: ignore[attr-defined]
        Config.TO_CHANNEL_FROM_BOT_LOGIN_URL = "https://login.microsoftonline.com/botframework.com"  # type: ignore[attr-defined]
        Config.VALIDATE_AUTHORITY = True  # type: ignore[attr-defined]
        factory = LocalCredentialFactory(Config.APP_ID, Config.APP_PASSWORD)  # type: ignore[attr-defined]
    else:
        Config.APP_ID = ""  # type: ignore[attr-defined]
        Config.APP_PASSWORD = ""  # type: ignore[attr-defined]
        factory = LocalCredentialFactory("", "")

    adapter = CloudAdapter(ConfigurationBotFrameworkAuthentication(Config(), credentials_factory=factory))

    class Bot(ActivityHandler):
        async def on_message_activity(self, turn_context: TurnContext) -> None:
            await turn_context.send_activity(MessageFactory.attachment(CardFactory.adaptive_card(ADAPTIVE_CARD)))

    bot = Bot()

    async def on_error(context: TurnContext, error: Exception) -> None:
        logging.getLogger("botbuilder-baseline").error("turn failed: %r", error)

    adapter.on_turn_error = on_error

    async def messages(request: web.Request) -> web.Response:
        return await adapter.process(request, bot)

    app = web.Application()
    app.router.add_post("/api/messages", messages)
    return app


async def _serve(app: web.Application, port: int) -> None:
    app.router.add_get("/healthz", _healthz)
    runner = web.AppRunner(app, handle_signals=False, access_log=None)
    await runner.setup()
    await web.TCPSite(runner, "127.0.0.1", port).start()
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(sig, stop.set)
    await stop.wait()
    await runner.cleanup()


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("kind", choices=("bare", "bolt", "botbuilder"))
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--pbr", action="store_true", help="bolt: process_before_response=True")
    parser.add_argument("--auth", choices=("on", "off"), default="on", help="botbuilder: Bot Framework auth")
    args = parser.parse_args()
    logging.basicConfig(level=logging.WARNING)
    if args.kind == "bare":
        app = bare_app()
    elif args.kind == "bolt":
        app = bolt_app(args.pbr)
    else:
        app = botbuilder_app(args.auth == "on")
    asyncio.run(_serve(app, args.port))


if __name__ == "__main__":
    main()
