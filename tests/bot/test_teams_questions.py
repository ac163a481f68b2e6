"""Questions, linking and status on Teams, through /api/messages with real tokens."""

from __future__ import annotations

from tests.bot.test_teams_http import rendered, reply_to
from tests.fakes.botframework import channel_message, personal_message
from tests.fixtures_teams import botframework, teams_client  # noqa: F401 - fixtures

MEMBER_AAD = "6f1c2a7e-0000-4000-8000-00000000a001"


async def test_a_mentioned_question_names_the_billing_analyst(teams_client):  # noqa: F811
    call = await reply_to(teams_client, channel_message(teams_client.fake, "<at>AM11 Onboarding</at> who handles our invoices?"))
    card = rendered(call.card)
    assert "Billing Analyst" in card and "Lotte Bakker" in card


async def test_a_french_question_in_a_personal_chat_gets_a_french_answer(teams_client):  # noqa: F811
    # No locale from Teams: the question's own language decides (a personal chat is linked
    # to no account, so the answer names the role, not a person).
    activity = personal_message(teams_client.fake, "qui contacter pour une nouvelle baie ?", locale=None)
    call = await reply_to(teams_client, activity)
    card = rendered(call.card if call.cards else call.body)
    assert "gestionnaire de compte" in card.lower()


async def test_a_member_links_a_teams_conversation_and_whoami_shows_it(teams_client):  # noqa: F811
    fake = teams_client.fake
    conversation = "19:new-customer@thread.tacv2"
    call = await reply_to(teams_client, channel_message(fake, "<at>AM11 Onboarding</at> whoami", conversation=conversation))
    assert "not linked" in rendered(call.body)
    call = await reply_to(teams_client, channel_message(fake, "<at>AM11 Onboarding</at> link globex-media", conversation=conversation,
                                                         aad=MEMBER_AAD, user="29:iris"))
    assert "Globex" in rendered(call.body)
    call = await reply_to(teams_client, channel_message(fake, "<at>AM11 Onboarding</at> team", conversation=conversation))
    assert "Camille Laurent" in rendered(call.card)
    refused = await reply_to(teams_client, channel_message(fake, "<at>AM11 Onboarding</at> unlink", conversation=conversation))
    assert "Only members" in rendered(refused.body)
