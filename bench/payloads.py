"""What the load generator sends: Slack commands, a button press, a modal submit (all
signed per request with a fresh timestamp, as Slack does), and a Teams message activity
with a Bot Connector bearer token.

Shapes follow ``tests/fakes/signing.py`` and ``tests/bot/test_slack_escalations.py``.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import time
from dataclasses import dataclass, field
from typing import Any, Callable
from urllib.parse import urlencode

SIGNING_SECRET = "bench-signing-secret-0123456789abcdef"
BOT_TOKEN = "xoxb-bench-000000000000-abcdefabcdef"
CUSTOMER_CHANNEL = "C0DEMO00001"
TEAMS_CONVERSATION = "19:demo-acme@thread.tacv2"
FORM = "application/x-www-form-urlencoded"

Check = Callable[[int, bytes], bool]


@dataclass
class Request:
    path: str
    body: bytes
    headers: dict[str, str]


@dataclass
class Scenario:
    """One kind of request. ``make(seq)`` builds request number ``seq``; ``check`` says
    whether the answer is the real one (not an error, not a rate-limit notice)."""

    name: str
    make: Callable[[int], Request]
    check: Check
    e2e: str = ""  # where the fake records the asynchronous answer: respond | connector | cards
    e2e_key: Callable[[int], str] = field(default=lambda seq: "")
    probe_detail: str = ""  # what a correct answer contains, for the error message


def slack_headers(body: bytes, secret: str = SIGNING_SECRET, content_type: str = FORM) -> dict[str, str]:
    ts = str(int(time.time()))
    digest = hmac.new(secret.encode(), b"v0:" + ts.encode() + b":" + body, hashlib.sha256).hexdigest()
    return {"X-Slack-Request-Timestamp": ts, "X-Slack-Signature": f"v0={digest}", "Content-Type": content_type}


def command_body(text: str, *, channel: str = CUSTOMER_CHANNEL, user: str = "U0CUSTOMER",
                 trigger_id: str = "1.2.trigger", response_url: str = "") -> bytes:
    return urlencode({
        "token": "unused", "team_id": "T0DEMO", "team_domain": "demo", "channel_id": channel,
        "channel_name": "acme-onboarding", "user_id": user, "user_name": "cust", "command": "/equinix",
        "text": text, "response_url": response_url, "trigger_id": trigger_id, "api_app_id": "A0APP",
    }).encode()


def interaction_body(payload: dict[str, Any]) -> bytes:
    return urlencode({"payload": json.dumps(payload, separators=(",", ":"))}).encode()


def _contains(*markers: str) -> Check:
    encoded = [m.encode() for m in markers]

    def check(status: int, body: bytes) -> bool:
        return status == 200 and all(m in body for m in encoded)

    return check


def _status_2xx(status: int, body: bytes) -> bool:
    return 200 <= status < 300


def _empty_200(status: int, body: bytes) -> bool:
    return status == 200 and body.strip() in (b"", b"{}", b"null")


# -- Slack ----------------------------------------------------------------------------

def slack_command(name: str, text: str, *markers: str) -> Scenario:
    body = command_body(text)

    def make(seq: int) -> Request:
        return Request("/slack/events", body, slack_headers(body))

    return Scenario(name, make, _contains(*markers), probe_detail=" and ".join(markers))


def slack_button(fake_base: str, tag: str) -> Scenario:
    """``block_actions`` on the ``ob:gsd.show:0`` button; the answer goes to response_url,
    one URL per press so the fake can time each answer."""

    def key(seq: int) -> str:
        return f"{tag}-{seq}"

    def make(seq: int) -> Request:
        ts = f"1700000000.{seq:06d}"
        payload = {
            "type": "block_actions", "team": {"id": "T0DEMO"}, "user": {"id": "U0CUSTOMER", "username": "cust"},
            "api_app_id": "A0APP", "channel": {"id": CUSTOMER_CHANNEL},
            "container": {"type": "message", "channel_id": CUSTOMER_CHANNEL, "message_ts": ts},
            "response_url": f"{fake_base}/respond/{key(seq)}", "trigger_id": f"trig-{seq}",
            "actions": [{"action_id": "ob:gsd.show:0", "value": '{"a":"gsd.show","d":{}}', "type": "button",
                         "block_id": "b1", "action_ts": f"{ts}1"}],
        }
        body = interaction_body(payload)
        return Request("/slack/events", body, slack_headers(body))

    return Scenario("slack button gsd.show", make, _empty_200, e2e="respond", e2e_key=key,
                    probe_detail="an empty 200 ack")


ESC_VALUES = {"category": "site_access", "urgency": "urgent"}


def escalation_submit(view: dict[str, Any], tag: str) -> Scenario:
    """``view_submission`` of the modal the bot opened (captured from views.open), one new
    modal (view id and hash) per submit, with a token the fake finds in the team card."""
    def key(seq: int) -> str:
        return f"{tag}-{seq}"

    def make(seq: int) -> Request:
        token = f"benchtok-{key(seq)}"
        values = {**ESC_VALUES, "subject": f"Cannot badge in {token}",
                  "description": f"Our engineers could not enter the IBX this morning ({token})."}
        state: dict[str, Any] = {}
        for block in view["blocks"]:
            if block.get("type") != "input":
                continue
            element = block["element"]
            value = values.get(element["action_id"], "")
            if element["type"] == "static_select":
                entry = {"type": "static_select", "selected_option": {"value": value} if value else None}
            else:
                entry = {"type": "plain_text_input", "value": value}
            state[block["block_id"]] = {element["action_id"]: entry}
        payload = {
            "type": "view_submission", "team": {"id": "T0DEMO"}, "user": {"id": "U0CUSTOMER", "username": "cust"},
            "api_app_id": "A0APP",
            "view": {**view, "id": f"V{tag}{seq}", "hash": f"h{seq}", "state": {"values": state}},
        }
        body = interaction_body(payload)
        return Request("/slack/events", body, slack_headers(body))

    return Scenario("slack escalation submit", make, _empty_200, e2e="cards", e2e_key=key,
                    probe_detail="an empty 200 ack")


# -- Teams ----------------------------------------------------------------------------

def teams_mention(service_url: str, token: str | None, app_id: str, tag: str, text: str = "team") -> Scenario:
    """A channel message ``@bot team`` with its mention entity, as Teams sends it."""
    bot = {"id": f"28:{app_id}", "name": "Onboarding"}
    mention = f"<at>{bot['name']}</at>"
    auth = {"Authorization": f"Bearer {token}"} if token else {}

    def key(seq: int) -> str:
        return f"{tag}-{seq}"

    def make(seq: int) -> Request:
        activity = {
            "type": "message", "id": key(seq), "timestamp": "2026-11-26T09:30:00.000Z",
            "localTimestamp": "2026-11-26T10:30:00.000+01:00", "serviceUrl": service_url, "channelId": "msteams",
            "from": {"id": "29:bench-user", "name": "Cust Omer", "aadObjectId": "00000000-0000-4000-8000-00000000c057"},
            "conversation": {"id": TEAMS_CONVERSATION, "conversationType": "channel", "isGroup": True,
                             "tenantId": "bench-tenant"},
            "recipient": bot, "textFormat": "plain", "locale": "en-US",
            "text": f"{mention} {text}",
            "entities": [{"type": "mention", "mentioned": bot, "text": mention},
                         {"type": "clientInfo", "locale": "en-US", "country": "NL", "platform": "Web"}],
            "channelData": {"tenant": {"id": "bench-tenant"}, "team": {"id": "19:bench-team@thread.tacv2"},
                            "channel": {"id": TEAMS_CONVERSATION}, "teamsChannelId": TEAMS_CONVERSATION},
        }
        body = json.dumps(activity, separators=(",", ":")).encode()
        return Request("/api/messages", body, {"Content-Type": "application/json", **auth})

    return Scenario("teams @bot team", make, _status_2xx, e2e="connector", e2e_key=key,
                    probe_detail="a 2xx and a reply at the Bot Connector")
