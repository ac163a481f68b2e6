"""The fake Slack Web API (``tests.fakes.slack_api.FakeSlackApi``) as a process of its own.

Run: ``python -m tests.reliability.fake_slack_server --port 12345``. It prints
``READY <port>`` on stdout once it listens on 127.0.0.1, and keeps running while bot
processes are killed and restarted, so every Web API call of a whole scenario is
recorded in one place.

Routes:

* ``/api/<method>`` and ``/<who>/api/<method>``: the Web API. ``<who>`` is a label put
  in each bot process's ``SLACK_API_URL`` (``a1``, ``a2`` after a restart, ``b1``...),
  so every recorded call says which process incarnation made it.
* ``/respond/<name>``: a ``response_url`` (name chosen by the test per button press).
* ``/_control/...``: what the tests use (JSON in, JSON out):
  ``POST reset``; ``POST fail`` ``{"method", "failures": [{status, error, delay,
  retry_after, channel}]}`` queues failures exactly like ``FakeSlackApi.fail``;
  ``POST chaos`` ``{"rate", "methods", "statuses", "retry_after", "channel", "seed"}``
  makes that share of calls fail at random; ``POST delay`` ``{"method", "seconds"}``
  slows every call of a method; ``GET calls?method=&channel=&since=&full=1`` lists the
  recorded calls (``since``: only those after that ``seq``); ``GET stats``.

Each recorded call carries whether the fake answered it successfully (``ok``) and,
for chat.* calls, the ``ESC-nnnnnn`` ids and ``CHAOS-...`` tokens found anywhere in
its arguments, so tests can count deliveries per escalation. A call whose client
went away (its bot was SIGKILLed while the call was in flight) still completes here,
as it would at Slack: the message was posted even though the bot never heard so.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import random
import re
import sys
import time
from typing import Any

from aiohttp import web

from tests.fakes.slack_api import Call, Failure, FakeSlackApi

_ESC = re.compile(r"ESC-\d{6}")
_TOKEN = re.compile(r"CHAOS-\d+(?:-r\d+)?")


def _buttons(blocks: object) -> list[dict[str, str]]:
    out: list[dict[str, str]] = []
    if not isinstance(blocks, list):
        return out
    for block in blocks:
        if isinstance(block, dict) and block.get("type") == "actions":
            for el in block.get("elements") or []:
                if isinstance(el, dict) and el.get("type") == "button" and "value" in el:
                    out.append({"action_id": str(el.get("action_id", "")), "value": str(el.get("value", ""))})
    return out


class RecordingSlackApi(FakeSlackApi):
    """``FakeSlackApi`` plus per-call outcomes, random faults, constant delays and labels."""

    def __init__(self) -> None:
        super().__init__()
        self.records: list[dict[str, Any]] = []
        self.chaos: dict[str, Any] = {"rate": 0.0}
        self.delays: dict[str, float] = {}
        self.rng = random.Random(0)
        self.faults = 0

    def reset(self) -> None:
        self.calls.clear()
        self.records.clear()
        self.failures.clear()
        self.chaos = {"rate": 0.0}
        self.delays = {}
        self.faults = 0

    # -- the Web API ------------------------------------------------------------------
    async def _api(self, request: web.Request) -> web.Response:
        method = request.match_info["method"]
        who = request.match_info.get("who", "")
        args = await self._args(request)
        self.calls.append(Call(method, args, dict(request.headers)))
        self.changed.set()
        blob = json.dumps(args, ensure_ascii=False)
        record: dict[str, Any] = {
            "seq": len(self.records),
            "who": who,
            "method": method,
            "channel": str(args.get("channel", "")),
            "user": str(args.get("user", "")),
            "ts": str(args.get("ts", "")),
            "thread_ts": str(args.get("thread_ts", "")),
            "text": str(args.get("text", ""))[:500],
            "esc": sorted(set(_ESC.findall(blob))),
            "tokens": sorted(set(_TOKEN.findall(blob))),
            "buttons": _buttons(args.get("blocks")),
            "started": time.time(),
            "ended": None,
            "status": None,
            "ok": None,
            "error": "",
            "fault": "",
        }
        if request.query.get("_full") == "1" or method in ("views.open",):
            record["args"] = args
        self.records.append(record)
        try:
            response, body = await self._answer_call(method, args, record)
        finally:
            record["ended"] = time.time()
        record["status"] = response.status
        record["ok"] = bool(response.status == 200 and body.get("ok"))
        record["error"] = str(body.get("error", ""))
        if record["ok"] and method in ("chat.postMessage", "chat.update"):
            record["ts"] = str(body.get("ts", ""))
        return response

    async def _answer_call(self, method: str, args: dict[str, Any], record: dict[str, Any]) -> tuple[web.Response, dict[str, Any]]:
        delay = self.delays.get(method, 0.0)
        if delay:
            await asyncio.sleep(delay)
        pending = [f for f in self.failures.get(method, []) if f.channel in (None, args.get("channel"))]
        if pending:
            failure = pending[0]
            self.failures[method].remove(failure)
            record["fault"] = f"queued:{failure.status}:{failure.error}"
            self.faults += 1
            return await self._failure(failure)
        chaos = self.chaos
        if (
            chaos.get("rate", 0.0) > 0
            and method in chaos.get("methods", ())
            and chaos.get("channel") in (None, args.get("channel"))
            and self.rng.random() < chaos["rate"]
        ):
            status = self.rng.choice(chaos.get("statuses") or [500])
            failure = Failure(status=status, error="ratelimited" if status == 429 else "internal_error",
                              retry_after=chaos.get("retry_after", 1) if status == 429 else None)
            record["fault"] = f"chaos:{status}"
            self.faults += 1
            return await self._failure(failure)
        body = self._answer(method, args)
        return web.json_response(body), body

    async def _failure(self, failure: Failure) -> tuple[web.Response, dict[str, Any]]:
        if failure.delay:
            await asyncio.sleep(failure.delay)
        body = {"ok": False, "error": failure.error or "internal_error"}
        if failure.status != 200:
            headers = {"Retry-After": str(failure.retry_after)} if failure.retry_after is not None else {}
            return web.json_response(body, status=failure.status, headers=headers), body
        if failure.error:
            return web.json_response(body), body
        body = {"ok": True}
        return web.json_response(body), body

    async def _respond(self, request: web.Request) -> web.Response:
        args = await self._args(request)
        name = request.match_info["name"]
        self.calls.append(Call("response_url", args, {"name": name}))
        blob = json.dumps(args, ensure_ascii=False)
        self.records.append({
            "seq": len(self.records), "who": "", "method": "response_url", "name": name,
            "channel": "", "user": "", "ts": "", "thread_ts": "",
            "text": str(args.get("text", ""))[:500], "esc": sorted(set(_ESC.findall(blob))),
            "tokens": sorted(set(_TOKEN.findall(blob))), "buttons": _buttons(args.get("blocks")),
            "replace_original": bool(args.get("replace_original")), "blob": blob[:4000],
            "started": time.time(), "ended": time.time(), "status": 200, "ok": True, "error": "", "fault": "",
        })
        self.changed.set()
        return web.Response(text="ok")

    # -- control ----------------------------------------------------------------------
    def control_routes(self, app: web.Application) -> None:
        async def reset(request: web.Request) -> web.Response:
            self.reset()
            return web.json_response({"ok": True})

        async def fail(request: web.Request) -> web.Response:
            data = await request.json()
            self.fail(data["method"], *(Failure(**f) for f in data.get("failures", [])))
            return web.json_response({"ok": True})

        async def chaos(request: web.Request) -> web.Response:
            data = await request.json()
            if "seed" in data:
                self.rng = random.Random(data.pop("seed"))
            self.chaos = data
            return web.json_response({"ok": True})

        async def delay(request: web.Request) -> web.Response:
            data = await request.json()
            self.delays[data["method"]] = float(data.get("seconds", 0.0))
            return web.json_response({"ok": True})

        async def calls(request: web.Request) -> web.Response:
            method = request.query.get("method")
            channel = request.query.get("channel")
            full = request.query.get("full") == "1"
            since = int(request.query.get("since", "-1"))
            out = []
            for record in self.records[since + 1:]:
                if method and record["method"] != method:
                    continue
                if channel and record["channel"] != channel:
                    continue
                out.append(record if full else {k: v for k, v in record.items() if k != "args"})
            return web.json_response(out)

        async def stats(request: web.Request) -> web.Response:
            by_method: dict[str, int] = {}
            for record in self.records:
                by_method[record["method"]] = by_method.get(record["method"], 0) + 1
            return web.json_response({"calls": len(self.records), "faults": self.faults, "by_method": by_method})

        app.router.add_post("/_control/reset", reset)
        app.router.add_post("/_control/fail", fail)
        app.router.add_post("/_control/chaos", chaos)
        app.router.add_post("/_control/delay", delay)
        app.router.add_get("/_control/calls", calls)
        app.router.add_get("/_control/stats", stats)

    def make_app(self) -> web.Application:
        app = web.Application(client_max_size=8 * 1024 * 1024)
        app.router.add_route("*", "/api/{method}", self._api)
        app.router.add_route("*", "/{who}/api/{method}", self._api)
        app.router.add_post("/respond/{name}", self._respond)
        self.control_routes(app)
        return app


async def serve(port: int) -> None:
    api = RecordingSlackApi()
    runner = web.AppRunner(api.make_app(), access_log=None)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", port)
    await site.start()
    print(f"READY {port}", flush=True)
    try:
        await asyncio.Event().wait()
    finally:
        await runner.cleanup()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--port", type=int, required=True)
    args = parser.parse_args()
    try:
        asyncio.run(serve(args.port))
    except KeyboardInterrupt:
        pass
    sys.exit(0)


if __name__ == "__main__":
    main()
