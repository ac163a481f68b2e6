"""Hostile input on /api/messages: authenticated garbage never causes a 5xx or a crash,
and unauthenticated garbage never gets a reply.

Tokens are valid (signed with the fake Bot Framework's key) so that everything behind
authentication is exercised; the serviceUrl claim matches whatever the activity says.
"""

from __future__ import annotations

import json

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.fakes.botframework import channel_message
from tests.fixtures_teams import botframework, post_activity, teams_client  # noqa: F401

pytestmark = pytest.mark.usefixtures("no_bug_in_teams")  # and no exception in the bot's own code (conftest)

JSON = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(max_size=40),
    lambda children: st.lists(children, max_size=4) | st.dictionaries(st.text(max_size=10), children, max_size=4),
    max_leaves=20,
)
FIELDS = st.sampled_from(["type", "id", "text", "value", "name", "from", "conversation", "recipient", "channelData",
                          "entities", "membersAdded", "action", "locale", "replyToId", "attachments", "channelId"])
TYPES = st.sampled_from(["message", "invoke", "conversationUpdate", "installationUpdate", "messageReaction",
                         "typing", "event", "endOfConversation", "messageUpdate", "messageDelete", "", "x" * 300])
FUZZ = settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])


@FUZZ
@given(kind=TYPES, changes=st.dictionaries(FIELDS, JSON, max_size=6), drop=st.lists(FIELDS, max_size=4))
async def test_activities_of_every_type_with_wrong_or_missing_fields(teams_client, kind, changes, drop):  # noqa: F811
    fake = teams_client.fake
    activity = channel_message(fake, "<at>AM11 Onboarding</at> team")
    activity["type"] = kind
    activity.update(changes)
    for name in drop:
        activity.pop(name, None)
    activity["serviceUrl"] = fake.service_url  # keeps the token's serviceurl claim matching
    resp = await post_activity(teams_client, activity)
    assert resp.status < 500, (resp.status, json.dumps(activity)[:300])


@FUZZ
@given(raw=st.binary(max_size=400))
async def test_raw_bytes_including_invalid_utf8(teams_client, raw):  # noqa: F811
    resp = await post_activity(teams_client, raw)
    assert resp.status < 500


async def test_huge_strings_and_deep_nesting(teams_client):  # noqa: F811
    fake = teams_client.fake
    activity = channel_message(fake, "<at>AM11 Onboarding</at> " + "team " * 150_000)  # ~750 KB of text
    assert (await post_activity(teams_client, activity)).status < 500
    depth = 100_000
    body = '{"type": "message", "serviceUrl": "' + fake.service_url + '", "text": ' + "[" * depth + "]" * depth + "}"
    assert (await post_activity(teams_client, body)).status < 500


@FUZZ
@given(kind=TYPES, changes=st.dictionaries(FIELDS, JSON, max_size=4))
async def test_unauthenticated_garbage_is_refused_and_never_answered(teams_client, kind, changes):  # noqa: F811
    fake = teams_client.fake
    activity = channel_message(fake, "<at>AM11 Onboarding</at> team")
    activity["type"] = kind
    activity.update(changes)
    before = len(fake.calls)
    resp = await post_activity(teams_client, activity, auth="")
    assert resp.status == 401
    assert len(fake.calls) == before


async def test_oversized_body_is_refused_with_413_before_auth(teams_client):  # noqa: F811
    fake = teams_client.fake
    body = b'{"type": "message", "text": "' + b"x" * (1024 * 1024 + 10) + b'"}'
    resp = await post_activity(teams_client, body)
    assert resp.status == 413
    assert fake.calls == []
