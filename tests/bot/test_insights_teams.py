"""The onboarding team's figures on Teams: ``stats`` in a member's personal chat, a polite
refusal for customers, and customers' questions counted, through /api/messages with
real tokens."""

from __future__ import annotations

import re

from tests.bot.test_teams_http import rendered, reply_to
from tests.fakes.botframework import channel_message, personal_message
from tests.fixtures_teams import botframework, teams_client  # noqa: F401 - fixtures

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
