"""The escalation form as a customer reads it: a topic list with a placeholder, errors
that say what is wrong, and on Teams (where the form sits in the conversation) a
Cancel that works without filling the required fields in."""

from __future__ import annotations

import json

from cards import slack, teams
from handlers.turn import FormErrors, OpenForm
from tests.cards.validate import assert_valid_adaptive, assert_valid_view
from tests.fakes.botframework import card_action, channel_message
from tests.fixtures_teams import (  # noqa: F401 - fixtures
    botframework,
    post_activity,
    settle,
    teams_adapter,
    teams_client,
)
from tests.handlers.helpers import Bot


async def _form(catalog, clock, locale="en-US"):
    outcome = await Bot(catalog, clock).say("escalate", locale=locale)
    assert isinstance(outcome.response, OpenForm)
    return outcome.response.form


async def test_the_topic_list_has_a_placeholder_on_both_platforms(catalog, clock):
    for locale, hint in (("en-US", "Choose a topic"), ("fr-FR", "Choisissez un sujet")):
        form = await _form(catalog, clock, locale)
        view = slack.render_modal(form)
        assert_valid_view(view)
        [select] = [b["element"] for b in view["blocks"] if b.get("block_id") == "category"]
        assert select["placeholder"]["text"] == hint and "initial_option" not in select
        card = teams.render_form(form)
        assert_valid_adaptive(card)
        [choice] = [e for e in card["body"] if e.get("id") == "category"]
        assert choice["placeholder"] == hint and "value" not in choice


async def test_each_required_field_says_what_is_wrong_not_just_its_name(catalog, clock):
    card = teams.render_form(await _form(catalog, clock))
    messages = {e["id"]: e["errorMessage"] for e in card["body"] if "errorMessage" in e}
    assert messages == {
        "subject": "Please write a subject (at least 3 characters).",
        "category": "Please choose the topic closest to your request.",
        "urgency": "Please say whether it is urgent.",
        "description": "Please describe what you need (at least 10 characters).",
    }
    bot = Bot(catalog, clock)
    empty = (await bot.submit("escalation.submit", {"subject": "", "category": "", "urgency": "", "description": "short"})).response
    assert isinstance(empty, FormErrors)
    assert empty.errors == {
        "subject": "Please write a subject (at least 3 characters).",
        "category": "Please choose the topic closest to your request.",
        "urgency": "Please say whether it is urgent.",
        "description": "Please write at least 10 characters.",
    }


async def test_the_teams_form_has_a_cancel_that_skips_validation(catalog, clock):
    card = teams.render_form(await _form(catalog, clock, "fr-FR"))
    assert_valid_adaptive(card)
    titles = [a["title"] for a in card["actions"]]
    assert titles == ["Envoyer", "Annuler"]
    cancel = card["actions"][1]
    assert cancel["verb"] == "escalation.cancel" and cancel["associatedInputs"] == "none"


async def test_pressing_cancel_on_teams_replaces_the_form_and_sends_nothing(teams_client):
    fake = teams_client.fake
    resp = await post_activity(teams_client, channel_message(fake, "<at>AM11 Onboarding</at> escalate"))
    assert resp.status in (200, 201)
    await settle(teams_client)
    form = json.dumps([c.body for c in fake.calls], ensure_ascii=False)
    assert "escalation.cancel" in form  # the form was posted with its Cancel
    resp = await post_activity(teams_client, card_action(fake, "escalation.cancel"))
    body = await resp.json()
    assert body["statusCode"] == 200 and body["type"] == "application/vnd.microsoft.card.adaptive"
    assert "nothing was sent to the onboarding team" in json.dumps(body["value"])
    await settle(teams_client)
    assert not any("ESC-" in json.dumps(c.body) for c in fake.calls)
