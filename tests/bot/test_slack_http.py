"""The Slack adapter through real HTTP: signed requests in, Block Kit and Web API calls out."""

from __future__ import annotations

import json
import time

import pytest

from tests.cards.validate import assert_valid_blocks
from tests.conftest import SIGNING_SECRET
from tests.fakes.signing import command_body, event_body, interaction_body, slack_headers
from tests.wait import quiet_for


async def post_signed(client, body: str, *, secret: str = SIGNING_SECRET, timestamp: int | None = None,
                      content_type: str = "application/x-www-form-urlencoded", extra: dict | None = None):
    headers = slack_headers(secret, body, timestamp=timestamp, content_type=content_type)
    headers.update(extra or {})
    return await client.post("/slack/events", data=body.encode(), headers=headers)


def texts_of(blocks: list[dict]) -> str:
    """The blocks as JSON, no-break spaces (phone numbers, French) as plain spaces."""
    return json.dumps(blocks, ensure_ascii=False).replace("\u00a0", " ").replace("\u202f", " ")


async def test_team_command_answers_in_channel_with_the_account_team(slack_client, fake_slack):
    resp = await post_signed(slack_client, command_body("team"))
    assert resp.status == 200
    body = await resp.json()
    assert body["response_type"] == "in_channel"
    assert_valid_blocks(body)
    rendered = texts_of(body["blocks"])
    for name in ("Sanne de Vries", "Pieter Jansen", "Amira El Idrissi", "Lotte Bakker"):
        assert name in rendered
    assert "Acme Logistics" in rendered


async def test_help_alone_and_unknown_words_get_help(slack_client):
    for text in ("", "help"):
        body = await (await post_signed(slack_client, command_body(text))).json()
        assert "onboarding assistant" in body["text"]
        assert_valid_blocks(body)


async def test_gsd_card_says_not_open_yet_for_an_onboarding_account(slack_client):
    body = await (await post_signed(slack_client, command_body("gsd"))).json()
    rendered = texts_of(body["blocks"])
    assert "+31 20 808 0015" in rendered and "servicedesk.nl@eu.equinix.com" in rendered
    assert "not open to you yet" in rendered and "1 March 2027" in rendered


async def test_gsd_card_for_a_complete_account_says_open(slack_client):
    body = await (await post_signed(slack_client, command_body("gsd", channel="C0DEMO00002"))).json()
    rendered = texts_of(body["blocks"])
    assert "not open" not in rendered and "is open" in rendered

async def test_unlinked_channel_gets_no_account_data(slack_client):
    body = await (await post_signed(slack_client, command_body("team", channel="C0UNLINKED1"))).json()
    assert body["response_type"] == "ephemeral"
    text = json.dumps(body)
    assert "not linked" in text
    for name in ("Sanne", "Camille", "Jonas"):
        assert name not in text


@pytest.mark.parametrize(
    "mutate",
    [
        {"secret": "wrong-secret"},
        {"timestamp": int(time.time()) - 6 * 60},
    ],
    ids=["wrong-secret", "stale-timestamp"],
)
async def test_bad_signatures_are_refused_and_nothing_handled(slack_client, fake_slack, mutate):
    resp = await post_signed(slack_client, command_body("team"), **mutate)
    assert resp.status == 401
    assert "Sanne" not in await resp.text()
    assert fake_slack.calls == []
    metrics = await (await slack_client.get("/metrics")).text()
    assert 'bot_requests_total{intent="team"' not in metrics  # no handler ran


async def test_missing_signature_headers_are_refused(slack_client, fake_slack):
    resp = await slack_client.post("/slack/events", data=command_body("team"), headers={"Content-Type": "application/x-www-form-urlencoded"})
    assert resp.status == 401
    assert fake_slack.calls == []


async def test_url_verification_challenge(slack_client):
    body = json.dumps({"type": "url_verification", "challenge": "abc123", "token": "x"})
    resp = await post_signed(slack_client, body, content_type="application/json")
    assert resp.status == 200
    assert "abc123" in await resp.text()


async def test_mention_posts_the_answer_in_the_channel(slack_client, fake_slack):
    event = {"type": "app_mention", "user": "U0CUSTOMER", "text": "<@U0BOT> TEAM please", "channel": "C0DEMO00001", "ts": "1.1"}
    resp = await post_signed(slack_client, event_body(event), content_type="application/json")
    assert resp.status == 200
    [call] = await fake_slack.wait_for("chat.postMessage")
    assert call.args["channel"] == "C0DEMO00001"
    assert "Sanne de Vries" in texts_of(call.args["blocks"])


