"""Hostile input on the Slack endpoint: properly signed garbage must never cause a 5xx.

Signed, because an unsigned request stops at the signature check (tested elsewhere);
what matters here is everything behind it.
"""

from __future__ import annotations

import json
from urllib.parse import urlencode

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.bot.test_slack_http import post_signed

pytestmark = pytest.mark.usefixtures("no_bug_in_slack")  # and no exception in the bot's own code (conftest)

JSON = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(max_size=50),
    lambda children: st.lists(children, max_size=4) | st.dictionaries(st.text(max_size=10), children, max_size=4),
    max_leaves=20,
)
KEYS = st.sampled_from(["type", "event", "actions", "view", "user", "team", "channel", "container", "text",
                        "command", "channel_id", "user_id", "team_id", "trigger_id", "response_url", "payload",
                        "callback_id", "message", "private_metadata", "state", "event_id", "challenge"])
SHAPED = st.dictionaries(KEYS, JSON, max_size=8)
TYPES = st.sampled_from(["block_actions", "view_submission", "view_closed", "message_action", "shortcut",
                         "event_callback", "url_verification", "app_mention", "message", "app_home_opened", "x"])

FUZZ = settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])


async def _ok(client, body: str, content_type: str) -> None:
    resp = await post_signed(client, body, content_type=content_type)
    assert resp.status < 500, (resp.status, body[:300])


@FUZZ
@given(fields=st.dictionaries(KEYS, st.text(max_size=200), max_size=10))
async def test_form_encoded_commands(slack_client, fields):
    fields.setdefault("command", "/equinix")
    await _ok(slack_client, urlencode(fields), "application/x-www-form-urlencoded")


@FUZZ
@given(payload=SHAPED, kind=TYPES)
async def test_interactivity_payloads(slack_client, payload, kind):
    payload["type"] = kind
    await _ok(slack_client, urlencode({"payload": json.dumps(payload)}), "application/x-www-form-urlencoded")


@FUZZ
@given(event=SHAPED, kind=TYPES, outer=SHAPED)
async def test_event_callbacks(slack_client, event, kind, outer):
    event["type"] = kind
    body = {**outer, "type": "event_callback", "event": event}
    await _ok(slack_client, json.dumps(body), "application/json")


@FUZZ
@given(raw=st.binary(max_size=500))
async def test_raw_bytes(slack_client, raw):
    from tests.conftest import SIGNING_SECRET
    from tests.fakes.signing import slack_headers

    headers = slack_headers(SIGNING_SECRET, raw.decode("utf-8", errors="replace"), content_type="application/json")
    resp = await slack_client.post("/slack/events", data=raw, headers=headers)
    assert resp.status < 500


async def test_deeply_nested_json(slack_client):
    depth = 100_000  # far past Python's recursion limit, well under the 1 MiB body limit
    body = '{"type": "event_callback", "event": {"type": "app_mention", "text": ' + "[" * depth + "]" * depth + "}}"
    await _ok(slack_client, body, "application/json")


async def test_block_action_shapes_that_are_almost_right(slack_client, fake_slack):
    for actions in ([], [{}], [{"action_id": 5, "value": None}], [{"action_id": "ob:x:0", "value": "{not json"}],
                    "nope", [{"action_id": "ob:gsd.show:0", "value": json.dumps({"a": "gsd.show", "d": [1]})}]):
        payload = {"type": "block_actions", "team": {"id": "T0DEMO"}, "user": {"id": "U1"}, "actions": actions,
                   "container": {"type": "message"}, "response_url": fake_slack.response_url()}
        await _ok(slack_client, urlencode({"payload": json.dumps(payload)}), "application/x-www-form-urlencoded")


async def test_unsigned_garbage_is_refused_before_anything_else(slack_client, fake_slack):
    for body in ("payload=", "payload=%7Bnot", '{"type": ' + "[" * 5000):
        resp = await slack_client.post("/slack/events", data=body, headers={"Content-Type": "application/x-www-form-urlencoded"})
        assert resp.status == 401
    assert fake_slack.calls == []


@FUZZ
@given(challenge=st.text(max_size=100), extra=SHAPED)
async def test_url_verification_variants(slack_client, challenge, extra):
    body = {**extra, "type": "url_verification", "challenge": challenge}
    await _ok(slack_client, json.dumps(body), "application/json")
