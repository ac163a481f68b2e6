"""A customer's Slack App Home, through signed HTTP and the fake Slack API: it speaks of
their account once they use the bot in their company's channel, tells an unknown user
how to reach the bot (never "this conversation is not linked"), and every button on it
answers without an error."""

from __future__ import annotations

import json

from tests.bot.test_slack_http import post_signed
from tests.cards.validate import assert_valid_view
from tests.fakes.signing import command_body, event_body, interaction_body

ERRORS = ("not linked", "n'est liée", "older version", "went wrong", "Only members")


async def open_home(client, fake, user: str, event_id: str) -> dict:
    before = len(fake.of("views.publish"))
    event = {"type": "app_home_opened", "user": user, "channel": "D0HOME", "tab": "home"}
    resp = await post_signed(client, event_body(event, event_id=event_id), content_type="application/json")
    assert resp.status == 200
    calls = await fake.wait_for("views.publish", before + 1)
    view = calls[-1].args["view"]
    assert_valid_view(view)
    return view


def buttons_of(view: dict) -> list[dict]:
    return [e for b in view["blocks"] if b["type"] == "actions" for e in b["elements"] if "value" in e]


def press_on_home(user: str, button: dict, n: int) -> dict:
    return {
        "type": "block_actions", "team": {"id": "T0DEMO"}, "user": {"id": user, "username": "cust"},
        "container": {"type": "view", "view_id": "VHOME"}, "view": {"id": "VHOME", "type": "home"},
        "trigger_id": f"trig-{n}", "actions": [{**button, "action_ts": f"{n}.1"}],
    }


async def press_every_button(client, fake, user: str, view: dict) -> None:
    for n, button in enumerate(buttons_of(view)):
        posts = len(fake.of("chat.postMessage"))
        opened = len(fake.of("views.open"))
        publishes = len(fake.of("views.publish"))
        resp = await post_signed(client, interaction_body(press_on_home(user, button, n)))
        assert resp.status == 200
        if json.loads(button["value"])["a"] == "escalate.open":
            await fake.wait_for("views.open", opened + 1)  # the form opens over the home
            continue
        await fake.wait_for("views.publish", publishes + 1)  # the home is refreshed after every other press
        answers = fake.of("chat.postMessage")[posts:]
        assert answers or len(fake.of("views.open")) > opened, f"{button['text']['text']}: no answer"
        for call in answers:
            text = json.dumps(call.args, ensure_ascii=False)
            assert call.args["channel"] == user
            assert not any(e in text for e in ERRORS), f"{button['text']['text']}: {text[:300]}"


async def test_a_customer_who_used_the_bot_in_their_channel_sees_their_account(slack_client, fake_slack):
    resp = await post_signed(slack_client, command_body("help", user="U0ACMEUSER"))
    assert resp.status == 200
    view = await open_home(slack_client, fake_slack, "U0ACMEUSER", "EvHomeAcme")
    text = json.dumps(view, ensure_ascii=False).replace("\u00a0", " ")
    assert "Acme Logistics B.V." in text and "Sanne de Vries" in text and "1 March 2027" in text
    assert "my advice is to contact your Account Manager" in text
    assert not any(e in text for e in ERRORS)
    await press_every_button(slack_client, fake_slack, "U0ACMEUSER", view)


async def test_an_unknown_user_is_told_how_to_reach_the_bot(slack_client, fake_slack):
    view = await open_home(slack_client, fake_slack, "U0STRANGER", "EvHomeStranger")
    text = json.dumps(view, ensure_ascii=False)
    assert "/equinix help" in text and "channel" in text
    assert not any(e in text for e in ERRORS) and "Sanne" not in text
    actions = {json.loads(b["value"])["a"] for b in buttons_of(view)}
    assert "team.show" not in actions and "escalate.open" not in actions
    await press_every_button(slack_client, fake_slack, "U0STRANGER", view)
