"""Slack payloads in the shapes Slack really sends (tests/payloads/slack, origins in its
README), through real HTTP with Slack's signature."""

from __future__ import annotations

import json
import logging
from typing import Any

import pytest

from bot.app import BACKGROUND
from tests.bot.test_slack_escalations import VALUES, open_modal
from tests.bot.test_slack_http import post_signed, texts_of
from tests.cards.validate import assert_valid_blocks
from tests.fakes.signing import event_body, interaction_body, submission
from tests.payloads import load

ORG_USER = "W111"
ORG_TEAM = "T_expected"  # the user's own workspace in an org-wide install
CHANNEL = "C0DEMO00001"


def _lang_button(fake_slack: Any) -> dict[str, Any]:
    """The org-wide ``block_actions`` sample, pressing our "Français" button in the demo channel."""
    payload = load("slack/block_actions_org_wide.json")
    payload["channel"] = {"id": CHANNEL, "name": "acme-onboarding"}
    payload["container"]["channel_id"] = CHANNEL
    payload["response_url"] = fake_slack.response_url()
    payload["actions"][0].update({"action_id": "ob:lang.set:0", "value": json.dumps({"a": "lang.set", "d": {"lang": "fr"}})})
    return payload


async def _choose_french(client: Any, fake_slack: Any) -> None:
    resp = await post_signed(client, interaction_body(_lang_button(fake_slack)))
    assert resp.status == 200
    [call] = await fake_slack.wait_for("response_url")
    assert "français" in json.dumps(call.args, ensure_ascii=False).lower()


async def test_an_org_wide_modal_submission_keeps_the_users_language(slack_client, fake_slack):
    await _choose_french(slack_client, fake_slack)
    view = await open_modal(slack_client, fake_slack)
    payload = load("slack/view_submission_org_wide.json")
    assert payload["team"] is None
    payload["user"]["team_id"] = ORG_TEAM  # the same person who pressed the button
    payload["view"] = submission(view, VALUES, user=ORG_USER)["view"]
    resp = await post_signed(slack_client, interaction_body(payload))
    assert resp.status == 200
    posted = await fake_slack.wait_for("chat.postMessage")
    confirmation = [c for c in posted if c.args["channel"] == CHANNEL]
    assert confirmation and "Envoyée à l'équipe d'intégration" in texts_of(confirmation[0].args["blocks"])


async def test_an_org_wide_message_shortcut_keeps_the_users_language(slack_client, fake_slack):
    await _choose_french(slack_client, fake_slack)
    payload = load("slack/message_action.json")
    payload["team"] = None  # as an org-wide install sends it
    payload["user"]["team_id"] = ORG_TEAM
    payload.update({"callback_id": "escalate_message", "channel": {"id": CHANNEL, "name": "acme-onboarding"},
                    "response_url": fake_slack.response_url()})
    resp = await post_signed(slack_client, interaction_body(payload))
    assert resp.status == 200
    [call] = await fake_slack.wait_for("views.open")
    assert "Équipe d'intégration" in json.dumps(call.args["view"], ensure_ascii=False)


# ------------------------------------------------------------------ direct messages


def _dm(sample: str, text: str, **changes: Any) -> str:
    """A bolt-python sample message event, moved into a DM with the bot."""
    payload = load(sample)
    event = payload["event"]
    event.update({"channel": "D0DM0001", "channel_type": "im", "user": "U0CUSTOMER", "text": text, **changes})
    payload["team_id"] = "T0DEMO"
    return json.dumps(payload)


@pytest.mark.parametrize("sample", ["slack/message_file_share.json", "slack/message_thread_broadcast.json"])
async def test_a_dm_whose_subtype_carries_the_users_text_is_answered(slack_client, fake_slack, sample):
    resp = await post_signed(slack_client, _dm(sample, "gsd"), content_type="application/json")
    assert resp.status == 200
    [call] = await fake_slack.wait_for("chat.postMessage")
    assert call.args["channel"] == "D0DM0001" and "808 0015" in texts_of(call.args["blocks"])


@pytest.mark.parametrize(
    "changes",
    [{"subtype": "message_changed"}, {"subtype": "message_deleted"}, {"subtype": "bot_message", "bot_id": "B0OTHER"},
     {"subtype": "channel_join"}, {"user": "U0BOT"}, {"bot_id": "B0BOT"}],
    ids=["edited", "deleted", "bot-message", "join", "own-user", "own-bot"],
)
async def test_dm_events_that_are_not_someone_writing_get_no_answer(slack_client, fake_slack, changes):
    # The bot's own user id comes from auth.test: a first request makes sure it is known.
    await post_signed(slack_client, _dm("slack/message_file_share.json", "help"), content_type="application/json")
    await fake_slack.wait_for("chat.postMessage")
    before = len(fake_slack.of("chat.postMessage"))
    body = json.loads(_dm("slack/message_file_share.json", "gsd", **changes))
    body["event_id"] = "Ev-ignored"
    resp = await post_signed(slack_client, json.dumps(body), content_type="application/json")
    assert resp.status == 200
    await slack_client.app[BACKGROUND].drain()
    assert len(fake_slack.of("chat.postMessage")) == before


# ------------------------------------------------------ events ignored on purpose


@pytest.mark.parametrize("event", [{"type": "app_uninstalled"}, {"type": "tokens_revoked", "tokens": {"oauth": ["W111"], "bot": ["W222"]}},
                                   {"type": "member_joined_channel", "user": "U0NEW", "channel": CHANNEL}],
                         ids=["app_uninstalled", "tokens_revoked", "member_joined_channel"])
async def test_events_ignored_on_purpose_log_no_unhandled_request_warning(slack_client, fake_slack, caplog, event):
    caplog.set_level(logging.INFO)
    resp = await post_signed(slack_client, event_body(event, event_id=f"Ev-{event['type']}"), content_type="application/json")
    assert resp.status == 200
    assert "Unhandled request" not in caplog.text


async def test_app_rate_limited_is_acknowledged_and_logged_not_unhandled(slack_client, caplog):
    caplog.set_level(logging.INFO)
    body = json.dumps({"token": "unused", "type": "app_rate_limited", "team_id": "T0DEMO", "minute_rate_limited": 1518467820,
                       "api_app_id": "A0APP"})
    resp = await post_signed(slack_client, body, content_type="application/json")
    assert resp.status == 200
    assert "Unhandled request" not in caplog.text
    assert "rate limiting this app's events" in caplog.text


async def test_an_unexpected_event_still_warns(slack_client, caplog):
    """The warning keeps its meaning: an event nobody listens to is still reported."""
    caplog.set_level(logging.INFO)
    resp = await post_signed(slack_client, event_body({"type": "reaction_added", "user": "U0X"}, event_id="Ev-react"),
                             content_type="application/json")
    assert resp.status == 200
    assert "Unhandled request" in caplog.text


async def test_a_button_this_version_does_not_know_gets_the_help_card_for_the_presser_only(slack_client, fake_slack):
    payload = _lang_button(fake_slack)
    payload["team"] = {"id": "T0DEMO"}
    payload["actions"][0].update({"action_id": "ob:long.gone:0", "value": json.dumps({"a": "long.gone", "d": {}})})
    resp = await post_signed(slack_client, interaction_body(payload))
    assert resp.status == 200
    [call] = await fake_slack.wait_for("response_url")
    assert call.args["replace_original"] is False and call.args["response_type"] == "ephemeral"
    assert_valid_blocks(call.args["blocks"])
    shown = texts_of(call.args["blocks"])
    assert "older version" in shown and "/equinix team" in shown
