"""The onboarding team's figures on Teams: ``stats`` in a member's personal chat, a polite
refusal for customers, customers' questions counted (and those followed by an escalation
within the hour), the weekly digest in the team's channel with its teaching button, and
nothing of one account's questions in another's conversation, through /api/messages
with real tokens and the fake Bot Connector."""

from __future__ import annotations

import re

import pytest
from aiohttp.test_utils import TestClient, TestServer

from bot.app import RUNNING, create_app
from bot.stores.memory import MemoryStore
from tests.bot.test_teams_http import rendered, reply_to
from tests.cards.validate import assert_valid_adaptive
from tests.fakes.botframework import DEMO_CHANNEL, ONBOARDING_CHANNEL, card_action, channel_message, personal_message
from tests.fixtures_teams import (  # noqa: F401 - fixtures
    botframework,
    make_teams_client,
    post_activity,
    settle,
    team_on_fake,
    teams_client,
    teams_settings,
)

MEMBER_AAD = "6f1c2a7e-0000-4000-8000-00000000a001"
PIN = "5518"


async def test_a_member_reads_stats_in_a_personal_chat_and_a_customer_is_refused(teams_client):  # noqa: F811
    fake = teams_client.fake
    await reply_to(teams_client, channel_message(fake, "<at>AM11 Onboarding</at> who handles our invoices?"))
    await reply_to(teams_client, channel_message(fake, f"<at>AM11 Onboarding</at> my zorglub wobbles, code {PIN}"))

    member = personal_message(fake, "stats", user="29:iris", aad=MEMBER_AAD, conversation="a:1personal-iris")
    call = await reply_to(teams_client, member)
    card = rendered(call.card)
    assert "Usage, last 7 days" in card and "Acme Logistics B.V." in card and "asked 2" in card
    assert "Invoices and payments 1" in card

    samples = personal_message(fake, "stats 30", user="29:iris", aad=MEMBER_AAD, conversation="a:1personal-iris")
    assert "Usage, last 30 days" in rendered((await reply_to(teams_client, samples)).card)

    customer = await reply_to(teams_client, personal_message(fake, "stats"))
    assert "Only members" in rendered(customer.body) and "Acme" not in rendered(customer.body)

    in_customer_channel = await reply_to(
        teams_client, channel_message(fake, "<at>AM11 Onboarding</at> stats", user="29:iris", aad=MEMBER_AAD))
    assert "direct message" in rendered(in_customer_channel.body) and "zorglub" not in rendered(in_customer_channel.body)
    assert re.search(rf"(?<![\d.]){PIN}(?!\d)", rendered([c.body for c in fake.calls])) is None


async def test_a_member_teaches_a_question_from_teams_and_customers_get_the_topic(teams_client):  # noqa: F811
    from handlers.insights.samples import Samples
    from tests.conftest import NOW
    from tests.fakes.botframework import card_action
    from tests.fixtures_teams import post_activity

    fake = teams_client.fake
    question = f"<at>AM11 Onboarding</at> my zorglub wobbles, code {PIN}"
    assert "Network products" not in rendered((await reply_to(teams_client, channel_message(fake, question))).card)
    [sample] = await Samples(teams_client.store, 30).recent(NOW)
    member = {"conversation": "a:1personal-iris", "kind": "personal", "user": "29:iris", "aad": MEMBER_AAD}

    opened = await (await post_activity(teams_client, card_action(fake, "ins.teach", {"sample": sample.id}, **member))).json()
    form = rendered(opened["value"])
    assert "my zorglub wobbles, code ####" in form and PIN not in form and '"verb": "ins.teach.submit"' in form

    refused = await post_activity(teams_client, card_action(fake, "ins.teach.submit", {"sample": sample.id, "topic": "network_services"}))
    assert "Only members" in rendered(await refused.json())
    done = await (await post_activity(teams_client, card_action(
        fake, "ins.teach.submit", {"sample": sample.id, "topic": "network_services"}, **member))).json()
    assert "from now on" in rendered(done)

    answered = await reply_to(teams_client, channel_message(fake, question.replace(PIN, "9012")))
    assert "Network products" in rendered(answered.card)


# ------------------------------------------------ the digest in the team's Teams channel

def _actions(card: dict, verb: str) -> list[dict]:
    """Every Action.Execute with ``verb`` anywhere in an Adaptive Card."""
    found: list[dict] = []

    def walk(node: object) -> None:
        if isinstance(node, dict):
            if node.get("type") == "Action.Execute" and node.get("verb") == verb:
                found.append(node)
            for value in node.values():
                walk(value)
        elif isinstance(node, list):
            for value in node:
                walk(value)

    walk(card)
    return found


