"""The token endpoint or the Bot Connector stalls: card actions (invokes) are still
answered within budget, with the right card or message, and messages are acknowledged."""

from __future__ import annotations

import json
import time

import pytest

from bot.app import BACKGROUND
from tests.fakes.botframework import card_action, channel_message
from tests.fixtures_teams import botframework, post_activity, teams_client  # noqa: F401 - fixtures

BUDGET = 1.0  # well inside the few seconds Teams gives an invoke


@pytest.mark.parametrize("stalled", [("token",), ("send", "reply", "update")], ids=["token-endpoint", "connector"])
@pytest.mark.parametrize(("verb", "data", "expected"), [
    ("gsd.show", {}, "808 0015"),
    ("team.show", {}, "Sanne de Vries"),
    ("help.show", {}, "onboarding assistant"),
    ("lang.set", {"lang": "fr"}, "français"),
    ("escalate.open", {}, "subject"),
])
async def test_invokes_are_answered_in_time_while_teams_stalls(teams_client, stalled, verb, data, expected):
    fake = teams_client.fake
    fake.hang(*stalled)
    started = time.monotonic()
    resp = await post_activity(teams_client, card_action(fake, verb, data))
    took = time.monotonic() - started
    assert resp.status == 200
    assert took < BUDGET, f"{verb} took {took:.2f} s"
    body = await resp.json()
    assert body["statusCode"] == 200
    assert expected.lower() in json.dumps(body["value"], ensure_ascii=False).lower()
    fake.release()
    await teams_client.app[BACKGROUND].drain()


@pytest.mark.parametrize("stalled", [("token",), ("send", "reply", "update")], ids=["token-endpoint", "connector"])
async def test_messages_are_acknowledged_in_time_while_teams_stalls(teams_client, stalled):
    fake = teams_client.fake
    fake.hang(*stalled)
    started = time.monotonic()
    resp = await post_activity(teams_client, channel_message(fake, "<at>AM11 Onboarding</at> team"))
    assert resp.status == 200 and time.monotonic() - started < BUDGET
    fake.release()
    [reply] = await fake.wait_for("reply")
    assert "Sanne de Vries" in json.dumps(reply.body)
