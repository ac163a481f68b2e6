"""A service-desk PIN typed into an escalation is masked before it is stored, never
reaches the team's card, and the customer is told (through real HTTP, signed Slack
requests, the fake Slack Web API recording what was sent)."""

from __future__ import annotations

import json

import pytest

from tests.bot.test_slack_escalations import VALUES, open_modal
from tests.bot.test_slack_http import post_signed
from tests.fakes.signing import interaction_body, submission


@pytest.mark.parametrize("description, subject", [
    ("My PIN is 4821, the badge reader at the door refuses it.", "Badge refused"),
    ("Le lecteur refuse mon code pin 4821 depuis ce matin.", "Code 4821 refusé"),
])
async def test_a_typed_pin_is_masked_before_it_is_stored_or_sent(slack_client, fake_slack, description, subject):
    view = await open_modal(slack_client, fake_slack)
    resp = await post_signed(slack_client, interaction_body(submission(view, {**VALUES, "subject": subject, "description": description})))
    assert resp.status == 200
    posts = await fake_slack.wait_for("chat.postMessage", 2)
    sent = json.dumps([p.args for p in posts], ensure_ascii=False)
    assert "4821" not in sent and "••••" in sent
    stored = await slack_client.store.get("esc:ESC-000001")
    assert "4821" not in stored and "••••" in stored
    confirmation = next(p for p in posts if p.args["channel"] == "C0DEMO00001")
    assert "4-digit service desk code" in json.dumps(confirmation.args["blocks"])


async def test_numbers_that_are_not_codes_are_kept(slack_client, fake_slack):
    view = await open_modal(slack_client, fake_slack)
    values = {**VALUES, "description": "Rack 1234 in cage 2027 lost power; ISO 9001 audit next week."}
    await post_signed(slack_client, interaction_body(submission(view, values)))
    posts = await fake_slack.wait_for("chat.postMessage", 2)
    team = next(p for p in posts if p.args["channel"] == "C0ONBOARD01")
    assert "Rack 1234 in cage 2027" in json.dumps(team.args["blocks"])
