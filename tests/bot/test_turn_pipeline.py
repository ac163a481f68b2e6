"""The turn pipeline, the same on every platform: one suite, run against Slack and Teams
through real signed HTTP (the fake Slack Web API, the fake Bot Framework with auth on).

Each platform is driven the same way: a mention in a customer's channel, answered after
the acknowledgement. What is checked is the pipeline's part, written once in
``bot.pipeline``: the turn counted with its intent, a redelivery answered once, a
rate-limited turn counted, a failed reply tried again with backoff and a refused one
not, a bug counted and answered politely.
"""

from __future__ import annotations

import itertools
import json
from collections.abc import AsyncIterator
from typing import Any

import pytest
from aiohttp.test_utils import TestClient, TestServer

import handlers.team
from bot.app import BACKGROUND, create_app
from bot.pipeline import ATTEMPTS, retry_wait
from bot.platform import ReplyFailed
from bot.stores.memory import MemoryStore
from tests.bot.test_slack_http import post_signed
from tests.conftest import slack_settings
from tests.fakes import botframework as bf
from tests.fakes import slack_api
from tests.fakes.signing import event_body
from tests.fixtures_teams import botframework, make_teams_client, post_activity  # noqa: F401 - fixtures
from tests.wait import eventually, quiet_for

_IDS = itertools.count(1)


class SlackDriver:
    name = "slack"

    def __init__(self, client: TestClient, fake: slack_api.FakeSlackApi) -> None:
        self.client = client
        self.fake = fake

    def activity(self, text: str) -> str:
        n = next(_IDS)
        event = {"type": "app_mention", "user": "U0CUSTOMER", "text": f"<@U0BOT> {text}", "channel": "C0DEMO00001",
                 "ts": f"1.{n}"}
        return event_body(event, event_id=f"EvPipe{n}")

    async def send(self, activity: str) -> None:
        resp = await post_signed(self.client, activity, content_type="application/json")
        assert resp.status == 200

    def fail_replies(self, status: int, times: int) -> None:
        error = "channel_not_found" if status < 500 else ""
        self.fake.fail("chat.postMessage", *[slack_api.Failure(status=200 if error else status, error=error)] * times)
        self.fake.fail("chat.postEphemeral", *[slack_api.Failure(status=200 if error else status, error=error)] * times)

    def replies(self) -> list[str]:
        calls = self.fake.of("chat.postMessage") + self.fake.of("chat.postEphemeral")
        return [json.dumps(c.args, ensure_ascii=False).replace("\u00a0", " ") for c in calls]


class TeamsDriver:
    name = "teams"

    def __init__(self, client: TestClient, fake: bf.FakeBotFramework) -> None:
        self.client = client
        self.fake = fake

    def activity(self, text: str) -> dict[str, Any]:
        return bf.channel_message(self.fake, f"<at>AM11 Onboarding</at> {text}")

    async def send(self, activity: dict[str, Any]) -> None:
        resp = await post_activity(self.client, activity)
        assert resp.status == 200

    def fail_replies(self, status: int, times: int) -> None:
        self.fake.fail("reply", *[bf.Failure(status=status)] * times)

    def replies(self) -> list[str]:
        return [json.dumps(c.body, ensure_ascii=False).replace("\u00a0", " ") for c in self.fake.of("reply")]


@pytest.fixture(params=["slack", "teams"])
async def make_driver(request: pytest.FixtureRequest, catalog, clock, fake_slack, make_teams_client) -> AsyncIterator[Any]:  # noqa: F811
    """``await make_driver(**settings_overrides)``: the whole app serving one platform (both
    fakes run either way: each is one small local server)."""
    clients: list[TestClient] = []

    async def make(**overrides: object) -> SlackDriver | TeamsDriver:
        if request.param == "teams":
            client = await make_teams_client(**overrides)
            return TeamsDriver(client, client.fake)
        fake = fake_slack
        app = create_app(slack_settings(fake, **overrides), catalog=catalog, store=MemoryStore(), clock=clock, strict_texts=True)
        client = TestClient(TestServer(app))
        await client.start_server()
        clients.append(client)
        return SlackDriver(client, fake)

    yield make
    for client in clients:
        await client.app[BACKGROUND].drain()
        await client.close()


