"""The Teams adapter through real HTTP: signed activities in, Adaptive Cards out to a fake
Bot Connector (or inline, in invoke responses)."""

from __future__ import annotations

import json
import logging

import pytest

from bot.pipeline import ATTEMPTS
from cards.model import Card, Choice, Form, SelectInput, Text, TextInput
from handlers.app import build_router
from handlers.context import Context
from handlers.help import help_card
from handlers.ports import DeliveryError, Target
from handlers.router import Route
from handlers.turn import FormErrors, OpenForm, Reply, TurnKind
from tests.fakes.botframework import (
    APP_ID,
    BOT_ID,
    DEMO_CHANNEL,
    ONBOARDING_CHANNEL,
    UNLINKED_CHANNEL,
    Failure,
    bot_added,
    card_action,
    channel_message,
    installation_update,
    personal_message,
    submit_message,
)
from tests.fixtures_teams import (  # noqa: F401 - fixtures
    botframework,
    make_teams_client,
    post_activity,
    settle,
    teams_adapter,
    teams_client,
    teams_noauth_client,
)

ACME_TEAM = ("Sanne de Vries", "Pieter Jansen", "Amira El Idrissi", "Lotte Bakker")


def rendered(value: object) -> str:
    return json.dumps(value, ensure_ascii=False)


async def reply_to(client, activity: dict) -> object:
    """Post ``activity`` and return the one call the bot made to the connector for it."""
    fake = client.fake
    before = len(fake.calls)
    resp = await post_activity(client, activity)
    assert resp.status == 200, await resp.text()
    await settle(client)
    new = fake.calls[before:]
    assert len(new) == 1, [c.op for c in new]
    return new[0]


# ------------------------------------------------------------------------ messages


@pytest.mark.parametrize(
    "text",
    [
        "<at>AM11 Onboarding</at> team",
        "<at>am11 onboarding</at> TEAM",
        "<AT>AM11 Onboarding</AT>  Team please",
        "<at>AM11 Onboarding</at>&nbsp;team\n",
    ],
    ids=["plain", "lower-mention", "upper-tags-extra-words", "nbsp"],
)
async def test_channel_mention_team_gets_the_account_team(teams_client, text):
    call = await reply_to(teams_client, channel_message(teams_client.fake, text))
    assert call.op == "reply"  # in the thread of the message that asked
    assert call.conversation.startswith(DEMO_CHANNEL)
    card = rendered(call.card)
    for name in ACME_TEAM:
        assert name in card
    assert "Acme Logistics" in card
    assert call.headers["Authorization"].startswith("Bearer fake-access-token-")
    assert call.body["from"]["id"] == BOT_ID and call.body["replyToId"]


async def test_mention_with_a_different_entity_text_and_leftover_tags(teams_client):
    """The entity names the bot differently from the text (renamed bot): leading <at> tags
    are dropped anyway, other people's names are kept without tags."""
    activity = channel_message(teams_client.fake, "<at>Old Bot Name</at> team", mention="<at>Some Other Text</at>")
    call = await reply_to(teams_client, activity)
    assert "Sanne de Vries" in rendered(call.card)


async def test_channel_message_without_mention_is_ignored(teams_client):
    activity = channel_message(teams_client.fake, "team", mention="")
    activity.pop("entities", None)
    activity["entities"] = [{"type": "mention", "text": "<at>Someone</at>", "mentioned": {"id": "29:someone", "name": "Someone"}}]
    resp = await post_activity(teams_client, activity)
    assert resp.status == 200
    await settle(teams_client)
    assert teams_client.fake.calls == []


async def test_personal_chat_gsd(teams_client):
    call = await reply_to(teams_client, personal_message(teams_client.fake, "gsd"))
    assert call.conversation == "a:1personal-chris"
    card = rendered(call.card)
    assert "+31 20 808 0015" in card and "servicedesk.nl@eu.equinix.com" in card


async def test_help_in_personal_chat(teams_client):
    call = await reply_to(teams_client, personal_message(teams_client.fake, "help"))
    card = call.card
    assert "onboarding assistant" in rendered(card)
    rows = [card.get("actions", [])] + [b["actions"] for b in card["body"] if b.get("type") == "ActionSet"]
    verbs = [a.get("verb") for row in rows for a in row]  # a wide row is split: some buttons sit in the body
    assert "gsd.show" in verbs
    assert "team.show" not in verbs  # no account known in this chat: no button that would only refuse