@pytest.fixture
async def digest_client(botframework, catalog, clock):  # noqa: F811
    """Teams only, the team's channel on the fake connector, a Monday 09:00 digest, and a
    delivery loop the test runs by hand."""
    from tests.bot.test_insights_replicas import with_digest

    app = create_app(teams_settings(botframework), catalog=with_digest(team_on_fake(catalog, botframework)),
                     store=MemoryStore(), clock=clock, strict_texts=True, run_delivery=False)
    client = TestClient(TestServer(app))
    await client.start_server()
    client.fake = botframework  # type: ignore[attr-defined]
    client.invoke_cards = []  # type: ignore[attr-defined]
    yield client
    await settle(client)
    await client.close()
    for call in botframework.calls:
        for card in call.cards:
            assert_valid_adaptive(card)
    for card in client.invoke_cards:  # type: ignore[attr-defined]
        assert_valid_adaptive(card)


async def test_the_weekly_digest_reaches_the_teams_channel_once_and_teaches_from_there(digest_client, clock):
    from tests.bot.test_insights_replicas import MONDAY_9_05_AMSTERDAM

    client, fake = digest_client, digest_client.fake
    await reply_to(client, channel_message(fake, f"<at>AM11 Onboarding</at> my zorglub wobbles, code {PIN}"))
    deliverer = client.app[RUNNING].deliverer
    await deliverer.run_once()  # Thursday: no digest due
    assert not [c for c in fake.calls if c.conversation == ONBOARDING_CHANNEL]

    clock.now = MONDAY_9_05_AMSTERDAM
    for _ in range(3):
        await deliverer.run_once()
    [post] = [c for c in await fake.wait_for("send") if c.conversation == ONBOARDING_CHANNEL]
    card = post.card
    assert_valid_adaptive(card)
    text = rendered(card).replace("\u00a0", " ")
    assert "Weekly digest, 30 November 2026" in text and "my zorglub wobbles, code ####" in text
    assert not re.search(rf"(?<![\d.]){PIN}(?!\d)", text)
    [teach] = _actions(card, "ins.teach")

    clock.advance(days=1)  # the same week: nothing more
    await deliverer.run_once()
    assert len([c for c in fake.calls if c.conversation == ONBOARDING_CHANNEL]) == 1

    # A member presses "This belongs to..." in the team's channel: the teaching form opens.
    member = {"conversation": f"{ONBOARDING_CHANNEL};messageid={post.activity_id}", "user": "29:iris", "aad": MEMBER_AAD}
    opened = await post_activity(client, card_action(fake, "ins.teach", teach["data"], **member))
    assert opened.status == 200
    form = rendered(await opened.json())
    assert '"verb": "ins.teach.submit"' in form and "my zorglub wobbles, code ####" in form

    # A customer who presses it (in the team's channel or with the data copied into their own) is refused.
    for where in (ONBOARDING_CHANNEL, DEMO_CHANNEL):
        refused = await post_activity(client, card_action(fake, "ins.teach", teach["data"], conversation=where))
        body = rendered(await refused.json())
        assert "Only members" in body and "zorglub" not in body

    # The member picks the topic in the form, in the team's channel: customers get it from then on.
    done = await post_activity(client, card_action(fake, "ins.teach.submit", {**teach["data"], "topic": "network_services"}, **member))
    assert "from now on" in rendered(await done.json())
    before = len(fake.calls)
    await post_activity(client, channel_message(fake, "<at>AM11 Onboarding</at> my zorglub wobbles, code 1234"))
    await settle(client)
    [answer] = [c for c in fake.calls[before:] if c.conversation != ONBOARDING_CHANNEL]
    assert "Network products" in rendered(answer.card)

    clock.advance(days=6)  # the next Monday, 09:05: the next week's digest, once
    for _ in range(2):
        await deliverer.run_once()
    posts = [c for c in await fake.wait_for("send", 2) if c.conversation == ONBOARDING_CHANNEL]
    assert len(posts) == 2 and "7 December 2026" in rendered(posts[1].card).replace("\u00a0", " ")


# ------------------------------------------- questions followed by a Teams escalation

