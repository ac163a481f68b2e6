"""Teams requests that try the adapter's limits: start-up races, double submits, floods,
costly unauthenticated bodies, other tenants and other channels. Each goes through real
HTTP with tokens signed by the fake Bot Framework."""

from __future__ import annotations

import asyncio
import json
import time
from typing import Any

import pytest

from bot.settings import Settings, SettingsError
from tests.bot.test_slack_escalations import VALUES, open_modal
from tests.bot.test_slack_http import post_signed
from tests.fakes.botframework import (
    ONBOARDING_CHANNEL,
    TENANT_ID,
    card_action,
    channel_message,
    new_key,
    personal_message,
)
from tests.fakes.signing import interaction_body, submission
from tests.fixtures_teams import (  # noqa: F401 - fixtures
    botframework,
    make_teams_client,
    post_activity,
    settle,
    teams_adapter,
    teams_client,
    team_on_fake,
    teams_noauth_client,
)

OTHER_TENANT = "0b5e0000-0000-4000-8000-0000000000ff"


async def _until(condition: Any, timeout: float = 5.0) -> None:
    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout
    while not condition():
        assert loop.time() < deadline, "condition not met in time"
        await asyncio.sleep(0.005)


async def test_requests_arriving_while_the_first_key_fetch_is_in_flight_wait_for_it(teams_client):
    fake = teams_client.fake
    keys = teams_adapter(teams_client).authentication.keys
    fake.keys_gate = asyncio.Event()
    entered = 0
    real_get = keys.get

    async def counting_get(key_id: str | None) -> Any:
        nonlocal entered
        entered += 1
        return await real_get(key_id)

    keys.get = counting_get
    posts = [asyncio.create_task(post_activity(teams_client, personal_message(fake, "help"))) for _ in range(10)]
    # Every request is at the key lookup while the one fetch is held open.
    await _until(lambda: entered == 10 or any(p.done() for p in posts))
    fake.keys_gate.set()
    statuses = [r.status for r in await asyncio.gather(*posts)]
    assert statuses == [200] * 10
    assert fake.metadata_requests == 1 and fake.jwks_requests == 1
    await settle(teams_client)
    assert len(fake.calls) == 10


# ----------------------------------------------------------- the token before the body


def _huge_activity(fake: Any) -> dict[str, Any]:
    """About 770 KB: a message with 9,000 mention entities (the SDK deserializes each)."""
    activity = personal_message(fake, "help")
    activity["entities"] = [
        {"type": "mention", "text": f"<at>Person {i}</at>", "mentioned": {"id": f"29:person-{i:05d}", "name": f"Person {i}"}}
        for i in range(9000)
    ]
    return activity


async def test_a_bad_token_is_refused_before_the_body_is_even_read_as_json(teams_client):
    fake = teams_client.fake
    bad = f"Bearer {fake.make_token(key=new_key())}"
    resp = await post_activity(teams_client, b"{this is not json", auth=bad)
    assert resp.status == 401  # not 400: the body was never parsed
    resp = await post_activity(teams_client, b"{this is not json", auth="Bearer x")
    assert resp.status == 401


async def test_a_large_activity_with_a_bad_token_costs_no_parsing(teams_client):
    fake = teams_client.fake
    body = json.dumps(_huge_activity(fake)).encode()
    assert len(body) > 700_000
    timings = []
    for _ in range(3):
        started = time.perf_counter()
        resp = await post_activity(teams_client, body, auth="Bearer x")
        timings.append(time.perf_counter() - started)
        assert resp.status == 401
    # Reading, parsing and deserializing it took 0.3-0.7 s here; refusing the token alone, a few ms.
    assert min(timings) < 0.1, timings
    await settle(teams_client)
    assert fake.calls == []


# ------------------------------------------------------------------ channels and tenants


