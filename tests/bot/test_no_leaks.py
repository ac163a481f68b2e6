"""Secrets and PINs stay out of logs and replies, even at DEBUG level."""

from __future__ import annotations

import json
import logging

from bot.logs import RedactingFilter
from bot.settings import Secret, Settings
from tests.bot.test_slack_http import post_signed
from tests.conftest import BOT_TOKEN, SIGNING_SECRET, _CAPTURED, TYPED_PINS
from tests.fakes.signing import command_body, event_body


def test_secrets_do_not_show_in_repr():
    settings = Settings.from_env({"SLACK_SIGNING_SECRET": SIGNING_SECRET, "SLACK_BOT_TOKEN": BOT_TOKEN,
                                  "MICROSOFT_APP_PASSWORD": "test-app-password-never-logged"})
    text = repr(settings)
    assert SIGNING_SECRET not in text and BOT_TOKEN not in text and "never-logged" not in text
    assert repr(Secret("x")) == "Secret('***')"


def test_the_redacting_filter_masks_secrets_tokens_and_redis_passwords():
    flt = RedactingFilter([SIGNING_SECRET])
    record = logging.LogRecord("x", logging.WARNING, __file__, 1, "auth %s xoxb-123456-abcdef redis://:hunter2@h:6379 %s",
                               (SIGNING_SECRET, "eyJhbGciOiJSUzI1NiJ9.eyJzdWIiOiIxIn0.c2lnbmF0dXJl"), None)
    flt.filter(record)
    message = record.getMessage()
    assert SIGNING_SECRET not in message and "xoxb-123456" not in message and "hunter2" not in message
    assert "eyJhbGciOiJSUzI1NiJ9" not in message


async def test_request_bodies_and_typed_pins_are_not_logged(slack_client, fake_slack):
    start = len(_CAPTURED)
    logging.getLogger().setLevel(logging.DEBUG)
    await post_signed(slack_client, command_body("my pin is 4821, is that right?"))
    event = {"type": "app_mention", "user": "U0CUSTOMER", "text": "<@U0BOT> code 7395 help", "channel": "C0DEMO00001", "ts": "5.5"}
    await post_signed(slack_client, event_body(event, event_id="EvPin"), content_type="application/json")
    await fake_slack.wait_for("chat.postEphemeral")  # the PIN warning is only for the user
    logged = "\n".join(_CAPTURED[start:])
    assert TYPED_PINS.search(logged) is None  # whole numbers: a port such as 34821 is not a PIN
    assert SIGNING_SECRET not in logged and BOT_TOKEN not in logged
    sent = json.dumps([c.args for c in fake_slack.calls])
    assert TYPED_PINS.search(sent) is None
