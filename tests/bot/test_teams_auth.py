"""Bot Framework authentication on /api/messages: every bad token is a 401 and nothing is
sent; good tokens work across key rotation without hammering the key endpoint."""

from __future__ import annotations

import time

import jwt
import pytest

from tests.fakes.botframework import card_action, channel_message, new_key, personal_message
from tests.fixtures_teams import botframework, post_activity, settle, teams_adapter, teams_client  # noqa: F401 - fixtures


def _hs256_with_public_key(fake) -> str:
    """Algorithm confusion: HS256 'signed' with the published public key as the secret."""
    from cryptography.hazmat.primitives import serialization

    pem = fake.key.public_key().public_bytes(serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo)
    payload = jwt.decode(fake.make_token(), options={"verify_signature": False})
    import base64, hashlib, hmac, json  # noqa: E401 - hand-made, PyJWT refuses to sign this

    def b64(data: bytes) -> str:
        return base64.urlsafe_b64encode(data).rstrip(b"=").decode()

    head = b64(json.dumps({"alg": "HS256", "typ": "JWT", "kid": fake.kid}).encode())
    body = b64(json.dumps(payload).encode())
    sig = b64(hmac.new(pem, f"{head}.{body}".encode(), hashlib.sha256).digest())
    return f"{head}.{body}.{sig}"


def _unsigned(fake) -> str:
    payload = jwt.decode(fake.make_token(), options={"verify_signature": False})
    return jwt.encode(payload, key=None, algorithm="none", headers={"kid": fake.kid})


BAD_AUTH = {
    "missing-header": lambda fake: "",
    "wrong-audience": lambda fake: f"Bearer {fake.make_token(audience='11111111-2222-3333-4444-555555555555')}",
    "wrong-issuer": lambda fake: f"Bearer {fake.make_token(issuer='https://sts.windows.net/attacker/')}",
    "bad-signature": lambda fake: f"Bearer {fake.make_token(key=new_key())}",
    "expired": lambda fake: f"Bearer {fake.make_token(expires_in=-3600)}",
    "not-yet-valid": lambda fake: f"Bearer {fake.make_token(not_before=3600)}",
    "no-expiry": lambda fake: f"Bearer {fake.make_token(drop=('exp',))}",
    "unknown-kid": lambda fake: f"Bearer {fake.make_token(kid='never-published', key=new_key())}",
    "no-kid": lambda fake: "Bearer " + jwt.encode({"iss": "https://api.botframework.com", "aud": fake.app_id, "exp": int(time.time()) + 600, "serviceurl": fake.service_url}, fake.key, algorithm="RS256"),
    "serviceurl-mismatch": lambda fake: f"Bearer {fake.make_token(service_url='https://evil.example.com/teams/')}",
    "serviceurl-missing": lambda fake: f"Bearer {fake.make_token(drop=('serviceurl',))}",
    "garbage": lambda fake: "Bearer not-a-token",
    "garbage-three-parts": lambda fake: "Bearer aaaa.bbbb.cccc",
    "empty-bearer": lambda fake: "Bearer ",
    "basic-scheme": lambda fake: f"Basic {fake.make_token()}",
    "no-scheme": lambda fake: fake.make_token(),
    "alg-none": lambda fake: f"Bearer {_unsigned(fake)}",
    "alg-hs256-confusion": lambda fake: f"Bearer {_hs256_with_public_key(fake)}",
}


@pytest.mark.parametrize("case", list(BAD_AUTH), ids=list(BAD_AUTH))
async def test_bad_tokens_are_401_and_nothing_is_sent(teams_client, case, caplog):
    fake = teams_client.fake
    auth = BAD_AUTH[case](fake)
    resp = await post_activity(teams_client, channel_message(fake, "<at>AM11 Onboarding</at> team"), auth=auth)
    assert resp.status == 401
    assert await resp.json() == {"error": "unauthorized"}
    await settle(teams_client)
    assert fake.calls == [] and fake.refused == []
    assert fake.token_requests == []  # not even a token was fetched to reply
    secret_part = auth.split(" ")[-1]
    if len(secret_part) > 20:
        assert secret_part not in caplog.text  # tokens never logged
    metrics = await (await teams_client.get("/metrics")).text()
    assert 'bot_rejected_total{platform="teams",reason="auth"} 1.0' in metrics


async def test_bad_token_on_an_invoke_gets_no_card(teams_client):
    fake = teams_client.fake
    resp = await post_activity(teams_client, card_action(fake, "team.show"), token=fake.make_token(expires_in=-3600))
    assert resp.status == 401
    assert "Sanne" not in await resp.text()


