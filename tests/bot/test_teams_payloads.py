"""Activities shaped exactly as Microsoft documents them (tests/payloads/teams, origins in
its README), through real HTTP: the bot answers what it is asked and nothing else."""

from __future__ import annotations

import json
from typing import Any

import pytest

from botbuilder.schema import Activity

from bot.teams.activity import bot_mentions, strip_mentions
from tests.fakes.botframework import DEMO_CHANNEL, channel_message
from tests.fixtures_teams import botframework, post_activity, settle, teams_client  # noqa: F401 - fixtures
from tests.payloads import load

GREETING = "Hello! During your onboarding"


def documented_channel_message(fake: Any) -> dict[str, Any]:
    """Microsoft's channel-message sample, pointed at the fake connector."""
    activity = load("teams/channel_message_mentioning_another_user.json")
    activity["serviceUrl"] = fake.service_url
    activity["id"] = "1481567603816"
    return activity


def mentioning_the_bot(activity: dict[str, Any], text: str, entity_text: str) -> dict[str, Any]:
    """The sample with the bot mentioned the way the sample mentions a person."""
    bot = activity["recipient"]
    activity["text"] = text
    activity["entities"] = [{"type": "mention", "mentioned": {"id": bot["id"], "name": "AM11 Onboarding"}, "text": entity_text}]
    return activity


async def _answer(client: Any, activity: dict[str, Any]) -> str:
    fake = client.fake
    before = len(fake.calls)
    resp = await post_activity(client, activity)
    assert resp.status == 200, await resp.text()
    await settle(client)
    new = fake.calls[before:]
    assert len(new) == 1, [c.op for c in new]
    return json.dumps(new[0].body, ensure_ascii=False)


# ------------------------------------------------------------------------- mentions


@pytest.mark.parametrize("entity_text", ["<at>@AM11 Onboarding</at>", "<at>AM11 Onboarding</at>", "<at>am11 onboarding</at>"],
                         ids=["documented-at-sign", "same-as-tag", "other-casing"])
async def test_a_mention_in_the_middle_is_stripped_whatever_the_entity_text(teams_client, entity_text):
    activity = mentioning_the_bot(documented_channel_message(teams_client.fake), "Hey <at>AM11 Onboarding</at> team", entity_text)
    answer = await _answer(teams_client, activity)
    assert GREETING in answer
    assert "Who handles this" not in answer


def test_only_the_bots_mentions_are_removed_wherever_they_are_and_other_names_stay(botframework):  # noqa: F811
    activity = mentioning_the_bot(documented_channel_message(botframework),
                                  "<at>Pranav Smith</at>, ask <at>AM11 Onboarding</at> about the <at>AM11 Onboarding</at> team",
                                  "<at>@AM11 Onboarding</at>")
    activity["entities"].insert(0, {"type": "mention", "mentioned": {"id": "29:08q2j2o3jc09au90eucae", "name": "Pranav Smith"},
                                    "text": "<at>@Pranav Smith</at>"})
    parsed = Activity().deserialize(activity)
    assert strip_mentions(parsed.text, bot_mentions(parsed)) == "Pranav Smith, ask about the team"


# -------------------------------------------------------------- conversation kinds


async def test_the_documented_channel_message_for_someone_else_gets_no_answer(teams_client):
    """No conversationType, a channel thread id, a mention of another user only."""
    fake = teams_client.fake
    resp = await post_activity(teams_client, documented_channel_message(fake))
    assert resp.status == 200
    await settle(teams_client)
    assert fake.calls == []


async def test_the_documented_channel_message_mentioning_the_bot_is_answered_in_its_thread(teams_client):
    fake = teams_client.fake
    activity = mentioning_the_bot(documented_channel_message(fake), "<at>AM11 Onboarding</at> help", "<at>@AM11 Onboarding</at>")
    await _answer(teams_client, activity)
    [call] = fake.calls
    assert call.op == "reply" and call.conversation.startswith("19:aebd0ad4d6ab42c8b9ed19c251c2fc37@thread.skype")


@pytest.mark.parametrize(
    "shape",
    ["team-in-channel-data", "channel-in-channel-data", "tacv2-thread", "group-chat-thread", "is-group", "personal-declared-but-team"],
)
async def test_shared_conversations_without_a_mention_are_not_answered(teams_client, shape):
    fake = teams_client.fake
    activity = channel_message(fake, "team", mention="")
    activity.pop("entities", None)
    conversation = activity["conversation"]
    conversation.pop("conversationType")
    conversation.pop("isGroup", None)
    data = activity["channelData"]
    data.pop("team"), data.pop("channel")
    conversation["id"] = "a:1not-a-thread"
    if shape == "team-in-channel-data":
        data["team"] = {"id": "19:team-acme@thread.tacv2"}
    elif shape == "channel-in-channel-data":
        data["channel"] = {"id": DEMO_CHANNEL}
    elif shape == "tacv2-thread":
        conversation["id"] = f"{DEMO_CHANNEL};messageid=1700000000999"
    elif shape == "group-chat-thread":
        conversation["id"] = "19:meeting-or-group_abc@thread.v2"
    elif shape == "is-group":
        conversation["isGroup"] = True
    elif shape == "personal-declared-but-team":
        conversation["conversationType"] = "personal"
        data["team"] = {"id": "19:team-acme@thread.tacv2"}
    resp = await post_activity(teams_client, activity)
    assert resp.status == 200
    await settle(teams_client)
    assert fake.calls == []


async def test_a_personal_chat_without_conversation_type_is_still_answered(teams_client):
    fake = teams_client.fake
    activity = channel_message(fake, "help", mention="", kind="personal", conversation="a:1personal-chris")
    activity.pop("entities", None)
    activity["conversation"].pop("conversationType")
    answer = await _answer(teams_client, activity)
    assert "onboarding assistant" in answer


# ------------------------------------------------------------------- card actions


def documented_card_action(fake: Any, verb: str, trigger: str) -> dict[str, Any]:
    """The documented ``adaptiveCard/action`` request, with the envelope every activity has."""
    activity = channel_message(fake, "", mention="")
    activity.pop("text"), activity.pop("textFormat"), activity.pop("entities", None)
    activity["conversation"]["id"] = DEMO_CHANNEL
    activity.update(load("teams/adaptive_card_action_request.json"))
    activity["value"]["action"]["verb"] = verb
    activity["value"]["trigger"] = trigger
    activity["id"] = "f:documented-invoke"
    return activity


async def test_a_press_on_a_button_this_version_does_not_know_gets_the_help_card_in_place(teams_client):
    fake = teams_client.fake
    resp = await post_activity(teams_client, documented_card_action(fake, "def", "manual"))
    assert resp.status == 200
    body = await resp.json()
    assert body["type"] == "application/vnd.microsoft.card.adaptive"
    card = json.dumps(body["value"])
    assert "older version" in card and "onboarding assistant" in card
    await settle(teams_client)
    assert fake.calls == []  # nothing promised and posted later


@pytest.mark.parametrize("verb", ["def", "team.show", "escalate.open", "esc.ack"])
async def test_an_automatic_refresh_keeps_the_card_and_runs_nothing(teams_client, verb):
    fake = teams_client.fake
    resp = await post_activity(teams_client, documented_card_action(fake, verb, "automatic"))
    assert resp.status == 200
    body = await resp.json()
    assert body == {"statusCode": 200, "type": "application/vnd.microsoft.activity.message", "value": ""}
    await settle(teams_client)
    assert fake.calls == []