@pytest.mark.parametrize("channel", ["webchat", "directline", "emulator", "slack", None])
async def test_activities_from_other_channels_are_refused(teams_client, channel):
    fake = teams_client.fake
    activity = personal_message(fake, "team")
    activity["channelId"] = channel
    resp = await post_activity(teams_client, activity)
    assert resp.status == 403
    await settle(teams_client)
    assert fake.calls == []
    assert await teams_client.store.get("teams:ref:a:1personal-chris") is None  # not even remembered


async def test_the_emulator_is_answered_without_auth_in_dev_mode(teams_noauth_client):
    fake = teams_noauth_client.fake
    activity = personal_message(fake, "help")
    activity["channelId"] = "emulator"
    resp = await post_activity(teams_noauth_client, activity, auth="")
    assert resp.status == 200
    await fake.wait_for(count=1)
    activity["channelId"] = "webchat"
    resp = await post_activity(teams_noauth_client, activity, auth="")
    assert resp.status == 403


def _from_tenant(activity: dict[str, Any], tenant: str) -> dict[str, Any]:
    activity["channelData"]["tenant"] = {"id": tenant}
    activity["conversation"]["tenantId"] = tenant
    return activity


async def test_a_single_tenant_bot_answers_its_tenant_only(make_teams_client):
    client = await make_teams_client(microsoft_app_type="SingleTenant", microsoft_app_tenant_id=TENANT_ID)
    fake = client.fake
    other = _from_tenant(channel_message(fake, "<at>AM11 Onboarding</at> team"), OTHER_TENANT)
    resp = await post_activity(client, other)
    assert resp.status == 403
    await settle(client)
    assert fake.calls == []
    # One field naming another tenant is enough to refuse.
    mixed = channel_message(fake, "<at>AM11 Onboarding</at> team")
    mixed["conversation"]["tenantId"] = OTHER_TENANT
    assert (await post_activity(client, mixed)).status == 403
    card = await post_activity(client, _from_tenant(card_action(fake, "team.show"), OTHER_TENANT))
    assert card.status == 403 and "Sanne" not in await card.text()

    resp = await post_activity(client, channel_message(fake, "<at>AM11 Onboarding</at> team"))
    assert resp.status == 200
    [call] = await fake.wait_for(count=1)
    assert "Sanne de Vries" in json.dumps(call.card)


async def test_a_multi_tenant_bot_can_be_given_an_allow_list(make_teams_client):
    client = await make_teams_client(microsoft_allowed_tenants=("11111111-0000-4000-8000-000000000001", TENANT_ID.lower()))
    fake = client.fake
    assert (await post_activity(client, _from_tenant(personal_message(fake, "help"), OTHER_TENANT))).status == 403
    no_tenant = personal_message(fake, "help")
    del no_tenant["channelData"]["tenant"], no_tenant["conversation"]["tenantId"]
    assert (await post_activity(client, no_tenant)).status == 403
    assert (await post_activity(client, personal_message(fake, "help"))).status == 200
    await fake.wait_for(count=1)


async def test_without_tenant_settings_any_tenant_is_answered(teams_client):
    fake = teams_client.fake
    assert (await post_activity(teams_client, _from_tenant(personal_message(fake, "help"), OTHER_TENANT))).status == 200
    await fake.wait_for(count=1)


def test_tenant_settings_are_read_and_single_tenant_needs_its_tenant():
    settings = Settings.from_env({"MICROSOFT_ALLOWED_TENANTS": " AAA-1 , bbb-2,,", "MICROSOFT_APP_ID": "x"})
    assert settings.teams_tenants == frozenset({"aaa-1", "bbb-2"})
    single = Settings.from_env({"MICROSOFT_APP_TYPE": "SingleTenant", "MICROSOFT_APP_TENANT_ID": "T-1", "MICROSOFT_APP_ID": "x",
                                "MICROSOFT_ALLOWED_TENANTS": "other"})
    assert single.teams_tenants == frozenset({"t-1"})
    with pytest.raises(SettingsError, match="MICROSOFT_APP_TENANT_ID"):
        Settings.from_env({"MICROSOFT_APP_TYPE": "SingleTenant", "MICROSOFT_APP_ID": "x"})


