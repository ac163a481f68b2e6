"""What customers ask, seen by the onboarding team on Slack: a scripted week of questions
and escalations through real signed HTTP (on the embedded store and on a real Redis),
then ``stats``, the App Home, teaching a phrasing in one click, and what never leaks
(PINs, customer text in metrics, one account's questions in another's channel)."""

from __future__ import annotations

import json
import logging
import re
from typing import AsyncIterator

import pytest
from aiohttp.test_utils import TestClient, TestServer

from bot.app import create_app
from tests.bot.test_slack_escalations import VALUES, open_modal, press
from tests.bot.test_slack_http import post_signed, texts_of
from tests.cards.validate import assert_valid_blocks, assert_valid_view
from tests.conftest import slack_settings
from tests.fakes.signing import command_body, event_body, interaction_body, submission
from tests.fixtures_redis import redis_server, redis_url  # noqa: F401 - fixtures

TEAM_CHANNEL = "C0ONBOARD01"
MEMBER = "U0ONBOARD1"
PIN = "4821"
ODD = "my zorglub wobbles again, code " + PIN


async def ask(client, text: str, channel: str = "C0DEMO00001", user: str = "U0CUSTOMER") -> dict:
    resp = await post_signed(client, command_body(text, channel=channel, user=user))
    assert resp.status == 200
    return await resp.json()


async def member_says(client, text: str, channel: str = TEAM_CHANNEL) -> dict:
    return await ask(client, text, channel=channel, user=MEMBER)


def typed_pin(text: str) -> bool:
    """Whether the PIN appears as a number of its own (not inside a longer one)."""
    return re.search(rf"(?<![\d.]){PIN}(?!\d)", text) is not None


def plain(body: dict) -> str:
    """The card's text with Slack's bold marks removed."""
    return texts_of(body["blocks"]).replace("*", "")


def button(blocks: list[dict], action: str) -> dict:
    return next(e for b in blocks if b["type"] == "actions" for e in b["elements"] if action in e["action_id"])


async def scripted_week(client, fake, clock) -> None:
    """Thursday: Acme asks two questions (one routed, one the bot is not sure about, with a
    PIN in it) and escalates within the hour; a member acknowledges ten minutes later.
    Globex asks one routed question. Two hours later the member resolves it. Monday: Acme asks an urgent question."""
    await ask(client, "who handles our invoices?")
    await ask(client, ODD)
    await ask(client, "quand arrive notre livraison ?", channel="C0DEMO00002")
    clock.advance(minutes=20)
    view = await open_modal(client, fake)
    await post_signed(client, interaction_body(submission(view, VALUES)))
    posts = await fake.wait_for("chat.postMessage", 2)
    team_card = next(c for c in posts if c.args["channel"] == TEAM_CHANNEL).args
    clock.advance(minutes=10)
    ack = button(team_card["blocks"], "esc.ack")
    await post_signed(client, interaction_body(press(ack["action_id"], ack["value"], user=MEMBER, channel=TEAM_CHANNEL,
                                                     response_url=fake.response_url("ack"))))
    await fake.wait_for("chat.update")
    clock.advance(hours=2)
    resolve = button(team_card["blocks"], "esc.resolve")
    await post_signed(client, interaction_body(press(resolve["action_id"], resolve["value"], user=MEMBER, channel=TEAM_CHANNEL,
                                                     response_url=fake.response_url("resolve"))))
    opened = await fake.wait_for("views.open", 2)
    await post_signed(client, interaction_body(submission(opened[1].args["view"], {"note": "Badges issued."}, user=MEMBER,
                                                          view_id="V2", hash_="h2")))
    await fake.wait_for("chat.update", 2)
    clock.advance(days=4)
    await ask(client, "urgent: who do I call about an outage of our cross connect?")


@pytest.fixture(params=["memory", "redis"])
async def either_store_client(request, fake_slack, catalog, clock) -> AsyncIterator[TestClient]:
    """The whole Slack app over HTTP on the embedded store, then on a real Redis: the
    same script must give the same figures on both."""
    overrides = {"redis_url": request.getfixturevalue("redis_url")} if request.param == "redis" else {}
    app = create_app(slack_settings(fake_slack, **overrides), catalog=catalog, clock=clock, strict_texts=True)
    client = TestClient(TestServer(app))
    await client.start_server()
    yield client
    await client.close()


