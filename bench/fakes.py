"""One local process faking everything the bots call out to, recording arrival times.

- Slack Web API (``/api/<method>``) and ``response_url`` (``/respond/<name>``), shaped
  like ``tests/fakes/slack_api.py``;
- the Bot Framework's OpenID metadata and JWKS (``/openid/...``), a token endpoint
  (``/aad/...``) and the Bot Connector (``/teams/v3/conversations/...``);
- control routes for the benchmark (``/_bench/...``).

Arrival times are ``time.monotonic()`` (CLOCK_MONOTONIC is system-wide on Linux), so
the load generator can subtract its own send times from them.

    python -m bench.fakes --port 8099 --key bench/results/key.pem
"""

from __future__ import annotations

import argparse
import asyncio
import itertools
import json
import re
import signal
import time
from collections import Counter
from pathlib import Path
from typing import Any
from urllib.parse import parse_qsl

from aiohttp import web

from bench.tokens import ISSUER, jwks

TOKEN = re.compile(r"benchtok-([A-Za-z0-9]+-\d+)")
TEAM_CHANNEL = "C0ONBOARD01"


class Fakes:
    def __init__(self, pem: bytes, base_url: str) -> None:
        self.jwks = jwks(pem)
        self.base_url = base_url
        self.counts: Counter[str] = Counter()
        self.last: dict[str, dict[str, Any]] = {}
        self.respond: dict[str, float] = {}  # response_url name -> first arrival
        self.connector: dict[str, float] = {}  # replyToId -> first arrival
        self.cards: dict[str, float] = {}  # benchtok in a team-channel post -> first arrival
        self.confirmations: dict[str, float] = {}  # benchtok in a customer-channel post
        self._ts = itertools.count(1)

    # -- Slack ----------------------------------------------------------------------
    @staticmethod
    async def _args(request: web.Request, raw: bytes) -> dict[str, Any]:
        if request.method == "GET":
            return dict(request.query)
        if request.content_type == "application/json":
            return json.loads(raw or b"{}")
        args: dict[str, Any] = dict(parse_qsl(raw.decode(errors="replace")))
        for key in ("blocks", "view", "attachments"):
            if isinstance(args.get(key), str):
                try:
                    args[key] = json.loads(args[key])
                except ValueError:
                    pass
        return args

    async def slack_api(self, request: web.Request) -> web.Response:
        now = time.monotonic()
        method = request.match_info["method"]
        raw = await request.read()
        self.counts[method] += 1
        if method == "users.info":
            user = request.query.get("user") or dict(parse_qsl(raw.decode(errors="replace"))).get("user", "")
            return web.json_response({"ok": True, "user": {"id": user, "locale": "en-US"}})
        if method == "auth.test":
            return web.json_response({"ok": True, "url": "https://demo.slack.com/", "team": "Demo", "user": "bot",
                                      "team_id": "T0DEMO", "user_id": "U0BOT", "bot_id": "B0BOT"})
        args = await self._args(request, raw)
        self.last[method] = args
        if method in ("chat.postMessage", "chat.update", "chat.postEphemeral"):
            match = TOKEN.search(raw.decode(errors="replace"))
            if match:
                into = self.cards if args.get("channel") == TEAM_CHANNEL else self.confirmations
                into.setdefault(match.group(1), now)
            ts = args.get("ts") or f"1700000000.{next(self._ts):06d}"
            return web.json_response({"ok": True, "channel": args.get("channel"), "ts": ts})
        if method in ("views.open", "views.publish", "views.update"):
            return web.json_response({"ok": True, "view": {"id": "V0FAKE"}})
        if method == "chat.getPermalink":
            return web.json_response({"ok": True, "permalink": "https://demo.slack.com/archives/C0/p1"})
        return web.json_response({"ok": True})

    async def response_url(self, request: web.Request) -> web.Response:
        now = time.monotonic()
        await request.read()
        self.counts["response_url"] += 1
        self.respond.setdefault(request.match_info["name"], now)
        return web.Response(text="ok")

    # -- Bot Framework --------------------------------------------------------------
    async def openid(self, request: web.Request) -> web.Response:
        self.counts["openid"] += 1
        return web.json_response({
            "issuer": ISSUER,
            "authorization_endpoint": f"{self.base_url}/aad/authorize",
            "jwks_uri": f"{self.base_url}/openid/keys",
            "id_token_signing_alg_values_supported": ["RS256"],
            "token_endpoint_auth_methods_supported": ["private_key_jwt"],
        })

    async def keys(self, request: web.Request) -> web.Response:
        self.counts["jwks"] += 1
        return web.json_response(self.jwks)

    async def aad_token(self, request: web.Request) -> web.Response:
        await request.read()
        self.counts["aad_token"] += 1
        return web.json_response({"token_type": "Bearer", "expires_in": 3599, "ext_expires_in": 3599,
                                  "access_token": "bench-outbound-token"})

    async def connector_activity(self, request: web.Request) -> web.Response:
        now = time.monotonic()
        raw = await request.read()
        self.counts["connector"] += 1
        reply_to = request.match_info.get("activity", "")
        if not reply_to and raw:
            try:
                reply_to = str(json.loads(raw).get("replyToId") or "")
            except ValueError:
                reply_to = ""
        if reply_to:
            self.connector.setdefault(reply_to, now)
        return web.json_response({"id": f"reply-{next(self._ts)}"})

    async def create_conversation(self, request: web.Request) -> web.Response:
        await request.read()
        self.counts["connector.create"] += 1
        return web.json_response({"id": f"a:bench-{next(self._ts)}", "activityId": f"act-{next(self._ts)}"})

    # -- control --------------------------------------------------------------------
    async def stats(self, request: web.Request) -> web.Response:
        return web.json_response({"counts": dict(self.counts), "respond": len(self.respond),
                                  "connector": len(self.connector), "cards": len(self.cards)})

    async def last_call(self, request: web.Request) -> web.Response:
        return web.json_response(self.last.get(request.match_info["method"]) or {})

    async def arrivals(self, request: web.Request) -> web.Response:
        """The recorded arrivals of one kind, and forget them (keeps the fake small)."""
        kind = request.match_info["kind"]
        table: dict[str, float] = getattr(self, kind)
        out = dict(table)
        table.clear()
        return web.json_response(out)

    async def reset(self, request: web.Request) -> web.Response:
        self.counts.clear()
        self.last.clear()
        self.respond.clear()
        self.connector.clear()
        self.cards.clear()
        self.confirmations.clear()
        return web.json_response({"ok": True})

    async def healthz(self, request: web.Request) -> web.Response:
        return web.json_response({"status": "ok"})

    def app(self) -> web.Application:
        app = web.Application(client_max_size=8 * 1024 * 1024)
        r = app.router
        r.add_route("*", "/api/{method}", self.slack_api)
        r.add_post("/respond/{name}", self.response_url)
        r.add_get("/openid/.well-known/openidconfiguration", self.openid)
        r.add_get("/openid/.well-known/openid-configuration", self.openid)
        r.add_get("/openid/keys", self.keys)
        r.add_post("/aad/{tenant}/oauth2/v2.0/token", self.aad_token)
        r.add_post("/aad/{tenant}/oauth2/token", self.aad_token)
        r.add_post("/teams/v3/conversations", self.create_conversation)
        r.add_route("*", "/teams/v3/conversations/{conversation}/activities", self.connector_activity)
        r.add_route("*", "/teams/v3/conversations/{conversation}/activities/{activity}", self.connector_activity)
        r.add_get("/_bench/stats", self.stats)
        r.add_get("/_bench/last/{method}", self.last_call)
        r.add_post("/_bench/arrivals/{kind:respond|connector|cards|confirmations}", self.arrivals)
        r.add_post("/_bench/reset", self.reset)
        r.add_get("/healthz", self.healthz)
        return app


async def _main(port: int, key: Path) -> None:
    fakes = Fakes(key.read_bytes(), f"http://127.0.0.1:{port}")
    runner = web.AppRunner(fakes.app(), access_log=None, handle_signals=False)
    await runner.setup()
    await web.TCPSite(runner, "127.0.0.1", port, backlog=1024).start()
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(sig, stop.set)
    print(f"fakes listening on 127.0.0.1:{port}", flush=True)
    await stop.wait()
    await runner.cleanup()


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--key", type=Path, required=True)
    args = parser.parse_args()
    asyncio.run(_main(args.port, args.key))


if __name__ == "__main__":
    main()