async def test_lang_fr_then_french_replies(teams_client):
    fake = teams_client.fake
    confirm = await reply_to(teams_client, personal_message(fake, "lang fr"))
    assert "français" in confirm.body["text"]
    assert confirm.body.get("textFormat") == "markdown"
    call = await reply_to(teams_client, channel_message(fake, "<at>AM11 Onboarding</at> team"))
    assert "Votre équipe de compte" in rendered(call.card)


async def test_teams_locale_picks_the_language(teams_client):
    call = await reply_to(teams_client, channel_message(teams_client.fake, "<at>AM11 Onboarding</at> team", locale="fr-FR",
                                                        user="29:other", aad="aad-other"))
    assert "Votre équipe de compte" in rendered(call.card)


async def test_unlinked_conversation_gets_no_customer_data(teams_client):
    call = await reply_to(teams_client, channel_message(teams_client.fake, "<at>AM11 Onboarding</at> team", conversation=UNLINKED_CHANNEL))
    text = rendered(call.body)
    assert "not linked" in text
    for name in ("Sanne", "Camille", "Jonas", "Acme"):
        assert name not in text


async def test_a_redelivered_message_is_answered_once(teams_client):
    activity = channel_message(teams_client.fake, "<at>AM11 Onboarding</at> gsd")
    await post_activity(teams_client, activity)
    await post_activity(teams_client, activity)
    await settle(teams_client)
    assert len(teams_client.fake.calls) == 1


async def test_metrics_count_teams_turns(teams_client):
    await reply_to(teams_client, channel_message(teams_client.fake, "<at>AM11 Onboarding</at> team"))
    metrics = await (await teams_client.get("/metrics")).text()
    assert 'bot_requests_total{intent="team",platform="teams"} 1.0' in metrics


# -------------------------------------------------------------------- card actions


async def test_card_button_is_answered_inline_with_the_updated_card(teams_client):
    fake = teams_client.fake
    resp = await post_activity(teams_client, card_action(fake, "gsd.show"))
    assert resp.status == 200
    body = await resp.json()
    assert body["statusCode"] == 200
    assert body["type"] == "application/vnd.microsoft.card.adaptive"
    assert "808 0015" in rendered(body["value"])
    await settle(teams_client)
    assert fake.calls == []  # the card was replaced in the response itself


async def test_switch_language_button_answers_with_a_message(teams_client):
    resp = await post_activity(teams_client, card_action(teams_client.fake, "lang.set", {"lang": "fr"}))
    body = await resp.json()
    assert body["type"] == "application/vnd.microsoft.activity.message"
    assert "français" in body["value"] and "**" not in body["value"]


async def test_stale_button_is_answered(teams_client):
    resp = await post_activity(teams_client, card_action(teams_client.fake, "long.gone.verb", {"x": "1"}))
    assert resp.status == 200
    body = await resp.json()
    # The help card itself replaces the old one, headed by why; nothing else is posted.
    assert body["statusCode"] == 200 and body["type"] == "application/vnd.microsoft.card.adaptive"
    card = rendered(body["value"])
    assert "older version" in card and "onboarding assistant" in card
    assert '"verb": "team.show"' in card
    await settle(teams_client)
    assert teams_client.fake.calls == []


async def test_malformed_invoke_value_is_a_400_not_a_500(teams_client):
    activity = card_action(teams_client.fake, "gsd.show")
    activity["value"] = {"action": {"type": "Action.Submit"}}
    resp = await post_activity(teams_client, activity)
    assert resp.status == 400
    assert (await resp.json())["statusCode"] == 400


async def test_other_invokes_get_an_empty_200(teams_client):
    activity = card_action(teams_client.fake, "gsd.show")
    activity["name"] = "task/fetch"
    resp = await post_activity(teams_client, activity)
    assert resp.status == 200


async def test_action_submit_fallback_message_updates_the_card(teams_client):
    fake = teams_client.fake
    resp = await post_activity(teams_client, submit_message(fake, {"verb": "gsd.show", "data": {}}, reply_to="1700000000042"))
    assert resp.status == 200
    [call] = await fake.wait_for("update")
    assert call.activity_id == "1700000000042"
    assert "808 0015" in rendered(call.card)


def _test_form() -> Form:
    return Form(
        title="Ask the onboarding team",
        action="test.form.submit",
        inputs=(
            TextInput(id="subject", label="Subject", max_length=80),
            SelectInput(id="urgency", label="Urgency", options=(Choice("normal", "Normal"), Choice("urgent", "Urgent"))),
        ),
        submit_label="Send",
        cancel_label="Cancel",
        data={"origin": "test"},
    )


