"""A call to a hanging Slack Web API gives up within the configured timeout (retries
included), not after the shared HTTP session's longer one. Through HTTP: ``/equinix
escalate`` opens a form with ``views.open``, which the fake Slack API never answers."""

from __future__ import annotations

import asyncio
import time

from aiohttp.test_utils import TestClient, TestServer

from bot.app import create_app
from bot.stores.memory import MemoryStore
from tests.bot.test_slack_http import post_signed
from tests.conftest import slack_settings
from tests.fakes.signing import command_body
from tests.fakes.slack_api import Failure

TIMEOUT = 1.0


async def test_a_hanging_slack_api_call_gives_up_within_the_configured_timeout(fake_slack, catalog, clock):
    settings = slack_settings(fake_slack, slack_api_timeout=TIMEOUT)
    client = TestClient(TestServer(create_app(settings, catalog=catalog, store=MemoryStore(), clock=clock)))
    await client.start_server()
    try:
        fake_slack.fail("views.open", Failure(delay=30), Failure(delay=30))
        started = time.monotonic()
        resp = await post_signed(client, command_body("escalate badge"))
        assert resp.status == 200
        while True:
            metrics = await (await client.get("/metrics")).text()
            if 'kind="views_open"' in metrics and "bot_errors_total" in metrics:
                break
            assert time.monotonic() - started < TIMEOUT + 3, "views.open still waiting for a Slack that hangs"
            await asyncio.sleep(0.05)
        took = time.monotonic() - started
        print(f"views.open against a hanging Slack gave up after {took:.2f}s ({TIMEOUT}s configured)")
        assert took < TIMEOUT + 1.0, f"gave up after {took:.1f}s, {TIMEOUT}s configured"
    finally:
        await client.close()
