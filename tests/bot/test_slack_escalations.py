"""Escalations on Slack end to end: modal, submit, team card, team buttons, requester updates."""

from __future__ import annotations

import asyncio
import json

from tests.bot.test_slack_http import post_signed, texts_of
from tests.cards.validate import assert_valid_blocks, assert_valid_view
from tests.fakes.signing import command_body, interaction_body, submission  # noqa: F401 (re-exported for other suites)
from tests.wait import eventually, quiet_for

VALUES = {"subject": "Cannot badge in", "category": "site_access", "urgency": "urgent",
          "description": "Our engineers could not enter the IBX this morning."}


def press(action_id: str, value: str, *, user: str, channel: str, response_url: str, ts: str = "9.9") -> dict:
    return {
        "type": "block_actions", "team": {"id": "T0DEMO"}, "user": {"id": user, "username": user.lower()},
        "channel": {"id": channel}, "container": {"type": "message", "channel_id": channel, "message_ts": ts},
        "response_url": response_url, "trigger_id": "trig",
        "actions": [{"action_id": action_id, "value": value, "type": "button", "action_ts": ts + "1"}],
    }


async def open_modal(client, fake) -> dict:
    resp = await post_signed(client, command_body("escalate badge"))
    assert resp.status == 200
    [call] = await fake.wait_for("views.open")
    view = call.args["view"]
    assert_valid_view(view)
    return view


async def test_whole_lifecycle_on_slack(slack_client, fake_slack):
    view = await open_modal(slack_client, fake_slack)
    assert view["blocks"][1]["element"]["initial_value"] == "badge"

    resp = await post_signed(slack_client, interaction_body(submission(view, VALUES)))
    assert resp.status == 200 and (await resp.text()) == ""
    # The confirmation goes to the customer's channel, the team card to the team's channel.
    posts = await fake_slack.wait_for("chat.postMessage", 2)
    by_channel = {c.args["channel"]: c for c in posts}
    confirmation = by_channel["C0DEMO00001"].args
    assert "ESC-000001" in confirmation["text"]
    assert "+31 20 555 0101" in texts_of(confirmation["blocks"])  # urgent: the account manager's phone for now
    team_card = by_channel["C0ONBOARD01"].args
    assert_valid_blocks(team_card)
    assert "Acme Logistics" in texts_of(team_card["blocks"])

    # A customer cannot press the team's buttons.
    ack_button = next(e for b in team_card["blocks"] if b["type"] == "actions" for e in b["elements"] if "esc.ack" in e["action_id"])
    await post_signed(slack_client, interaction_body(press(ack_button["action_id"], ack_button["value"], user="U0CUSTOMER",
                                                           channel="C0ONBOARD01", response_url=fake_slack.response_url("cust"))))
    [refusal] = await fake_slack.wait_for("response_url")
    assert refusal.args["response_type"] == "ephemeral" and "Only members" in texts_of(refusal.args["blocks"])

    # A member acknowledges: the card is replaced in place and the customer is told.
    await post_signed(slack_client, interaction_body(press(ack_button["action_id"], ack_button["value"], user="U0ONBOARD1",
                                                           channel="C0ONBOARD01", response_url=fake_slack.response_url("member"))))
    calls = await fake_slack.wait_for("response_url", 2)
    assert calls[1].args["replace_original"] is True
    assert "Being handled" in texts_of(calls[1].args["blocks"])
    posts = await fake_slack.wait_for("chat.postMessage", 3)
    assert posts[2].args["channel"] == "C0DEMO00001" and "picked up" in posts[2].args["text"]
    updates = await fake_slack.wait_for("chat.update")
    assert updates[0].args["channel"] == "C0ONBOARD01"

    # status shows it, with its history.
    body = await (await post_signed(slack_client, command_body("status ESC-000001"))).json()
    assert "Iris Onboarding acknowledged" in texts_of(body["blocks"])


async def test_invalid_form_answers_errors_in_the_modal(slack_client, fake_slack):
    view = await open_modal(slack_client, fake_slack)
    resp = await post_signed(slack_client, interaction_body(submission(view, {"subject": "x"})))
    body = await resp.json()
    assert body["response_action"] == "errors"
    assert set(body["errors"]) == {"subject", "category", "urgency", "description"}