async def metric(driver: SlackDriver | TeamsDriver, name: str, **labels: str) -> float:
    """One sample of ``name`` on /metrics, whatever order its labels are written in."""
    text = await (await driver.client.get("/metrics")).text()
    wanted = {f'{k}="{v}"' for k, v in {"platform": driver.name, **labels}.items()}
    for line in text.splitlines():
        if line.startswith(name + "{"):
            sample, _, value = line.partition("} ")
            if set(sample.removeprefix(name + "{").split(",")) == wanted:
                return float(value)
    return 0.0


async def answered(driver: SlackDriver | TeamsDriver, count: int = 1) -> list[str]:
    await driver.client.app[BACKGROUND].drain()
    assert await eventually(lambda: len(driver.replies()) >= count, timeout=5)
    return driver.replies()


async def test_a_turn_is_answered_and_counted_with_its_intent(make_driver):
    driver = await make_driver()
    await driver.send(driver.activity("team"))
    [reply] = await answered(driver)
    assert "Sanne de Vries" in reply
    assert await metric(driver, "bot_requests_total", intent="team") == 1.0


async def test_a_redelivered_turn_is_answered_once(make_driver):
    driver = await make_driver()
    activity = driver.activity("gsd")
    await driver.send(activity)
    await driver.send(activity)
    await answered(driver)
    await quiet_for(0.2)
    assert len(driver.replies()) == 1
    assert await metric(driver, "bot_requests_total", intent="gsd") == 1.0


async def test_a_rate_limited_turn_is_answered_with_the_notice_and_counted(make_driver):
    driver = await make_driver(rate_limit_per_user=1)
    await driver.send(driver.activity("team"))
    await driver.send(driver.activity("team"))
    replies = await answered(driver, 2)
    assert sum("Sanne de Vries" in r for r in replies) == 1
    assert await metric(driver, "bot_rate_limited_total", scope="user") == 1.0
    assert await metric(driver, "bot_requests_total", intent="rate_limited.user") == 1.0


async def test_a_reply_that_fails_for_a_moment_is_tried_again(make_driver):
    driver = await make_driver()
    driver.fail_replies(503, times=1)
    await driver.send(driver.activity("team"))
    await driver.client.app[BACKGROUND].drain()
    replies = await answered(driver, 2)
    assert len(replies) == 2 and "Sanne de Vries" in replies[-1]  # the failed try, then the one that went through
    assert await metric(driver, "bot_outbound_failures_total", kind="post") == 1.0


async def test_a_reply_that_fails_every_time_is_given_up_after_the_last_try(make_driver, caplog):
    driver = await make_driver()
    driver.fail_replies(503, times=ATTEMPTS)
    await driver.send(driver.activity("team"))
    await driver.client.app[BACKGROUND].drain()
    assert len(driver.replies()) == ATTEMPTS
    assert await metric(driver, "bot_outbound_failures_total", kind="post") == float(ATTEMPTS)
    assert f"sending a reply to {driver.name.capitalize()} failed" in caplog.text


async def test_a_reply_refused_for_good_is_not_tried_again(make_driver):
    driver = await make_driver()
    driver.fail_replies(404, times=ATTEMPTS)
    await driver.send(driver.activity("team"))
    await driver.client.app[BACKGROUND].drain()
    await quiet_for(0.2)
    assert len(driver.replies()) == 1
    assert await metric(driver, "bot_outbound_failures_total", kind="post") == 1.0


async def test_a_bug_in_a_handler_is_counted_and_the_user_told(make_driver, monkeypatch):
    def boom(*args: object, **kwargs: object) -> object:
        raise RuntimeError("a bug in the bot")

    driver = await make_driver()
    monkeypatch.setattr(handlers.team, "team_card", boom)
    await driver.send(driver.activity("team"))
    [reply] = await answered(driver)
    assert "Something went wrong on my side" in reply
    assert await metric(driver, "bot_errors_total", where="handler") == 1.0


def test_the_wait_before_another_try_follows_the_platform_then_doubles():
    assert retry_wait(ReplyFailed("post", "x", retry_after=2.0), 0) == 2.0
    assert retry_wait(ReplyFailed("post", "x", retry_after=60.0), 0) == 5.0  # a reply is not worth a minute
    assert retry_wait(ReplyFailed("post", "x", permanent=True), 0) is None
    assert [retry_wait(ReplyFailed("post", "x"), n) for n in range(3)] == [0.3, 0.6, 1.2]
