"""A local fake of Slack's Web API and response_url endpoint that records what the bot sent.

Modelled on bolt-python's mock_web_api_server: every call is kept in ``calls`` with its
method name and parsed arguments; ``fail`` queues failures (HTTP status, Slack error,
delay) for the next calls of a method so tests can make Slack misbehave.
"""

from __future__ import annotations

import asyncio
import itertools
import json
from collections import defaultdict
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import parse_qsl

from aiohttp import web
from aiohttp.test_utils import TestServer


@dataclass
class Failure:
    status: int = 200
    error: str = ""
    delay: float = 0.0
    retry_after: int | None = None
    channel: str | None = None  # only calls to this channel fail


@dataclass
class Call:
    method: str
    args: dict[str, Any]
    headers: dict[str, str] = field(default_factory=dict)


class FakeSlackApi:
    def __init__(self) -> None:
        self.calls: list[Call] = []
        self.failures: dict[str, list[Failure]] = defaultdict(list)
        self.locales: dict[str, str] = {}
        self._ts = itertools.count(1)
        self.server: TestServer | None = None
        self.changed = asyncio.Event()
        self.hanging: set[str] = set()
        self._released = asyncio.Event()

    # -- control --------------------------------------------------------------
    def fail(self, method: str, *failures: Failure) -> None:
        self.failures[method].extend(failures)

    def hang(self, *methods: str) -> None:
        """Calls of ``methods`` get no answer at all until ``release()`` (or close):
        Slack's API stalled, not failing."""
        self.hanging.update(methods)

    def release(self) -> None:
        self.hanging.clear()
        self._released.set()
        self._released = asyncio.Event()

    def of(self, method: str) -> list[Call]:
        return [c for c in self.calls if c.method == method]

    async def wait_for(self, method: str, count: int = 1, timeout: float = 5.0) -> list[Call]:
        """Wait until ``method`` was called ``count`` times (calls happen after the ack)."""
        loop = asyncio.get_running_loop()
        deadline = loop.time() + timeout
        while len(self.of(method)) < count:
            remaining = deadline - loop.time()
            if remaining <= 0:
                raise AssertionError(f"{method} called {len(self.of(method))} times, expected {count}: {[c.method for c in self.calls]}")
            self.changed.clear()
            try:
                await asyncio.wait_for(self.changed.wait(), timeout=min(remaining, 0.05))
            except asyncio.TimeoutError:
                pass
        return self.of(method)

    @property
    def url(self) -> str:
        assert self.server is not None
        return str(self.server.make_url("/api/"))

    def response_url(self, name: str = "r1") -> str:
        assert self.server is not None
        return str(self.server.make_url(f"/respond/{name}"))

    # -- server ---------------------------------------------------------------
    async def start(self) -> None:
        app = web.Application()
        app.router.add_route("*", "/api/{method}", self._api)
        app.router.add_post("/respond/{name}", self._respond)
        self.server = TestServer(app)
        await self.server.start_server()

    async def close(self) -> None:
        self.release()
        if self.server is not None:
            await self.server.close()

    async def _args(self, request: web.Request) -> dict[str, Any]:
        raw = await request.read()
        if request.method == "GET":
            return dict(request.query)
        if request.content_type == "application/json":
            return json.loads(raw or b"{}")
        args: dict[str, Any] = dict(parse_qsl(raw.decode()))
        for key in ("blocks", "view", "attachments"):
            if isinstance(args.get(key), str):
                args[key] = json.loads(args[key])
        return args

    async def _api(self, request: web.Request) -> web.Response:
        method = request.match_info["method"]
        args = await self._args(request)
        self.calls.append(Call(method, args, {k: v for k, v in request.headers.items()}))
        self.changed.set()
        if method in self.hanging:
            await self._released.wait()
        pending = [f for f in self.failures.get(method, []) if f.channel in (None, args.get("channel"))]
        if pending:
            failure = pending[0]
            self.failures[method].remove(failure)
            if failure.delay:
                await asyncio.sleep(failure.delay)
            if failure.status != 200:
                headers = {"Retry-After": str(failure.retry_after)} if failure.retry_after is not None else {}
                return web.json_response({"ok": False, "error": failure.error or "internal_error"}, status=failure.status, headers=headers)
            if failure.error:
                return web.json_response({"ok": False, "error": failure.error})
        return web.json_response(self._answer(method, args))

    def _answer(self, method: str, args: dict[str, Any]) -> dict[str, Any]:
        if method == "auth.test":
            return {"ok": True, "url": "https://demo.slack.com/", "team": "Demo", "user": "bot", "team_id": "T0DEMO", "user_id": "U0BOT", "bot_id": "B0BOT"}
        if method == "users.info":
            user = str(args.get("user", ""))
            return {"ok": True, "user": {"id": user, "locale": self.locales.get(user, "en-US")}}
        if method in ("chat.postMessage", "chat.update"):
            ts = args.get("ts") or f"1700000000.{next(self._ts):06d}"
            return {"ok": True, "channel": args.get("channel"), "ts": ts}
        if method == "chat.getPermalink":
            return {"ok": True, "permalink": f"https://demo.slack.com/archives/{args.get('channel')}/p{str(args.get('message_ts', '')).replace('.', '')}"}
        if method == "views.open" or method == "views.publish" or method == "views.update":
            return {"ok": True, "view": {"id": "V0FAKE"}}
        return {"ok": True}

    async def _respond(self, request: web.Request) -> web.Response:
        args = await self._args(request)
        self.calls.append(Call("response_url", args, {"name": request.match_info["name"]}))
        self.changed.set()
        if self.failures.get("response_url"):
            failure = self.failures["response_url"].pop(0)
            return web.Response(status=failure.status or 500, text="error")
        return web.Response(text="ok")
