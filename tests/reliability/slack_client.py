"""What Slack sends to a bot process, signed, and what the tests ask the fake Slack API.

``SlackSender`` posts signed requests to ``/slack/events`` of any bot process (the
same bytes can go to several replicas, as Slack's retries do). ``FakeSlack`` drives
``fake_slack_server.py`` over its control endpoint.
"""

from __future__ import annotations

import asyncio
import json
import time
from dataclasses import dataclass
from typing import Any, Callable

import aiohttp

from tests.fakes.signing import command_body, event_body, interaction_body, slack_headers
from tests.fakes.signing import submission as submission  # re-exported for the reliability tests
from tests.reliability.procs import SIGNING_SECRET

TEAM_CHANNEL = "C0ONBOARD01"
ACME_CHANNEL = "C0DEMO00001"
MEMBER = "U0ONBOARD1"
STORE_DOWN = "cannot reach my storage"
VALUES = {"subject": "Cannot badge in", "category": "site_access", "urgency": "urgent",
          "description": "Our engineers could not enter the IBX this morning."}


@dataclass
class Answer:
    status: int
    body: str
    seconds: float

    def json(self) -> Any:
        return json.loads(self.body) if self.body else None


class SlackSender:
    """Signed requests to bot processes over loopback HTTP."""

    def __init__(self, session: aiohttp.ClientSession, *, timeout: float = 10.0) -> None:
        self.session = session
        self.timeout = aiohttp.ClientTimeout(total=timeout)

    async def post(self, base_url: str, body: str, *, content_type: str = "application/x-www-form-urlencoded",
                   extra: dict[str, str] | None = None) -> Answer:
        headers = slack_headers(SIGNING_SECRET, body, content_type=content_type)
        headers.update(extra or {})
        started = time.monotonic()
        async with self.session.post(f"{base_url}/slack/events", data=body.encode(), headers=headers,
                                     timeout=self.timeout) as resp:
            text = await resp.text()
            return Answer(resp.status, text, time.monotonic() - started)

    async def command(self, base_url: str, text: str, *, channel: str = ACME_CHANNEL, user: str = "U0CUSTOMER",
                      response_url: str = "", trigger_id: str = "1.2.trigger") -> Answer:
        return await self.post(base_url, command_body(text, channel=channel, user=user, response_url=response_url,
                                                      trigger_id=trigger_id))

    async def interaction(self, base_url: str, payload: dict[str, Any]) -> Answer:
        return await self.post(base_url, interaction_body(payload))

    async def event(self, base_url: str, event: dict[str, Any], *, event_id: str,
                    retry_num: int | None = None) -> Answer:
        extra = {"X-Slack-Retry-Num": str(retry_num), "X-Slack-Retry-Reason": "http_timeout"} if retry_num else None
        return await self.post(base_url, event_body(event, event_id=event_id), content_type="application/json", extra=extra)

    async def get(self, base_url: str, path: str) -> Answer:
        started = time.monotonic()
        async with self.session.get(f"{base_url}{path}", timeout=self.timeout) as resp:
            return Answer(resp.status, await resp.text(), time.monotonic() - started)


def press(button: dict[str, str], *, user: str, channel: str, message_ts: str, response_url: str,
          action_ts: str) -> dict[str, Any]:
    """A ``block_actions`` payload: ``user`` pressed ``button`` on message ``message_ts``."""
    return {
        "type": "block_actions", "team": {"id": "T0DEMO"}, "user": {"id": user, "username": user.lower()},
        "channel": {"id": channel}, "container": {"type": "message", "channel_id": channel, "message_ts": message_ts},
        "response_url": response_url, "trigger_id": "trig",
        "actions": [{"action_id": button["action_id"], "value": button["value"], "type": "button", "action_ts": action_ts}],
    }


def ack_button(record: dict[str, Any]) -> dict[str, str]:
    """The Acknowledge button of a team card, as the fake recorded it."""
    return next(b for b in record["buttons"] if b["action_id"].startswith("ob:esc.ack:"))


class FakeSlack:
    """The control side of the fake Slack process."""

    def __init__(self, session: aiohttp.ClientSession, base: str) -> None:
        self.session = session
        self.base = base

    async def _post(self, path: str, data: dict[str, Any]) -> None:
        async with self.session.post(f"{self.base}/_control/{path}", json=data) as resp:
            assert resp.status == 200, await resp.text()

    async def reset(self) -> None:
        await self._post("reset", {})

    async def fail(self, method: str, *failures: dict[str, Any]) -> None:
        await self._post("fail", {"method": method, "failures": list(failures)})

    async def chaos(self, **settings: Any) -> None:
        await self._post("chaos", settings)

    async def delay(self, method: str, seconds: float) -> None:
        await self._post("delay", {"method": method, "seconds": seconds})

    async def calls(self, method: str | None = None, channel: str | None = None, *, full: bool = False,
                    since: int = -1) -> list[dict[str, Any]]:
        params = {k: v for k, v in (("method", method), ("channel", channel), ("full", "1" if full else ""),
                                    ("since", str(since) if since >= 0 else "")) if v}
        async with self.session.get(f"{self.base}/_control/calls", params=params) as resp:
            return await resp.json()

    async def stats(self) -> dict[str, Any]:
        async with self.session.get(f"{self.base}/_control/stats") as resp:
            return await resp.json()

    async def wait_for(self, predicate: Callable[[list[dict[str, Any]]], Any], *, method: str | None = None,
                       channel: str | None = None, full: bool = False, timeout: float = 10.0, what: str = "") -> Any:
        """Poll the recorded calls until ``predicate(calls)`` is truthy; return its value."""
        deadline = time.monotonic() + timeout
        calls: list[dict[str, Any]] = []
        while time.monotonic() < deadline:
            calls = await self.calls(method, channel, full=full)
            result = predicate(calls)
            if result:
                return result
            await asyncio.sleep(0.05)
        summary = [(c["who"], c["method"], c["channel"], c["ok"], c["text"][:60]) for c in calls][-15:]
        raise AssertionError(f"timed out after {timeout}s waiting for {what or predicate}: last calls {summary}")

    async def open_modal(self, sender: SlackSender, bot_url: str, *, channel: str = ACME_CHANNEL,
                         user: str = "U0CUSTOMER", trigger: str = "trig-modal") -> dict[str, Any]:
        """``/equinix escalate`` and the view the bot opened with ``views.open``."""
        answer = await sender.command(bot_url, "escalate badge", channel=channel, user=user, trigger_id=trigger)
        assert answer.status == 200, answer
        call = await self.wait_for(
            lambda cs: next((c for c in cs if c["args"].get("trigger_id") == trigger and c["ok"]), None),
            method="views.open", full=True, what=f"views.open for {trigger}",
        )
        return call["args"]["view"] if isinstance(call["args"]["view"], dict) else json.loads(call["args"]["view"])


def ok_posts(calls: list[dict[str, Any]], *, channel: str, esc: str | None = None, contains: str = "") -> list[dict[str, Any]]:
    """Successful ``chat.postMessage`` calls to ``channel`` (about ``esc``, with ``contains`` in the text)."""
    return [
        c for c in calls
        if c["method"] == "chat.postMessage" and c["ok"] and c["channel"] == channel
        and (esc is None or esc in c["esc"]) and contains in c["text"]
    ]