async def test_a_teams_escalation_within_the_hour_counts_its_questions_once(make_teams_client, botframework, catalog, clock):  # noqa: F811
    from handlers.insights.counts import count_key
    from tests.bot.test_slack_escalations import VALUES
    from tests.conftest import NOW

    client = await make_teams_client(catalog_override=team_on_fake(catalog, botframework))
    fake = client.fake
    in_thread = {"conversation": f"{DEMO_CHANNEL};messageid=1700000000001"}  # a form under a channel post

    async def escalated() -> str | None:
        return await client.store.get(count_key(NOW.date(), "acme-logistics", "escalated"))

    async def submit(**changes: str) -> str:
        resp = await post_activity(client, card_action(fake, "escalation.submit", {**VALUES, **changes}, **in_thread))
        assert resp.status == 200
        await settle(client)
        return rendered(await resp.json())

    async def answer(activity: dict) -> dict:
        """The bot's answer in the conversation (team cards and reminders go elsewhere meanwhile)."""
        before = len(fake.calls)
        assert (await post_activity(client, activity)).status == 200
        await settle(client)
        [call] = [c for c in fake.calls[before:] if c.conversation != ONBOARDING_CHANNEL]
        return call.card

    await answer(channel_message(fake, "<at>AM11 Onboarding</at> who handles our invoices?"))
    clock.advance(minutes=59)
    assert "ESC-000001" in await submit()
    assert await escalated() == "1"
    assert "ESC-000001" in await submit()  # the same form sent again: the same escalation, not counted again
    assert await escalated() == "1"

    await answer(channel_message(fake, "<at>AM11 Onboarding</at> who handles our invoices?"))
    clock.advance(hours=1, seconds=1)
    assert "ESC-000002" in await submit(subject="Another badge problem")  # the question is over an hour old
    assert await escalated() == "1"

    card = rendered(await answer(personal_message(fake, "stats", user="29:iris", aad=MEMBER_AAD, conversation="a:1personal-iris")))
    card = card.replace("**", "")
    assert "Acme Logistics B.V.: asked 2" in card and "escalated within an hour 50%" in card


# ------------------------------------------------- nothing of one account in another's

async def test_nothing_one_account_asked_shows_in_another_accounts_teams_conversation(teams_client):  # noqa: F811
    """Acme asks things the bot is not sure about (one then taught); nothing a member or a
    Globex customer can make the bot show in Globex's channel or a customer's personal
    chat, typed or pressed (buttons copied from a member's card), holds a word of them."""
    from handlers.insights.lessons import Lessons, phrase_of
    from handlers.insights.samples import Samples
    from tests.conftest import NOW

    fake, client = teams_client.fake, teams_client
    await reply_to(client, channel_message(fake, f"<at>AM11 Onboarding</at> my zorglub wobbles, code {PIN}"))
    await reply_to(client, channel_message(fake, "<at>AM11 Onboarding</at> our frobnicator hums at night"))
    await Lessons(client.store).teach(phrase_of("our frobnicator hums at night"), "network_services", "Iris Onboarding", "en", NOW)
    [sample] = [s for s in await Samples(client.store, 30).recent(NOW) if "zorglub" in s.text]
    member_chat = {"user": "29:iris", "aad": MEMBER_AAD, "conversation": "a:1personal-iris"}
    listing = rendered((await reply_to(client, personal_message(fake, "stats", **member_chat))).card)
    assert "ins.samples" in listing  # the member's own card, whose buttons are pressed elsewhere below
    presses = [("ins.stats", {"days": "30", "replace": "1"}), ("ins.samples", {}), ("ins.lessons", {}),
               ("ins.teach", {"sample": sample.id}), ("ins.teach.submit", {"sample": sample.id, "topic": "network_services"})]

    globex = "19:demo-globex@thread.tacv2"
    people = {"customer": {"user": "29:customer-gina", "aad": "aad-gina"}, "member": {"user": "29:iris", "aad": MEMBER_AAD}}
    before = len(fake.calls)
    shown: list[object] = []
    for who in people.values():
        for text in ("stats", "stats 30", "lessons", "forget lesson 1", "help", "status"):
            resp = await post_activity(client, channel_message(fake, f"<at>AM11 Onboarding</at> {text}", conversation=globex, **who))
            assert resp.status == 200
        for verb, data in presses:
            resp = await post_activity(client, card_action(fake, verb, data, conversation=globex, **who))
            assert resp.status == 200
            shown.append(await resp.text())
    for text in ("stats", "lessons"):  # a customer's personal chat
        await post_activity(client, personal_message(fake, text, user="29:customer-gina", aad="aad-gina",
                                                     conversation="a:1personal-gina"))
    await settle(client)

    to_b = rendered([shown, [c.body for c in fake.calls[before:]]]).lower()
    assert "zorglub" not in to_b and "frobnicator" not in to_b  # nothing of Acme's words...
    assert "only members" in to_b and "direct message" in to_b  # ...and the refusals were shown
    assert await Lessons(client.store).find(phrase_of("my zorglub wobbles, code 1111")) is None  # nothing taught from there
