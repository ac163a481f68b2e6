"""Two replicas on one Redis: a lesson taught on one answers on the other at once, and
the weekly digest is posted once per week however many replicas tick."""

from __future__ import annotations

import datetime as dt
import json
from typing import AsyncIterator

import pytest
from aiohttp.test_utils import TestClient, TestServer

from bot.app import RUNNING, create_app
from handlers.catalog import Catalog, Digest
from tests.bot.test_insights_slack import MEMBER, ODD, PIN, TEAM_CHANNEL, ask, button, member_says
from tests.bot.test_slack_escalations import press
from tests.bot.test_slack_http import post_signed, texts_of
from tests.cards.validate import assert_valid_blocks
from tests.conftest import MovableClock, slack_settings
from tests.fakes.signing import interaction_body, submission
from tests.fixtures_redis import redis_server, redis_url  # noqa: F401 - fixtures

MONDAY_9_05_AMSTERDAM = dt.datetime(2026, 11, 30, 8, 5, tzinfo=dt.timezone.utc)


def with_digest(catalog: Catalog) -> Catalog:
    digest = Digest(weekday="monday", hour=9, timezone="Europe/Amsterdam")
    return catalog.model_copy(update={"onboarding": catalog.onboarding.model_copy(update={"digest": digest})})


async def _pair(fake_slack, catalog: Catalog, redis_url: str, clock: MovableClock, *, run_delivery: bool) -> list[TestClient]:
    clients = []
    for _ in range(2):
        app = create_app(slack_settings(fake_slack, redis_url=redis_url), catalog=catalog, clock=clock,
                         strict_texts=True, run_delivery=run_delivery, delivery_interval=0.05)
        client = TestClient(TestServer(app))
        await client.start_server()
        clients.append(client)
    return clients


@pytest.fixture
async def replicas(fake_slack, catalog, redis_url) -> AsyncIterator[tuple[TestClient, TestClient, MovableClock]]:  # noqa: F811
    """Two replicas on one Redis whose delivery loops the test runs by hand."""
    clock = MovableClock(MONDAY_9_05_AMSTERDAM - dt.timedelta(hours=1))
    clients = await _pair(fake_slack, with_digest(catalog), redis_url, clock, run_delivery=False)
    yield clients[0], clients[1], clock
    for client in clients:
        await client.close()


async def test_a_scripted_week_on_one_replica_shows_in_stats_on_the_other(fake_slack, catalog, redis_url):  # noqa: F811
    from tests.bot.test_insights_slack import plain, scripted_week

    clock = MovableClock()
    one, two = await _pair(fake_slack, catalog, redis_url, clock, run_delivery=True)
    try:
        await scripted_week(one, fake_slack, clock)
        text = plain(await member_says(two, "stats"))
        assert "Questions asked\\n4" in text and "Not sure\\n1 (25%)" in text
        assert "Acme Logistics B.V.: asked 3" in text and "escalated within an hour 67%" in text
        assert "Raised: 1 (open 0, acknowledged 0, resolved 1)" in text
        assert "acknowledged in 10 min (median), 1 of 1 within the reminder interval" in text
        clock.advance(days=31)  # past every retention: no sample left, counts out of the 30 days
        text = plain(await member_says(two, "stats 30"))
        assert "Questions asked\\n0" in text and "Not sure questions (0)" in text
    finally:
        for client in (one, two):
            await client.close()


async def test_a_lesson_taught_on_one_replica_answers_on_the_other(replicas, fake_slack):
    one, two, _ = replicas
    assert "Network products" not in texts_of((await ask(one, ODD))["blocks"])

    listing = await member_says(two, "stats")
    samples = button(listing["blocks"], "ins.samples")
    await post_signed(two, interaction_body(press(samples["action_id"], samples["value"], user=MEMBER, channel=TEAM_CHANNEL,
                                                  response_url=fake_slack.response_url("s"))))
    [shown] = await fake_slack.wait_for("response_url")
    teach = button(shown.args["blocks"], "ins.teach")
    await post_signed(two, interaction_body(press(teach["action_id"], teach["value"], user=MEMBER, channel=TEAM_CHANNEL,
                                                  response_url=fake_slack.response_url("t"))))
    [opened] = await fake_slack.wait_for("views.open")
    await post_signed(two, interaction_body(submission(opened.args["view"], {"topic": "network_services"}, user=MEMBER)))

    assert "Network products" in texts_of((await ask(one, ODD))["blocks"])
    await member_says(one, "forget lesson 1")
    assert "Network products" not in texts_of((await ask(two, ODD))["blocks"])


async def test_the_weekly_digest_is_posted_once_across_two_replicas(replicas, fake_slack):
    one, two, clock = replicas
    await ask(one, ODD)
    await ask(two, "who handles our invoices?")
    deliverers = [client.app[RUNNING].deliverer for client in (one, two)]

    for deliverer in deliverers:  # 08:05 in Amsterdam: not yet
        await deliverer.run_once()
    assert not fake_slack.of("chat.postMessage")

    clock.now = MONDAY_9_05_AMSTERDAM
    for _ in range(3):
        for deliverer in deliverers:
            await deliverer.run_once()
    [post] = await fake_slack.wait_for("chat.postMessage")
    assert post.args["channel"] == TEAM_CHANNEL
    assert_valid_blocks(post.args)
    text = texts_of(post.args["blocks"])
    assert "Weekly digest, 30 November 2026" in text and "zorglub" in text and "####" in text and PIN not in text
    assert "ins.teach" in text

    clock.advance(days=1)  # the same week: nothing more
    for deliverer in deliverers:
        await deliverer.run_once()
    clock.advance(days=6)  # next Monday, 09:05: the next digest
    for deliverer in deliverers:
        await deliverer.run_once()
    posts = fake_slack.of("chat.postMessage")
    assert len(posts) == 2 and "7 December 2026" in json.dumps(posts[1].args["blocks"], ensure_ascii=False).replace("\u00a0", " ")


async def test_routing_export_reads_the_lessons_from_redis(redis_url):  # noqa: F811
    import asyncio

    import yaml

    from bot.stores.redis import RedisStore
    from handlers.insights.lessons import Lessons, phrase_of
    from tests.bot.test_cli import run

    store = RedisStore.from_url(redis_url)
    try:
        await Lessons(store).teach(phrase_of(ODD), "network_services", "Iris Onboarding", "en", MONDAY_9_05_AMSTERDAM)
    finally:
        await store.close()
    result = await asyncio.to_thread(run, "routing", "export", env={"REDIS_URL": redis_url})
    assert result.returncode == 0, result.stderr
    assert yaml.safe_load(result.stdout) == {
        "routes": [{"id": "network_services", "keywords": {"en": ["my zorglub wobbles again code"], "fr": []}}]}
    assert PIN not in result.stdout and PIN not in result.stderr