async def test_double_submitted_modal_creates_one_escalation(slack_client, fake_slack):
    view = await open_modal(slack_client, fake_slack)
    payload = interaction_body(submission(view, VALUES))
    await asyncio.gather(post_signed(slack_client, payload), post_signed(slack_client, payload))
    await fake_slack.wait_for("chat.postMessage", 3)
    await quiet_for(0.3)  # a second escalation's team card would follow the first within moments
    team_posts = [c for c in fake_slack.of("chat.postMessage") if c.args["channel"] == "C0ONBOARD01"]
    assert len(team_posts) == 1
    # Both requests overlapped: the one that lost the race may have taken a number it
    # then did not use, but only one record exists.
    last = int(await slack_client.store.get("seq:esc") or 0)
    stored = [n for n in range(1, last + 1) if await slack_client.store.get(f"esc:ESC-{n:06d}") is not None]
    assert len(stored) == 1, stored


async def test_message_shortcut_prefills_the_form(slack_client, fake_slack):
    payload = {
        "type": "message_action", "callback_id": "escalate_message", "trigger_id": "t1",
        "team": {"id": "T0DEMO"}, "user": {"id": "U0CUSTOMER"}, "channel": {"id": "C0DEMO00001"},
        "message": {"text": "The cross-connect is down", "ts": "1700.1"}, "response_url": fake_slack.response_url(),
    }
    await post_signed(slack_client, interaction_body(payload))
    [call] = await fake_slack.wait_for("views.open")
    description = next(b for b in call.args["view"]["blocks"] if b.get("block_id") == "description")
    assert "The cross-connect is down" in description["element"]["initial_value"]
    assert "archives/C0DEMO00001" in description["element"]["initial_value"]


async def test_team_card_is_retried_when_slack_fails(slack_client, fake_slack, clock):
    from tests.fakes.slack_api import Failure

    fake_slack.fail("chat.postMessage", Failure(status=500, channel="C0ONBOARD01"))
    view = await open_modal(slack_client, fake_slack)
    await post_signed(slack_client, interaction_body(submission(view, VALUES)))
    from bot.app import RUNNING

    deliverer = slack_client.app[RUNNING].deliverer
    await fake_slack.wait_for("chat.postMessage", 2)
    # Move past the backoff and run a pass.
    clock.advance(seconds=5)
    await deliverer.run_once()
    team_posts = [c for c in fake_slack.of("chat.postMessage") if c.args["channel"] == "C0ONBOARD01"]
    assert len(team_posts) == 2  # the failed try and the successful retry
    assert await deliverer.outbox.pending_count() == 0


async def test_app_home_for_a_member_lists_open_escalations(slack_client, fake_slack):
    view = await open_modal(slack_client, fake_slack)
    await post_signed(slack_client, interaction_body(submission(view, VALUES)))
    await fake_slack.wait_for("chat.postMessage", 2)
    from tests.fakes.signing import event_body

    event = {"type": "app_home_opened", "user": "U0ONBOARD1", "channel": "D0HOME", "tab": "home"}
    await post_signed(slack_client, event_body(event, event_id="EvHome"), content_type="application/json")
    [call] = await fake_slack.wait_for("views.publish")
    assert_valid_view(call.args["view"])
    assert "ESC-000001" in json.dumps(call.args["view"])


async def test_the_confirmation_is_retried_when_slack_blips(slack_client, fake_slack):
    from tests.fakes.slack_api import Failure

    fake_slack.fail("chat.postMessage", Failure(status=500, channel="C0DEMO00001"), Failure(status=429, retry_after=0, channel="C0DEMO00001"))
    view = await open_modal(slack_client, fake_slack)
    await post_signed(slack_client, interaction_body(submission(view, VALUES)))
    def confirmations_():
        return [c for c in fake_slack.of("chat.postMessage") if c.args["channel"] == "C0DEMO00001"]

    await eventually(lambda: len(confirmations_()) == 3, timeout=5)
    confirmations = confirmations_()
    assert len(confirmations) == 3  # two refused tries, then the one Slack accepted
    assert "ESC-000001" in confirmations[-1].args["text"]