@pytest.fixture
async def form_client(make_teams_client):
    """The app with a form route of our own, so the adapter's form plumbing is tested
    without depending on which intents exist. Returns the client and the submits seen."""
    router = build_router()
    seen: list = []

    async def open_form(turn, ctx):
        return OpenForm(_test_form())

    async def submit(turn, ctx):
        seen.append(turn)
        if not turn.data.get("subject", "").strip():
            return FormErrors({"subject": "Please give a subject."})
        return Reply(text=f"Sent: **{turn.data['subject']}**")

    router.action("test.form.open", Route("test.form", open_form))
    router.submit("test.form.submit", Route("test.form", submit))
    return await make_teams_client(router=router), seen


async def test_form_opens_in_place_errors_show_and_submit_replaces_it(form_client):
    teams_client, seen = form_client
    fake = teams_client.fake
    opened = await (await post_activity(teams_client, card_action(fake, "test.form.open"))).json()
    form = opened["value"]
    assert [el.get("id") for el in form["body"] if el["type"].startswith("Input.")] == ["subject", "urgency"]
    [submit] = form["actions"]
    assert submit["verb"] == "test.form.submit"

    bad = await (await post_activity(teams_client, card_action(fake, "test.form.submit", {"origin": "test", "subject": " ", "urgency": "urgent"}))).json()
    assert bad["type"] == "application/vnd.microsoft.card.adaptive"
    again = rendered(bad["value"])
    assert "Please give a subject." in again
    urgency = next(el for el in bad["value"]["body"] if el.get("id") == "urgency")
    assert urgency["value"] == "urgent"  # what the user chose is kept

    good = await (await post_activity(teams_client, card_action(fake, "test.form.submit", {"origin": "test", "subject": "Badges", "urgency": "normal"}))).json()
    assert good["type"] == "application/vnd.microsoft.card.adaptive"
    assert "Sent: **Badges**" in rendered(good["value"])
    turn = seen[-1]
    assert turn.kind.value == "submit" and turn.data == {"origin": "test", "subject": "Badges", "urgency": "normal"}


# --------------------------------------------------------------- install, proactive


@pytest.mark.parametrize("make", [bot_added, installation_update], ids=["conversationUpdate", "installationUpdate"])
async def test_bot_added_posts_a_welcome_and_stores_the_reference(teams_client, make):
    fake = teams_client.fake
    resp = await post_activity(teams_client, make(fake))
    assert resp.status == 200
    await settle(teams_client)
    [call] = fake.calls
    assert call.op == "send" and call.conversation == DEMO_CHANNEL  # top of the channel, not a reply
    assert "AM11" in rendered(call.card)
    stored = json.loads(await teams_client.store.get(f"teams:ref:{DEMO_CHANNEL}"))
    assert stored["service_url"] == fake.service_url
    assert stored["conversation_id"] == DEMO_CHANNEL
    assert stored["bot_id"] == BOT_ID and stored["channel_id"] == "msteams" and stored["tenant_id"]


async def test_welcome_uses_the_install_route_when_there_is_one(make_teams_client):
    router = build_router()
    seen = []

    async def welcome(turn, ctx):
        seen.append(turn)
        return Reply(card=Card(title="Welcome to the AM11 assistant", blocks=(Text("Hello"),)))

    router.on(TurnKind.INSTALL, Route("install", welcome))
    teams_client = await make_teams_client(router=router)
    await post_activity(teams_client, installation_update(teams_client.fake))
    await settle(teams_client)
    [turn] = seen
    assert turn.kind is TurnKind.INSTALL and turn.where.conversation == DEMO_CHANNEL
    assert "Welcome to the AM11 assistant" in rendered(teams_client.fake.calls[-1].card)


async def test_install_announced_twice_welcomes_once(teams_client):
    fake = teams_client.fake
    await post_activity(teams_client, bot_added(fake))
    await post_activity(teams_client, installation_update(fake))
    await settle(teams_client)
    assert len(fake.calls) == 1


async def test_someone_else_joining_gets_no_welcome(teams_client):
    activity = bot_added(teams_client.fake)
    activity["membersAdded"] = [{"id": "29:new-colleague"}]
    await post_activity(teams_client, activity)
    await settle(teams_client)
    assert teams_client.fake.calls == []


async def test_every_activity_refreshes_the_reference_only_when_it_changed(teams_client):
    fake = teams_client.fake
    store = teams_client.store
    writes: list[str] = []
    original = store.set

    async def counting_set(key, value, **kw):
        if key.startswith("teams:ref:"):
            writes.append(key)
        return await original(key, value, **kw)

    store.set = counting_set
    for _ in range(3):
        await post_activity(teams_client, personal_message(fake, "help"))
    await settle(teams_client)
    assert writes == ["teams:ref:a:1personal-chris"]


