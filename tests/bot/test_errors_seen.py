"""An exception in the bot's own code is never hidden: logged with its traceback,
counted in ``bot_errors_total{platform, where}``, and answered the way the platform
expects (Slack: a 200, with a polite message for a command; Teams: a 200, with a polite
message for a card action)."""

from __future__ import annotations

import json
import logging

import pytest

import handlers.team
from bot.app import RUNNING
from cards import slack as blockkit
from tests.bot.test_slack_http import post_signed
from tests.fakes.botframework import card_action, channel_message
from tests.fakes.signing import command_body, interaction_body
from tests.fixtures_teams import botframework, post_activity, settle, teams_client  # noqa: F401 - fixtures


def boom(*args: object, **kwargs: object) -> object:
    raise RuntimeError("a bug in the bot")


async def errors(client) -> dict[str, float]:
    """Every ``bot_errors_total`` sample on /metrics, by its labels."""
    text = await (await client.get("/metrics")).text()
    out = {}
    for line in text.splitlines():
        if line.startswith("bot_errors_total{"):
            labels, _, value = line.partition("} ")
            out[labels.removeprefix("bot_errors_total{")] = float(value)
    return out


def tracebacks(caplog, needle: str = "a bug in the bot") -> list[logging.LogRecord]:
    return [r for r in caplog.records if r.exc_info and needle in str(r.exc_info[1])]


async def test_no_errors_counted_on_a_normal_turn(slack_client):
    await post_signed(slack_client, command_body("team"))
    assert await errors(slack_client) == {}


async def test_a_bug_in_the_slack_command_path_is_logged_counted_and_answered_politely(slack_client, monkeypatch, caplog):
    monkeypatch.setattr(slack_client.app[RUNNING].platform("slack").replies, "ack_body", boom)
    resp = await post_signed(slack_client, command_body("team"))
    assert resp.status == 200
    body = await resp.json()
    assert body["response_type"] == "ephemeral" and "Something went wrong on my side" in body["text"]
    assert await errors(slack_client) == {'platform="slack",where="command"': 1.0}
    assert tracebacks(caplog)


async def test_a_bug_in_a_slack_listener_is_a_200_and_counted(slack_client, fake_slack, monkeypatch, caplog):
    monkeypatch.setattr(blockkit, "parse_action", boom)
    payload = {"type": "block_actions", "team": {"id": "T0DEMO"}, "user": {"id": "U0CUSTOMER"},
               "channel": {"id": "C0DEMO00001"}, "container": {"type": "message", "channel_id": "C0DEMO00001", "message_ts": "1.1"},
               "response_url": fake_slack.response_url(), "trigger_id": "t",
               "actions": [{"action_id": "ob:gsd.show:0", "value": "{}", "type": "button", "action_ts": "2.0"}]}
    resp = await post_signed(slack_client, interaction_body(payload))
    assert resp.status == 200
    assert await errors(slack_client) == {'platform="slack",where="block_actions"': 1.0}
    assert tracebacks(caplog)


async def test_a_bug_in_a_handler_is_counted_and_the_user_told(slack_client, monkeypatch, caplog):
    monkeypatch.setattr(handlers.team, "team_card", boom)
    body = await (await post_signed(slack_client, command_body("team"))).json()
    assert "Something went wrong on my side" in body["text"]
    assert await errors(slack_client) == {'platform="slack",where="handler"': 1.0}
    assert tracebacks(caplog)


async def test_malformed_payloads_bolt_cannot_read_are_not_counted_as_bugs(slack_client):
    resp = await post_signed(slack_client, json.dumps({"type": "event_callback", "event": "not an object"}),
                             content_type="application/json")
    assert resp.status < 500
    assert await errors(slack_client) == {}


async def test_a_bug_in_a_teams_card_action_is_answered_politely_and_counted(teams_client, monkeypatch, caplog):
    monkeypatch.setattr(handlers.team, "team_card", boom)
    resp = await post_activity(teams_client, card_action(teams_client.fake, "team.show"))
    assert resp.status == 200
    assert "Something went wrong on my side" in json.dumps(await resp.json())
    assert await errors(teams_client) == {'platform="teams",where="handler"': 1.0}


@pytest.mark.parametrize("where", ["message", "invoke"])
async def test_a_bug_in_the_teams_adapter_is_a_200_counted_with_its_traceback(teams_client, monkeypatch, caplog, where):
    bot = teams_client.app[RUNNING].platform("teams").bot
    monkeypatch.setattr(bot, "_text_turn" if where == "message" else "_action_turn", boom)
    activity = channel_message(teams_client.fake, "<at>AM11 Onboarding</at> team") if where == "message" \
        else card_action(teams_client.fake, "gsd.show")
    resp = await post_activity(teams_client, activity)
    await settle(teams_client)
    assert resp.status == 200
    if where == "invoke":
        assert "Something went wrong on my side" in json.dumps(await resp.json())
    assert await errors(teams_client) == {'platform="teams",where="turn"': 1.0}
    assert tracebacks(caplog)


async def test_a_bug_on_a_form_submit_keeps_the_form_open_with_a_polite_word(slack_client, fake_slack, monkeypatch, caplog):
    from tests.bot.test_slack_escalations import VALUES, open_modal
    from tests.fakes.signing import submission

    view = await open_modal(slack_client, fake_slack)
    monkeypatch.setattr(blockkit, "parse_view_submission", boom)
    resp = await post_signed(slack_client, interaction_body(submission(view, VALUES)))
    assert resp.status == 200
    body = await resp.json()
    assert body["response_action"] == "errors"
    [(block, message)] = body["errors"].items()
    assert block == "subject" and "Something went wrong on my side" in message
    assert await errors(slack_client) == {'platform="slack",where="view_submission"': 1.0}
    assert tracebacks(caplog)
