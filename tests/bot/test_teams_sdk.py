"""Where bot/teams goes around the Bot Framework SDK, the SDK still is what it relies on.

Each module that does (authentication, tokens, connector, invoke, sending) says why in
its docstring; these tests fail when an SDK upgrade changes what that reasoning rests
on, so the upgrade is looked at instead of breaking silently. The behaviour itself is
tested through HTTP (test_teams_http.py, test_teams_auth.py).
"""

from __future__ import annotations

import inspect
import re

from botbuilder.core import TurnContext
from botbuilder.core.cloud_adapter_base import CloudAdapterBase
from botbuilder.schema import Activity, AdaptiveCardInvokeResponse, Attachment
from botframework.connector.auth import AuthenticationConstants, BotFrameworkAuthentication, JwtTokenExtractor

from bot.teams.authentication import BOT_CONNECTOR_AUDIENCE, TeamsAuthentication
from bot.teams.connector import ATTACHMENT_FIELDS, BotConnector, payload
from bot.teams.invoke import invoke_answered
from bot.teams.tokens import TOKEN_SCOPE


def test_the_token_extractor_still_reads_its_keys_and_options_from_the_attributes_we_set():
    """``_KeyedTokenExtractor`` skips the SDK's ``__init__`` and sets these two itself."""
    used = set(re.findall(r"self\.(\w+)", inspect.getsource(JwtTokenExtractor)))
    attributes = {name for name in used if not callable(getattr(JwtTokenExtractor, name, None))}
    assert attributes == {"open_id_metadata", "validation_parameters"}


def test_our_authentication_implements_every_method_the_sdk_asks_for():
    assert BotFrameworkAuthentication.__abstractmethods__ == {
        "authenticate_request", "authenticate_streaming_request", "create_connector_factory", "create_user_token_client",
    }
    assert not TeamsAuthentication.__abstractmethods__


def test_the_adapter_calls_no_connector_operation_our_connector_lacks():
    called = set(re.findall(r"\.conversations\.(\w+)", inspect.getsource(CloudAdapterBase)))
    # create_conversation serves CloudAdapterBase.create_conversation, which this bot never calls.
    assert called == {"reply_to_activity", "send_to_conversation", "update_activity", "delete_activity", "create_conversation"}
    assert all(callable(getattr(BotConnector, name, None)) for name in called - {"create_conversation"})


def test_every_attachment_field_of_the_sdk_is_serialized():
    assert {name: spec["key"] for name, spec in Attachment._attribute_map.items()} == ATTACHMENT_FIELDS
    activity_attachment = Attachment(content_type="image/png", content_url="https://x/y.png", name="y.png", thumbnail_url="https://x/t.png")
    activity = Activity(type="message", attachments=[activity_attachment])
    body = payload(activity)
    assert body["attachments"] == [{"contentType": "image/png", "contentUrl": "https://x/y.png", "name": "y.png",
                                    "thumbnailUrl": "https://x/t.png"}]
    assert activity.attachments == [activity_attachment]  # the activity itself is left as it was


def test_tokens_are_asked_for_the_audience_the_sdk_names():
    assert BOT_CONNECTOR_AUDIENCE == AuthenticationConstants.TO_CHANNEL_FROM_BOT_OAUTH_SCOPE == "https://api.botframework.com"
    assert TOKEN_SCOPE == AuthenticationConstants.TO_CHANNEL_FROM_BOT_OAUTH_SCOPE + "/.default"


def test_the_sdks_invoke_response_still_cannot_carry_a_message_and_keeps_its_private_key():
    """If the SDK's type ever takes any JSON value, ``InvokeAnswer`` can go."""
    assert AdaptiveCardInvokeResponse._attribute_map["value"]["type"] == "{object}"
    assert TurnContext._INVOKE_RESPONSE_KEY == "BotFrameworkAdapter.InvokeResponse"
    assert "_INVOKE_RESPONSE_KEY" in inspect.getsource(CloudAdapterBase)

    class Context:
        turn_state = {TurnContext._INVOKE_RESPONSE_KEY: object()}

    assert invoke_answered(Context())  # type: ignore[arg-type]


def test_send_activities_does_no_more_than_what_sending_skips():
    """``bot.teams.sending`` skips the deep copy, the hooks and the validator's two fields."""
    source = inspect.getsource(TurnContext.send_activities)
    assert "deepcopy(act)" in source and "self._emit(self._on_send_activities" in source
    assert set(re.findall(r"activity\.(\w+) = ", source)) == {"type", "input_hint", "id"}
    assert "self.adapter.send_activities" in source
