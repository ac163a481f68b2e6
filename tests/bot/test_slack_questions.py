"""Free-text questions through the Slack adapter over real HTTP: ``ask``, @mentions, DMs,
the not-sure buttons, the PIN warning and linking, signed exactly as Slack signs."""

from __future__ import annotations

import json

from tests.cards.validate import assert_valid_blocks
from tests.conftest import SIGNING_SECRET
from tests.fakes.signing import command_body, event_body, interaction_body, slack_headers


async def post_signed(client, body: str, *, content_type: str = "application/x-www-form-urlencoded"):
    headers = slack_headers(SIGNING_SECRET, body, content_type=content_type)
    return await client.post("/slack/events", data=body.encode(), headers=headers)


async def post_event(client, event: dict, event_id: str):
    return await post_signed(client, event_body(event, event_id=event_id), content_type="application/json")


def rendered(payload: dict) -> str:
    """The payload as JSON, no-break spaces (phone numbers, French) as plain spaces."""
    return json.dumps(payload, ensure_ascii=False).replace("\u00a0", " ").replace("\u202f", " ")


async def test_ask_command_answers_in_channel_with_who_and_why(slack_client):
    resp = await post_signed(slack_client, command_body("ask who handles our invoices?"))
    assert resp.status == 200
    body = await resp.json()
    assert body["response_type"] == "in_channel"
    assert_valid_blocks(body)
    text = rendered(body["blocks"])
    assert "Billing Analyst" in text and "Lotte Bakker" in text and "lotte.bakker@example.com" in text
    assert "escalate.open" in text


async def test_text_without_a_command_word_is_a_question(slack_client):
    body = await (await post_signed(slack_client, command_body("Can someone reboot our server?"))).json()
    text = rendered(body["blocks"])
    assert "Onboarding team" in text and "1 March 2027" in text  # Acme has no GSD access yet


async def test_a_mention_is_answered_in_the_channel(slack_client, fake_slack):
    event = {"type": "app_mention", "user": "U0CUSTOMER", "text": "<@U0BOT> our cross connect is down, urgent!",
             "channel": "C0DEMO00002", "ts": "5.1"}
    assert (await post_event(slack_client, event, "EvQ1")).status == 200
    [call] = await fake_slack.wait_for("chat.postMessage")
    assert call.args["channel"] == "C0DEMO00002"
    assert_valid_blocks(call.args["blocks"])
    text = rendered(call.args["blocks"])
    assert "Customer portal (ECP)" in text and "+31 20 808 0015" in text  # Globex: access open


async def test_a_direct_message_is_answered_in_the_dm(slack_client, fake_slack):
    event = {"type": "message", "channel_type": "im", "user": "U0CUSTOMER", "text": "who handles invoices?",
             "channel": "D0DM0001", "ts": "5.2"}
    await post_event(slack_client, event, "EvQ2")
    [call] = await fake_slack.wait_for("chat.postMessage")
    assert call.args["channel"] == "D0DM0001"
    text = rendered(call.args["blocks"])
    assert "Billing Analyst" in text and "not linked" in text and "Lotte" not in text


async def test_a_greeting_by_mention_gets_a_short_answer(slack_client, fake_slack):
    event = {"type": "app_mention", "user": "U0CUSTOMER", "text": "<@U0BOT> hello!", "channel": "C0DEMO00001", "ts": "5.3"}
    await post_event(slack_client, event, "EvQ3")
    [call] = await fake_slack.wait_for("chat.postMessage")
    assert "Hello!" in rendered(call.args)


async def test_a_posted_code_is_warned_about_privately_and_never_echoed(slack_client, fake_slack):
    body = await (await post_signed(slack_client, command_body("ask my pin is 4821"))).json()
    assert body["response_type"] == "ephemeral"
    assert "4821" not in rendered(body) and "4-digit" in rendered(body)
    event = {"type": "app_mention", "user": "U0CUSTOMER", "text": "<@U0BOT> my PIN code is 4821", "channel": "C0DEMO00001", "ts": "5.4"}
    await post_event(slack_client, event, "EvQ4")
    [call] = await fake_slack.wait_for("chat.postEphemeral")
    assert call.args["user"] == "U0CUSTOMER" and "4821" not in rendered(call.args)
    assert fake_slack.of("chat.postMessage") == []


async def test_not_sure_buttons_show_the_chosen_route_in_place(slack_client, fake_slack):
    body = await (await post_signed(slack_client, command_body("We want an expansion"))).json()
    assert "not sure" in body["text"]
    buttons = [el for block in body["blocks"] if block["type"] == "actions" for el in block["elements"]]
    design = next(el for el in buttons if "design" in el.get("value", ""))
    payload = {
        "type": "block_actions",
        "team": {"id": "T0DEMO"}, "user": {"id": "U0CUSTOMER", "username": "cust"},
        "channel": {"id": "C0DEMO00001"}, "container": {"type": "message", "channel_id": "C0DEMO00001", "message_ts": "5.5"},
        "response_url": fake_slack.response_url(), "trigger_id": "t",
        "actions": [{"action_id": design["action_id"], "value": design["value"], "type": "button", "action_ts": "6.0"}],
    }
    assert (await post_signed(slack_client, interaction_body(payload))).status == 200
    [call] = await fake_slack.wait_for("response_url")
    assert call.args["replace_original"] is True
    assert "Amira El Idrissi" in rendered(call.args["blocks"])


async def test_a_french_slack_user_gets_french_answers_to_english_questions(slack_client, fake_slack):
    fake_slack.locales["U0FR"] = "fr-FR"
    body = await (await post_signed(slack_client, command_body("ask who handles invoices?", user="U0FR"))).json()
    assert "Analyste de facturation" in rendered(body["blocks"])


async def test_link_is_for_the_onboarding_team_and_whoami_for_everyone(slack_client):
    refused = await (await post_signed(slack_client, command_body("link globex-media", channel="C0UNLINKED1"))).json()
    assert refused["response_type"] == "ephemeral" and "Only members" in rendered(refused)
    done = await (await post_signed(slack_client, command_body("link globex-media", channel="C0UNLINKED1", user="U0ONBOARD1"))).json()
    assert done["response_type"] == "ephemeral" and "Globex Media SAS" in rendered(done)
    whoami = await (await post_signed(slack_client, command_body("whoami", channel="C0UNLINKED1"))).json()
    assert "Globex Media SAS" in rendered(whoami) and "linked by the onboarding team" in rendered(whoami)
    team = await (await post_signed(slack_client, command_body("team", channel="C0UNLINKED1"))).json()
    assert "Camille Laurent" in rendered(team)
