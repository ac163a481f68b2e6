"""``status`` on Teams: the onboarding team follows every account, a customer their own."""

from __future__ import annotations

import json

from tests.bot.test_slack_escalations import VALUES
from tests.fakes.botframework import DEMO_CHANNEL, ONBOARDING_CHANNEL, card_action, channel_message, personal_message
from tests.fixtures_teams import botframework, make_teams_client, post_activity, settle, team_on_fake  # noqa: F401 - fixtures

MEMBER = "6f1c2a7e-0000-4000-8000-00000000a001"


async def _said(client, activity) -> str:
    fake = client.fake
    before = len(fake.calls)
    resp = await post_activity(client, activity)
    assert resp.status == 200, await resp.text()
    await settle(client)
    [call] = fake.calls[before:]
    return json.dumps(call.body, ensure_ascii=False)


def _member_in_team_channel(fake, text: str):
    return channel_message(fake, f"<at>AM11 Onboarding</at> {text}", conversation=ONBOARDING_CHANNEL, user="29:iris", aad=MEMBER)


def _member_in_personal_chat(fake, text: str):
    return personal_message(fake, text, user="29:iris", aad=MEMBER, conversation="a:1personal-iris")


async def test_a_member_with_nothing_open_is_told_so_not_to_escalate(make_teams_client):
    teams_client = await make_teams_client()
    fake = teams_client.fake
    for activity in (_member_in_team_channel(fake, "status"), _member_in_personal_chat(fake, "status")):
        said = await _said(teams_client, activity)
        assert "No open requests" in said
        assert "no requests from this account" not in said and "escalate" not in said


async def test_a_member_sees_every_accounts_open_requests_and_a_customer_their_own(make_teams_client, botframework, catalog):  # noqa: F811
    teams_client = await make_teams_client(catalog_override=team_on_fake(catalog, botframework))
    fake = teams_client.fake
    before = await _said(teams_client, channel_message(fake, "<at>AM11 Onboarding</at> status"))
    assert "There are no requests from this account yet" in before  # the customer's view

    resp = await post_activity(teams_client, card_action(fake, "escalation.submit", VALUES, conversation=DEMO_CHANNEL))
    assert resp.status == 200 and "ESC-000001" in await resp.text()
    await settle(teams_client)
    await fake.wait_for("send", count=1)  # the team card, posted by the delivery loop

    for activity in (_member_in_team_channel(fake, "status"), _member_in_personal_chat(fake, "statut")):
        said = await _said(teams_client, activity)
        assert "Open requests" in said and "ESC-000001" in said and VALUES["subject"] in said

    customer = await _said(teams_client, channel_message(fake, "<at>AM11 Onboarding</at> status"))
    assert "Requests from Acme Logistics" in customer and "ESC-000001" in customer
