"""Escalations across platforms: a customer on Teams with the team on Slack, and the reverse.

One app serves both platforms (as in production); the fake Slack Web API and the fake
Bot Connector record what each side received.
"""

from __future__ import annotations

from dataclasses import replace
from typing import Any, AsyncIterator

import pytest
from aiohttp.test_utils import TestClient, TestServer

from bot.app import BACKGROUND, create_app
from bot.stores.memory import MemoryStore
from handlers.catalog import Place
from tests.bot.test_slack_escalations import VALUES, press
from tests.bot.test_slack_http import post_signed, texts_of
from tests.conftest import slack_settings
from tests.fakes.botframework import DEMO_CHANNEL, TENANT_ID, card_action, channel_message
from tests.fakes.signing import command_body, interaction_body
from tests.fixtures_teams import botframework, post_activity, teams_settings  # noqa: F401
from tests.wait import eventually

TEAM_CONVERSATION = "19:demo-onboarding@thread.tacv2"
MEMBER_AAD = "6f1c2a7e-0000-4000-8000-00000000a001"


@pytest.fixture
async def both(fake_slack, botframework, catalog, clock) -> AsyncIterator[TestClient]:  # noqa: F811
    teams = teams_settings(botframework)
    slack = slack_settings(fake_slack)
    settings = replace(teams, slack_signing_secret=slack.slack_signing_secret, slack_bot_token=slack.slack_bot_token,
                       slack_api_url=slack.slack_api_url)
    target = Place(conversation=TEAM_CONVERSATION, tenant=TENANT_ID, address={"service_url": botframework.service_url})
    targets = {**catalog.onboarding.targets, "teams": target}
    catalog = catalog.model_copy(update={"onboarding": catalog.onboarding.model_copy(update={"targets": targets})})
    store = MemoryStore()
    client = TestClient(TestServer(create_app(settings, catalog=catalog, store=store, clock=clock, strict_texts=True)))
    await client.start_server()
    client.store = store  # type: ignore[attr-defined]
    client.fake = botframework  # type: ignore[attr-defined]
    client.invoke_cards = []  # type: ignore[attr-defined]
    yield client
    await client.app[BACKGROUND].drain()
    await client.close()


def sent_to(fake: Any, conversation: str) -> list[Any]:
    return [c for c in fake.calls if c.conversation.split(";")[0] == conversation]


async def test_customer_on_teams_team_on_slack(both, fake_slack, botframework):  # noqa: F811
    # The customer mentions the bot in their Teams channel: the form comes back as a card.
    resp = await post_activity(both, channel_message(botframework, "<at>AM11 Onboarding</at> escalate badge problem"))
    assert resp.status in (200, 201)
    form_calls = await botframework.wait_for(count=1)
    assert any(a.get("id") == "subject" for call in form_calls for card in call.cards for a in card.get("body", []))
    # They submit it (Action.Execute with the inputs merged into data).
    resp = await post_activity(both, card_action(botframework, "escalation.submit", VALUES))
    body = await resp.json()
    assert "ESC-000001" in str(body)
    # The team card reaches Slack and Teams team channels.
    slack_posts = await fake_slack.wait_for("chat.postMessage")
    assert slack_posts[0].args["channel"] == "C0ONBOARD01" and "Acme Logistics" in texts_of(slack_posts[0].args["blocks"])
    await botframework.wait_for(count=2)
    assert sent_to(botframework, TEAM_CONVERSATION)
    # A member acknowledges on Slack; the customer hears about it on Teams.
    card = slack_posts[0].args
    ack = next(e for b in card["blocks"] if b["type"] == "actions" for e in b["elements"] if "esc.ack" in e["action_id"])
    await post_signed(both, interaction_body(press(ack["action_id"], ack["value"], user="U0ONBOARD1", channel="C0ONBOARD01",
                                                   response_url=fake_slack.response_url("m"))))
    await fake_slack.wait_for("response_url")
    def customer():
        return [c for c in sent_to(botframework, DEMO_CHANNEL) if "picked up" in str(c.body)]

    assert await eventually(customer, timeout=5)
    assert len(customer()) == 1


async def test_customer_on_slack_team_on_teams(both, fake_slack, botframework):  # noqa: F811
    from tests.bot.test_slack_escalations import submission

    await post_signed(both, command_body("escalate"))
    [opened] = await fake_slack.wait_for("views.open")
    await post_signed(both, interaction_body(submission(opened.args["view"], VALUES)))
    await botframework.wait_for(count=1)
    assert sent_to(botframework, TEAM_CONVERSATION)
    # A member acknowledges from the Teams card (Action.Execute, identified by AAD object id).
    resp = await post_activity(both, card_action(botframework, "esc.ack", {"id": "ESC-000001"}, conversation=TEAM_CONVERSATION,
                                                 aad=MEMBER_AAD, user="29:iris"))
    body = await resp.json()
    assert "Being handled" in str(body)
    posts = await fake_slack.wait_for("chat.postMessage", 3)  # confirmation, team card, requester update
    update = [p for p in posts if p.args["channel"] == "C0DEMO00001" and "picked up" in p.args.get("text", "")]
    assert len(update) == 1
    # Someone who is not a member cannot act from Teams either.
    resp = await post_activity(both, card_action(botframework, "esc.resolve", {"id": "ESC-000001"}, conversation=TEAM_CONVERSATION,
                                                 aad="aad-chris"))
    assert "Only members" in str(await resp.json())