async def test_notifier_posts_proactively_and_updates(teams_client):
    fake = teams_client.fake
    adapter = teams_adapter(teams_client)
    ctx = Context(services=adapter.bot.pipeline.services, lang="en", account=None, member=None, platform="teams")
    card = help_card(ctx.card_view())  # any real card
    target = Target(platform="teams", conversation=ONBOARDING_CHANNEL, address={"service_url": fake.service_url})
    ref = await adapter.notifier.post(target, card)
    assert ref
    [sent] = fake.of("send")
    assert sent.conversation == ONBOARDING_CHANNEL and "onboarding assistant" in rendered(sent.card)
    await adapter.notifier.update(target, ref, card)
    [updated] = fake.of("update")
    assert updated.activity_id == ref and updated.body["id"] == ref
    assert len(fake.token_requests) == 1  # one token for both calls


async def test_notifier_finds_the_service_url_from_the_stored_reference(teams_client):
    fake = teams_client.fake
    await post_activity(teams_client, bot_added(fake))
    await settle(teams_client)
    adapter = teams_adapter(teams_client)
    ref = await adapter.notifier.post(Target(platform="teams", conversation=DEMO_CHANNEL), Card(title="Escalation", blocks=(Text("x"),)))
    assert ref and fake.of("send")[-1].conversation == DEMO_CHANNEL


@pytest.mark.parametrize(
    ("failure", "permanent", "retry_after"),
    [
        (Failure(status=403, code="BotNotInConversationRoster"), True, None),
        (Failure(status=404, code="ConversationNotFound"), True, None),
        (Failure(status=429, retry_after=7), False, 7.0),
        (Failure(status=500), False, None),
        (Failure(status=503), False, None),
    ],
    ids=["403", "404", "429", "500", "503"],
)
async def test_notifier_maps_connector_errors(teams_client, failure, permanent, retry_after):
    fake = teams_client.fake
    fake.fail("send", failure)
    adapter = teams_adapter(teams_client)
    with pytest.raises(DeliveryError) as info:
        await adapter.notifier.post(Target(platform="teams", conversation=ONBOARDING_CHANNEL, address={"service_url": fake.service_url}), Card(title="x", blocks=(Text("y"),)))
    assert info.value.permanent is permanent
    assert info.value.retry_after == retry_after


async def test_notifier_timeout_is_transient(teams_client, monkeypatch):
    import aiohttp

    import bot.teams.connector as connector_module

    monkeypatch.setattr(connector_module, "HTTP_TIMEOUT", aiohttp.ClientTimeout(total=0.2))
    fake = teams_client.fake
    fake.fail("send", Failure(status=200, delay=1.0))
    with pytest.raises(DeliveryError) as info:
        await teams_adapter(teams_client).notifier.post(Target(platform="teams", conversation=ONBOARDING_CHANNEL, address={"service_url": fake.service_url}), Card(title="x", blocks=(Text("y"),)))
    assert not info.value.permanent


async def test_notifier_without_any_service_url_is_permanent(teams_client):
    with pytest.raises(DeliveryError) as info:
        await teams_adapter(teams_client).notifier.post(Target(platform="teams", conversation="19:never-seen@thread.tacv2"), Card(title="x"))
    assert info.value.permanent


# ------------------------------------------------------------- connector failures


async def test_a_connector_error_on_reply_is_logged_and_counted_not_a_500(teams_client, caplog):
    fake = teams_client.fake
    fake.fail("reply", *[Failure(status=500)] * ATTEMPTS)  # every try of the reply fails
    resp = await post_activity(teams_client, channel_message(fake, "<at>AM11 Onboarding</at> team"))
    assert resp.status == 200
    await settle(teams_client)
    assert "sending a reply to Teams failed: bot connector HTTP 500" in caplog.text
    assert "fake-access-token" not in caplog.text and "Bearer" not in caplog.text
    metrics = await (await teams_client.get("/metrics")).text()
    assert f'bot_outbound_failures_total{{kind="post",platform="teams"}} {float(ATTEMPTS)}' in metrics
    assert len(fake.of("reply")) == ATTEMPTS


async def test_a_rejected_token_is_fetched_again(teams_client):
    fake = teams_client.fake
    await reply_to(teams_client, personal_message(fake, "help"))
    fake.issued.clear()  # the connector no longer accepts the cached token
    resp = await post_activity(teams_client, personal_message(fake, "gsd"))
    assert resp.status == 200
    await settle(teams_client)
    assert len(fake.refused) == 1
    await reply_to(teams_client, personal_message(fake, "team"))
    assert len(fake.token_requests) == 2


