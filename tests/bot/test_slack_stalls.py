"""Slack's own Web API stalls: every command is still acknowledged well inside Slack's
3 seconds, with the right card, and the lookups finish in the background."""

from __future__ import annotations

import asyncio
import time
from typing import AsyncIterator

import pytest
from aiohttp.test_utils import TestClient, TestServer

from bot.app import create_app
from bot.stores.memory import MemoryStore
from tests.bot.test_slack_escalations import VALUES, submission
from tests.bot.test_slack_http import post_signed, texts_of
from tests.cards.validate import assert_valid_blocks
from tests.conftest import slack_settings
from tests.fakes.signing import command_body, interaction_body
from tests.fakes.slack_api import Failure
from tests.wait import eventually

SLACK_LIMIT = 3.0
BUDGET = 0.5


@pytest.fixture
async def stalled_client(fake_slack, catalog, clock) -> AsyncIterator[TestClient]:
    """The app with a cold cache, and Slack's Web API answering nothing at all."""
    fake_slack.hang("users.info", "auth.test", "views.open", "chat.postMessage")
    app = create_app(slack_settings(fake_slack, lookup_budget_seconds=BUDGET), catalog=catalog,
                     store=MemoryStore(), clock=clock, strict_texts=True)
    client = TestClient(TestServer(app))
    await client.start_server()
    yield client
    fake_slack.release()
    await client.close()


async def timed(client, body: str):
    started = time.monotonic()
    resp = await post_signed(client, body)
    return resp, time.monotonic() - started


@pytest.mark.parametrize(("text", "expected"), [
    ("team", "Sanne de Vries"),
    ("gsd", "+31 20 808 0015"),
    ("ecp", "ECP"),
    ("help", "Onboarding assistant"),
    ("who handles invoices?", "Lotte Bakker"),
    ("qui s'occupe des factures ?", "Lotte Bakker"),
])
async def test_every_command_is_acknowledged_in_time_while_slack_hangs(stalled_client, fake_slack, text, expected):
    resp, took = await timed(stalled_client, command_body(text, user=f"U0NEW{abs(hash(text)) % 10_000}"))
    assert resp.status == 200
    assert took < BUDGET * 2 + 0.5 < SLACK_LIMIT, f"{text!r} took {took:.2f} s"
    body = await resp.json()
    assert_valid_blocks(body)
    assert expected in texts_of(body["blocks"])


async def test_a_french_question_is_answered_in_french_without_the_locale(stalled_client):
    resp, _ = await timed(stalled_client, command_body("qui s'occupe des factures ?", user="U0FRSTALL"))
    assert "facture" in texts_of((await resp.json())["blocks"]).lower()


async def test_a_user_whose_lookup_is_pending_does_not_wait_again(stalled_client, fake_slack):
    _, first = await timed(stalled_client, command_body("team", user="U0TWICE"))
    _, second = await timed(stalled_client, command_body("team", user="U0TWICE"))
    assert first >= BUDGET * 0.9  # waited its budget for users.info...
    assert second < BUDGET * 0.9  # ...which the next command does not wait for again
    assert len([c for c in fake_slack.of("users.info") if c.args.get("user") == "U0TWICE"]) == 1


async def test_escalate_and_submit_are_acknowledged_in_time(stalled_client, fake_slack):
    resp, took = await timed(stalled_client, command_body("escalate badge", user="U0ESC"))
    assert resp.status == 200 and took < SLACK_LIMIT
    [call] = await fake_slack.wait_for("views.open")  # still hanging: the ack did not wait for it
    view = call.args["view"]
    resp, took = await timed(stalled_client, interaction_body(submission(view, VALUES, user="U0ESC2")))
    assert resp.status == 200 and (await resp.text()) == ""
    assert took < BUDGET * 2 + 0.5


async def test_the_locale_arrives_later_and_is_used(stalled_client, fake_slack):
    fake_slack.locales["U0LATE"] = "fr-FR"
    body = await (await post_signed(stalled_client, command_body("team", user="U0LATE"))).json()
    assert "Your account team" in texts_of(body["blocks"])  # no locale yet: the account's language
    fake_slack.release()
    await fake_slack.wait_for("users.info")

    async def in_french() -> bool:  # the lookup lands in the cache moments after Slack answers
        body = await (await post_signed(stalled_client, command_body("team", user="U0LATE"))).json()
        return "équipe de compte" in texts_of(body["blocks"])

    assert await eventually(in_french, timeout=2.0)


async def test_failing_auth_test_is_not_retried_per_request(slack_client, fake_slack):
    fake_slack.fail("auth.test", *[Failure(status=500)] * 20)
    for n in range(6):
        resp = await post_signed(slack_client, command_body("help", user=f"U0AUTH{n}"))
        assert resp.status == 200
    assert len(fake_slack.of("auth.test")) == 1


async def test_a_flood_while_slack_hangs_is_acknowledged_in_time_and_nothing_is_lost(fake_slack, catalog, clock):
    # Every reply task waits on the stalled API and holds its slot: the commands after
    # them must not wait for a slot past Slack's limit, and each form opens once Slack is back.
    fake_slack.hang("views.open")
    app = create_app(slack_settings(fake_slack), catalog=catalog, store=MemoryStore(), clock=clock,
                     strict_texts=True, background_limit=2)
    client = TestClient(TestServer(app))
    await client.start_server()
    try:
        results = await asyncio.gather(*(
            timed(client, command_body("escalate badge", user=f"U0FLOOD{n}")) for n in range(6)
        ))
        for resp, took in results:
            assert resp.status == 200 and took < SLACK_LIMIT, f"acknowledged after {took:.2f} s"
        metrics = await (await client.get("/metrics")).text()
        assert "bot_background_overflow_total 4.0" in metrics
        fake_slack.release()
        assert len(await fake_slack.wait_for("views.open", count=6)) == 6
    finally:
        fake_slack.release()
        await client.close()