# ------------------------------------------------------- the same form, and floods of forms


def _form(**changes: str) -> dict[str, str]:
    return {**VALUES, **changes}


async def _submit(client: Any, values: dict[str, str], **where: Any) -> dict[str, Any]:
    resp = await post_activity(client, card_action(client.fake, "escalation.submit", values, **where))
    assert resp.status == 200
    return await resp.json()


async def test_send_pressed_twice_on_teams_makes_one_escalation(make_teams_client, botframework, catalog):
    client = await make_teams_client(catalog_override=team_on_fake(catalog, botframework))
    fake = client.fake
    first, second = await asyncio.gather(_submit(client, _form()), _submit(client, _form()))
    # Two invokes, two activity ids, one form: one escalation, both told its reference.
    assert "ESC-000001" in json.dumps(first) and "ESC-000001" in json.dumps(second)
    # Sent again a moment later with other spacing and casing: still the same form.
    again = await _submit(client, _form(subject="  cannot BADGE in ", description=VALUES["description"] + "  "))
    assert "ESC-000001" in json.dumps(again)
    assert await client.store.get("seq:esc") == "1"
    [team_card] = await fake.wait_for("send", count=1)
    assert team_card.conversation == ONBOARDING_CHANNEL
    # Another form is another escalation.
    other = await _submit(client, _form(subject="Second badge problem"))
    assert "ESC-000002" in json.dumps(other)


async def test_the_same_form_in_two_slack_modals_makes_one_escalation(slack_client, fake_slack):
    view = await open_modal(slack_client, fake_slack)
    for view_id in ("V1", "V2"):  # two modals, two view ids and hashes: one form
        resp = await post_signed(slack_client, interaction_body(submission(view, VALUES, view_id=view_id, hash_=f"h-{view_id}")))
        assert resp.status == 200
    assert await slack_client.store.get("seq:esc") == "1"


async def test_a_flood_of_different_forms_is_refused_politely_after_five(make_teams_client, botframework, catalog, clock):
    client = await make_teams_client(catalog_override=team_on_fake(catalog, botframework))
    opened = await post_activity(client, card_action(client.fake, "escalate.open"))
    assert (await opened.json())["type"] == "application/vnd.microsoft.card.adaptive"
    bodies = [await _submit(client, _form(subject=f"Badge problem number {i}")) for i in range(30)]
    created = [b for b in bodies if "ESC-" in json.dumps(b)]
    refused = [b for b in bodies if "already sent 5 requests in the last 10 minutes" in json.dumps(b)]
    assert len(created) == 5 and len(refused) == 25
    assert await client.store.get("seq:esc") == "5"
    # Refused: the form comes back as it was filled, the reason under it.
    form = refused[0]["value"]
    assert form["type"] == "AdaptiveCard"
    assert any(el.get("id") == "subject" and el.get("value") == "Badge problem number 5" for el in form["body"])
    # The same form as one already sent is still answered with its escalation, not refused.
    assert "ESC-000001" in json.dumps(await _submit(client, _form(subject="Badge problem number 0")))
    # Someone else is not held back, and the user may send again in the next window.
    other = await _submit(client, _form(subject="Another person"), user="29:customer-dana", aad="aad-dana")
    assert "ESC-000006" in json.dumps(other)
    clock.advance(minutes=10)
    assert "ESC-000007" in json.dumps(await _submit(client, _form(subject="Later problem")))


async def test_the_escalation_limit_is_a_setting(make_teams_client, botframework, catalog):
    client = await make_teams_client(catalog_override=team_on_fake(catalog, botframework),
                                     rate_limit_escalations=0)
    bodies = [await _submit(client, _form(subject=f"Badge problem number {i}")) for i in range(8)]
    assert all("ESC-" in json.dumps(b) for b in bodies)
    assert Settings.from_env({"RATE_LIMIT_ESCALATIONS": "2"}).rate_limit_escalations == 2
    assert Settings.from_env({}).rate_limit_escalations == 5