async def test_a_scripted_week_shows_in_stats_for_7_and_30_days(either_store_client, fake_slack, clock, caplog):
    slack_client = either_store_client
    caplog.set_level(logging.INFO)
    await scripted_week(slack_client, fake_slack, clock)

    body = await member_says(slack_client, "stats")
    assert_valid_blocks(body)
    text = plain(body)
    assert "Usage, last 7 days" in text
    assert "Questions asked\\n4" in text
    assert "Acme Logistics B.V.: asked 3" in text and "Globex Media SAS: asked 1" in text
    assert "escalated within an hour 67%" in text  # Acme: 2 of its 3 questions were followed by an escalation
    assert "Raised: 1 (open 0, acknowledged 0, resolved 1)" in text
    assert "acknowledged in 10 min (median), 1 of 1 within the reminder interval; resolved in 2 h 10 (median), 0 of 1 within that interval." in text
    assert "Invoices and payments 1" in text and "Shipping and loading 1" in text
    assert "Not sure\\n1 (25%)" in text

    # A week later, the Thursday is out of the last 7 days but still in the last 30.
    clock.advance(days=4)
    text = plain(await member_says(slack_client, "stats"))
    assert "Acme Logistics B.V.: asked 1" in text and "Globex" not in text
    text = plain(await member_says(slack_client, "stats 30"))
    assert "Acme Logistics B.V.: asked 3" in text and "Globex Media SAS: asked 1" in text

    # Nothing of what customers typed reaches the logs or the metrics; the PIN nowhere at all.
    metrics = await (await slack_client.get("/metrics")).text()
    assert 'bot_questions_total{outcome="not_sure"} 1.0' in metrics
    assert 'bot_question_topics_total{topic="invoices"} 1.0' in metrics
    assert 'bot_escalation_acknowledge_seconds_count{urgency="urgent"} 1.0' in metrics
    assert 'bot_escalation_resolve_seconds_sum{urgency="urgent"} 7800.0' in metrics
    assert "zorglub" not in metrics and not typed_pin(metrics)  # timestamps there may hold the digits
    assert "zorglub" not in caplog.text and not typed_pin(caplog.text)
    assert not typed_pin(json.dumps([c.args for c in fake_slack.calls], ensure_ascii=False))


async def test_stats_are_for_members_and_never_in_a_customer_channel(slack_client, fake_slack):
    await ask(slack_client, ODD)
    refused = await ask(slack_client, "stats")
    assert "Only members" in json.dumps(refused)
    for channel in ("C0DEMO00001", "C0UNLINKED1"):  # a customer's channel, a channel linked to no one
        elsewhere = await member_says(slack_client, "stats", channel=channel)
        assert "direct message" in json.dumps(elsewhere) and "zorglub" not in json.dumps(elsewhere)
    in_a_dm = await member_says(slack_client, "stats", channel="D0IRIS")
    assert "Usage, last 7 days" in json.dumps(in_a_dm)


async def test_teaching_a_not_sure_question_routes_it_from_then_on(slack_client, fake_slack):
    before = texts_of((await ask(slack_client, ODD))["blocks"])
    assert "Network products" not in before

    await member_says(slack_client, "stats")  # the samples button is on the stats card
    body = await member_says(slack_client, "stats")
    samples = button(body["blocks"], "ins.samples")
    await post_signed(slack_client, interaction_body(press(samples["action_id"], samples["value"], user=MEMBER,
                                                           channel=TEAM_CHANNEL, response_url=fake_slack.response_url("s"))))
    [listing] = await fake_slack.wait_for("response_url")
    assert_valid_blocks(listing.args)
    shown = texts_of(listing.args["blocks"])
    assert "zorglub" in shown and "####" in shown and PIN not in shown

    teach = button(listing.args["blocks"], "ins.teach")
    await post_signed(slack_client, interaction_body(press(teach["action_id"], teach["value"], user=MEMBER,
                                                           channel=TEAM_CHANNEL, response_url=fake_slack.response_url("t"))))
    [opened] = await fake_slack.wait_for("views.open")
    view = opened.args["view"]
    assert_valid_view(view)
    await post_signed(slack_client, interaction_body(submission(view, {"topic": "network_services"}, user=MEMBER)))

    after = texts_of((await ask(slack_client, ODD.replace(PIN, "7304").upper()))["blocks"])
    assert "Network products" in after and "7304" not in after

    listed = texts_of((await member_says(slack_client, "lessons"))["blocks"])
    assert "taught by Iris Onboarding on 26 November 2026" in listed
    removed = json.dumps(await member_says(slack_client, "forget lesson 1"))
    assert "Forgotten" in removed
    again = texts_of((await ask(slack_client, ODD))["blocks"])
    assert "Network products" not in again


