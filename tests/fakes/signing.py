"""Slack request signing exactly as Slack does it (v0 HMAC-SHA256 over "v0:ts:body")."""

from __future__ import annotations

import hashlib
import hmac
import json
import time
from typing import Any
from urllib.parse import urlencode


def slack_headers(secret: str, body: str, *, timestamp: int | None = None, content_type: str = "application/x-www-form-urlencoded") -> dict[str, str]:
    ts = str(int(time.time()) if timestamp is None else timestamp)
    digest = hmac.new(secret.encode(), f"v0:{ts}:{body}".encode(), hashlib.sha256).hexdigest()
    return {
        "X-Slack-Request-Timestamp": ts,
        "X-Slack-Signature": f"v0={digest}",
        "Content-Type": content_type,
    }


def command_body(text: str, *, channel: str = "C0DEMO00001", user: str = "U0CUSTOMER", team: str = "T0DEMO",
                 response_url: str = "", trigger_id: str = "1.2.trigger", command: str = "/equinix") -> str:
    return urlencode({
        "token": "unused", "team_id": team, "team_domain": "demo", "channel_id": channel,
        "channel_name": "directmessage" if channel.startswith("D") else "acme-onboarding",
        "user_id": user, "user_name": "cust", "command": command, "text": text,
        "response_url": response_url, "trigger_id": trigger_id, "api_app_id": "A0APP",
    })


def interaction_body(payload: dict[str, Any]) -> str:
    return urlencode({"payload": json.dumps(payload)})


def event_body(event: dict[str, Any], *, event_id: str = "Ev0001", team: str = "T0DEMO") -> str:
    return json.dumps({
        "token": "unused", "team_id": team, "api_app_id": "A0APP", "type": "event_callback",
        "event_id": event_id, "event_time": int(time.time()), "event": event,
        "authorizations": [{"team_id": team, "user_id": "U0BOT", "is_bot": True}],
    })


def submission(view: dict[str, Any], values: dict[str, str], *, user: str = "U0CUSTOMER", view_id: str = "V1",
               hash_: str = "h1") -> dict[str, Any]:
    """What Slack sends when the user submits the modal the bot opened (``view`` as the
    bot sent it to views.open), with ``values`` typed or picked in its inputs."""
    state: dict[str, Any] = {}
    for block in view["blocks"]:
        if block["type"] != "input":
            continue
        element = block["element"]
        value = values.get(element["action_id"], "")
        if element["type"] == "static_select":
            entry = {"type": "static_select", "selected_option": {"value": value} if value else None}
        else:
            entry = {"type": "plain_text_input", "value": value}
        state[block["block_id"]] = {element["action_id"]: entry}
    return {
        "type": "view_submission", "team": {"id": "T0DEMO"}, "user": {"id": user, "username": user.lower()},
        "view": {**view, "id": view_id, "hash": hash_, "state": {"values": state}},
    }