async def test_activity_serviceurl_changed_after_signing_is_refused(teams_client):
    """A replayed token with the activity pointed at another connector: the reply would go there."""
    fake = teams_client.fake
    activity = personal_message(fake, "team")
    activity["serviceUrl"] = "https://evil.example.com/teams/"
    resp = await post_activity(teams_client, activity)
    assert resp.status == 401


async def test_key_without_the_channel_endorsement_is_refused(teams_client):
    fake = teams_client.fake
    key = new_key()
    fake.publish("webchat-only", key, ["webchat"])
    resp = await post_activity(teams_client, personal_message(fake, "help"), token=fake.make_token(kid="webchat-only", key=key))
    assert resp.status == 401


async def test_clock_skew_of_a_few_minutes_is_tolerated(teams_client):
    fake = teams_client.fake
    resp = await post_activity(teams_client, personal_message(fake, "help"), token=fake.make_token(expires_in=-120))
    assert resp.status == 200


async def test_good_token_is_accepted_and_keys_are_fetched_once(teams_client):
    fake = teams_client.fake
    for text in ("help", "gsd", "team"):
        resp = await post_activity(teams_client, personal_message(fake, text))
        assert resp.status == 200
    await settle(teams_client)
    assert len(fake.calls) == 3
    assert fake.metadata_requests == 1 and fake.jwks_requests == 1


async def test_rotated_key_is_picked_up_and_unknown_kids_refresh_at_most_once_a_minute(teams_client):
    fake = teams_client.fake
    keys = teams_adapter(teams_client).authentication.keys
    now = [keys.clock()]
    keys.clock = lambda: now[0]
    assert (await post_activity(teams_client, personal_message(fake, "help"))).status == 200
    assert fake.jwks_requests == 1

    rotated = new_key()
    fake.publish("fake-key-2", rotated)
    rotated_token = fake.make_token(kid="fake-key-2", key=rotated)
    resp = await post_activity(teams_client, personal_message(fake, "help"), token=rotated_token)
    assert resp.status == 401  # fetched less than a minute ago: not yet
    assert fake.jwks_requests == 1

    now[0] += 61
    resp = await post_activity(teams_client, personal_message(fake, "help"), token=rotated_token)
    assert resp.status == 200
    assert fake.jwks_requests == 2

    for _ in range(5):  # forged key ids must not each cost a fetch
        resp = await post_activity(teams_client, personal_message(fake, "help"), token=fake.make_token(kid="forged", key=new_key()))
        assert resp.status == 401
    assert fake.jwks_requests == 2

    now[0] += 61
    resp = await post_activity(teams_client, personal_message(fake, "help"), token=fake.make_token(kid="forged", key=new_key()))
    assert resp.status == 401
    assert fake.jwks_requests == 3


async def test_key_endpoint_down_is_401_not_500_without_a_fetch_per_request_then_recovers(teams_client):
    fake = teams_client.fake
    keys = teams_adapter(teams_client).authentication.keys
    now = [keys.clock()]
    keys.clock = lambda: now[0]
    fake.keys_down = True
    for _ in range(5):
        resp = await post_activity(teams_client, personal_message(fake, "help"))
        assert resp.status == 401
    assert fake.metadata_requests == 1
    fake.keys_down = False
    now[0] += 11  # with no key at all, the next try comes sooner than a minute
    resp = await post_activity(teams_client, personal_message(fake, "help"))
    assert resp.status == 200
    assert fake.metadata_requests == 2


async def test_tokens_for_replies_come_from_the_token_endpoint_not_a_bypass(teams_client):
    """The fake connector refuses any bearer token its token endpoint did not issue."""
    fake = teams_client.fake
    resp = await post_activity(teams_client, personal_message(fake, "help"))
    assert resp.status == 200
    await settle(teams_client)
    [call] = fake.calls
    assert call.headers["Authorization"].removeprefix("Bearer ") in fake.issued
    assert fake.refused == []


async def test_bot_credentials_refused_means_no_reply_but_no_500_and_no_token_storm(teams_client, caplog):
    fake = teams_client.fake
    fake.password = "rotated-elsewhere"  # our MICROSOFT_APP_PASSWORD no longer works
    for text in ("help", "gsd", "team"):
        resp = await post_activity(teams_client, personal_message(fake, text))
        assert resp.status == 200
    await settle(teams_client)
    assert fake.calls == [] and len(fake.token_requests) == 1
    assert "the token endpoint refused the bot's credentials: HTTP 401 invalid_client" in caplog.text
    assert "rotated-elsewhere" not in caplog.text and "test-app-password" not in caplog.text