async def test_the_members_app_home_has_a_usage_section(slack_client, fake_slack):
    await ask(slack_client, ODD)
    event = {"type": "app_home_opened", "user": MEMBER, "channel": "D0HOME", "tab": "home"}
    await post_signed(slack_client, event_body(event, event_id="EvHomeUsage"), content_type="application/json")
    [call] = await fake_slack.wait_for("views.publish")
    view = call.args["view"]
    assert_valid_view(view)
    text = json.dumps(view, ensure_ascii=False)
    assert "Usage, last 7 days" in text and "ins.stats" in text and "zorglub" in text and PIN not in text

    customer = {"type": "app_home_opened", "user": "U0CUSTOMER", "channel": "D0HOME2", "tab": "home"}
    await post_signed(slack_client, event_body(customer, event_id="EvHomeCust"), content_type="application/json")
    calls = await fake_slack.wait_for("views.publish", 2)
    assert "zorglub" not in json.dumps(calls[1].args["view"]) and "ins.stats" not in json.dumps(calls[1].args["view"])


async def test_nothing_one_account_asked_shows_in_another_accounts_conversation(slack_client, fake_slack):
    """Acme asks things the bot is not sure about (one of them then taught); nothing a
    member or a Globex customer can make the bot show in Globex's channel, nor a Globex
    customer's App Home, holds a word of them."""
    from handlers.insights.lessons import Lessons, phrase_of
    from tests.conftest import NOW

    await ask(slack_client, ODD)
    await ask(slack_client, "our frobnicator hums at night")
    await Lessons(slack_client.store).teach(phrase_of("our frobnicator hums at night"), "network_services",
                                            "Iris Onboarding", "en", NOW)
    listing = await member_says(slack_client, "stats")  # the real buttons, to press them elsewhere
    samples = button(listing["blocks"], "ins.samples")
    await post_signed(slack_client, interaction_body(press(samples["action_id"], samples["value"], user=MEMBER,
                                                           channel=TEAM_CHANNEL, response_url=fake_slack.response_url("s"))))
    [shown] = await fake_slack.wait_for("response_url")
    assert "zorglub" in texts_of(shown.args["blocks"])  # what there is to leak
    buttons = [e for b in [*listing["blocks"], *shown.args["blocks"]] if b["type"] == "actions" for e in b["elements"]]
    seen_before = len(fake_slack.calls)

    globex, customer_b = "C0DEMO00002", "U0GLOBEX1"
    said: list[object] = []
    for user in (customer_b, MEMBER):
        for text in ("stats", "stats 30", "lessons", "forget lesson 1", "help", "status", "team"):
            said.append(await ask(slack_client, text, channel=globex, user=user))
        for n, each in enumerate(buttons):
            resp = await post_signed(slack_client, interaction_body(press(
                each["action_id"], each["value"], user=user, channel=globex, response_url=fake_slack.response_url(f"b{user}{n}"))))
            assert resp.status == 200
            said.append(await resp.text())
    home = {"type": "app_home_opened", "user": customer_b, "channel": "D0HOMEB", "tab": "home"}
    await post_signed(slack_client, event_body(home, event_id="EvHomeGlobex"), content_type="application/json")
    await fake_slack.wait_for("views.publish")

    shown_to_b = json.dumps([said, [c.args for c in fake_slack.calls[seen_before:]]], ensure_ascii=False).lower()
    assert "zorglub" not in shown_to_b and "frobnicator" not in shown_to_b  # nothing of Acme's words...
    assert "only members" in shown_to_b and "direct message" in shown_to_b  # ...and the refusals were shown