async def test_a_retried_event_is_answered_once(slack_client, fake_slack):
    event = {"type": "app_mention", "user": "U0CUSTOMER", "text": "<@U0BOT> gsd", "channel": "C0DEMO00001", "ts": "1.2"}
    body = event_body(event, event_id="EvRETRY")
    await post_signed(slack_client, body, content_type="application/json")
    await post_signed(slack_client, body, content_type="application/json", extra={"X-Slack-Retry-Num": "1", "X-Slack-Retry-Reason": "http_timeout"})
    await fake_slack.wait_for("chat.postMessage")
    await quiet_for(0.2)  # a second answer, if any, would have been posted by now
    assert len(fake_slack.of("chat.postMessage")) == 1


async def test_direct_message_is_answered(slack_client, fake_slack):
    event = {"type": "message", "channel_type": "im", "user": "U0CUSTOMER", "text": "help", "channel": "D0DM0001", "ts": "1.3"}
    await post_signed(slack_client, event_body(event, event_id="EvDM"), content_type="application/json")
    [call] = await fake_slack.wait_for("chat.postMessage")
    assert call.args["channel"] == "D0DM0001"


async def test_button_press_replaces_the_card_through_response_url(slack_client, fake_slack):
    payload = {
        "type": "block_actions",
        "team": {"id": "T0DEMO"}, "user": {"id": "U0CUSTOMER", "username": "cust"},
        "channel": {"id": "C0DEMO00001"}, "container": {"type": "message", "channel_id": "C0DEMO00001", "message_ts": "1.4"},
        "response_url": fake_slack.response_url(), "trigger_id": "t",
        "actions": [{"action_id": "ob:gsd.show:0", "value": json.dumps({"a": "gsd.show", "d": {}}), "type": "button", "action_ts": "2.0"}],
    }
    resp = await post_signed(slack_client, interaction_body(payload))
    assert resp.status == 200
    [call] = await fake_slack.wait_for("response_url")
    assert call.args["replace_original"] is True
    assert "808 0015" in texts_of(call.args["blocks"])


async def test_language_follows_the_slack_locale_then_the_explicit_choice(slack_client, fake_slack):
    fake_slack.locales["U0FR"] = "fr-FR"
    body = await (await post_signed(slack_client, command_body("team", user="U0FR"))).json()
    assert "Votre équipe de compte" in body["text"] or "équipe de compte" in texts_of(body["blocks"])
    await post_signed(slack_client, command_body("lang en", user="U0FR"))
    body = await (await post_signed(slack_client, command_body("team", user="U0FR"))).json()
    assert "Your account team" in texts_of(body["blocks"])


async def test_users_info_is_cached(slack_client, fake_slack):
    for _ in range(3):
        await post_signed(slack_client, command_body("help", user="U0CACHE"))
    assert len([c for c in fake_slack.of("users.info") if c.args.get("user") == "U0CACHE"]) == 1


async def test_health_ready_metrics(slack_client):
    assert (await slack_client.get("/healthz")).status == 200
    ready = await slack_client.get("/readyz")
    assert ready.status == 200 and (await ready.json())["checks"]["store"] == "reachable"
    await post_signed(slack_client, command_body("team"))
    metrics = await (await slack_client.get("/metrics")).text()
    assert 'bot_requests_total{intent="team",platform="slack"} 1.0' in metrics


async def test_oversized_body_is_refused_with_413(slack_client, fake_slack):
    body = "x" * (1024 * 1024 + 10)
    resp = await post_signed(slack_client, body)
    assert resp.status == 413
    assert (await resp.json()) == {"error": "request body too large"}
    assert fake_slack.calls == []


async def test_oversized_body_without_a_length_is_cut_at_the_limit(slack_client, fake_slack):
    body = "x" * (1024 * 1024 + 10)
    headers = slack_headers(SIGNING_SECRET, body)

    async def chunks():  # chunked transfer: no Content-Length to check up front
        for start in range(0, len(body), 64 * 1024):
            yield body[start:start + 64 * 1024].encode()

    resp = await slack_client.post("/slack/events", data=chunks(), headers=headers)
    assert resp.status == 413
    assert fake_slack.calls == []