async def test_tokens_are_cached_across_turns(teams_client):
    fake = teams_client.fake
    for text in ("help", "gsd", "ecp"):
        await reply_to(teams_client, personal_message(fake, text))
    assert len(fake.token_requests) == 1
    assert fake.token_requests[0]["client_id"] == APP_ID
    assert fake.token_requests[0]["scope"] == "https://api.botframework.com/.default"


# ----------------------------------------------------------------- malformed input


@pytest.mark.parametrize(
    ("body", "content_type"),
    [
        ("{not json", "application/json"),
        ("[1, 2]", "application/json"),
        ('"a string"', "application/json"),
        ("{}", "application/json"),
        ('{"type": 5}', "application/json"),
        ('{"type": "message", "entities": "nope"}', "application/json"),
        ('{"type": "message", "from": "nobody"}', "application/json"),
        ("type=message", "application/x-www-form-urlencoded"),
        ("", "text/plain"),
        (b"\xff\xfe\x00garbage", "application/json"),
    ],
    ids=["bad-json", "list", "string", "no-type", "int-type", "bad-entities", "bad-from", "form", "text", "binary"],
)
async def test_malformed_bodies_never_5xx_and_send_nothing(teams_client, body, content_type):
    resp = await post_activity(teams_client, body, content_type=content_type)
    assert 400 <= resp.status < 500
    await settle(teams_client)
    assert teams_client.fake.calls == []


@pytest.mark.parametrize(
    "activity",
    [
        {"type": "message"},
        {"type": "message", "text": "help"},
        {"type": "somethingNew", "id": "1"},
        {"type": "typing", "from": {"id": "29:x"}, "conversation": {"id": "a:1"}},
        {"type": "messageReaction", "reactionsAdded": [{"type": "like"}]},
        {"type": "invoke", "name": "adaptiveCard/action"},
        {"type": "conversationUpdate", "membersAdded": []},
        {"type": "installationUpdate", "action": "remove"},
    ],
    ids=["bare", "no-conversation", "unknown-type", "typing", "reaction", "invoke-no-value", "empty-update", "uninstall"],
)
async def test_activities_missing_fields_or_unknown_never_5xx(teams_client, activity, caplog):
    fake = teams_client.fake
    activity = {"serviceUrl": fake.service_url, "channelId": "msteams", "recipient": {"id": BOT_ID}, **activity}
    resp = await post_activity(teams_client, activity)
    assert resp.status < 500
    await settle(teams_client)
    assert fake.calls == []
    assert not [r for r in caplog.records if r.levelno >= logging.ERROR], caplog.text


async def test_uninstall_forgets_the_reference(teams_client):
    fake = teams_client.fake
    await post_activity(teams_client, bot_added(fake))
    await settle(teams_client)
    assert await teams_client.store.get(f"teams:ref:{DEMO_CHANNEL}")
    await post_activity(teams_client, installation_update(fake, "remove"))
    assert await teams_client.store.get(f"teams:ref:{DEMO_CHANNEL}") is None


# ---------------------------------------------------------------------- dev mode


async def test_dev_no_auth_accepts_unsigned_requests_and_replies_without_a_token(teams_noauth_client):
    fake = teams_noauth_client.fake
    resp = await post_activity(teams_noauth_client, personal_message(fake, "help"), auth="")
    assert resp.status == 200
    await settle(teams_noauth_client)
    [call] = fake.calls
    assert "Authorization" not in call.headers
    assert fake.token_requests == [] and fake.jwks_requests == 0


async def test_dev_no_auth_is_logged_at_start(botframework, catalog, clock, caplog):
    from tests.fixtures_teams import _client, teams_settings
    from bot.settings import Secret

    caplog.set_level("INFO")
    settings = teams_settings(botframework, microsoft_app_id="", microsoft_app_password=Secret(""), teams_dev_no_auth=True)
    client = await _client(settings, catalog, clock, botframework)
    await client.close()
    assert "UNAUTHENTICATED" in caplog.text


async def test_teams_is_refused_without_app_id_or_dev_flag(botframework, catalog, clock):
    from tests.fixtures_teams import _client, teams_settings
    from bot.settings import Secret

    settings = teams_settings(botframework, microsoft_app_id="", microsoft_app_password=Secret(""), teams_dev_no_auth=False)
    client = await _client(settings, catalog, clock, botframework)
    try:
        resp = await post_activity(client, personal_message(botframework, "help"))
        assert resp.status == 404
    finally:
        await client.close()
