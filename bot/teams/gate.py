"""Which authenticated Teams activities this deployment answers at all: its channel and tenants.

A Bot Framework token says the Bot Framework sent the request to this bot; it says
nothing of the tenant, and the same bot registration can be reached from other
channels (Web Chat, Direct Line) with tokens just as valid. These checks run on the
parsed body, before the SDK deserializes the activity or any turn starts.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

TEAMS_CHANNEL = "msteams"
EMULATOR_CHANNEL = "emulator"


def raw_tenants(body: Mapping[str, Any]) -> set[str]:
    """Every tenant id the activity names (``channelData.tenant.id``, ``conversation.tenantId``), lower-cased."""
    found: set[str] = set()
    data = body.get("channelData")
    if isinstance(data, dict) and isinstance(data.get("tenant"), dict):
        tenant = data["tenant"].get("id")
        if isinstance(tenant, str) and tenant:
            found.add(tenant.lower())
    conversation = body.get("conversation")
    if isinstance(conversation, dict):
        tenant = conversation.get("tenantId")
        if isinstance(tenant, str) and tenant:
            found.add(tenant.lower())
    return found


def refusal(body: Mapping[str, Any], *, emulator_allowed: bool, tenants: frozenset[str]) -> tuple[str, str] | None:
    """``(reason, message)`` when the activity is not for this deployment, else None.

    Only ``msteams`` is served; ``emulator`` too when Teams runs without authentication
    for the Bot Framework Emulator. With ``tenants`` (single-tenant app, or
    ``MICROSOFT_ALLOWED_TENANTS``), every tenant the activity names must be one of them,
    and an activity naming none is refused.
    """
    channel = body.get("channelId")
    allowed = (TEAMS_CHANNEL, EMULATOR_CHANNEL) if emulator_allowed else (TEAMS_CHANNEL,)
    if channel not in allowed:
        return "channel", "this bot serves Microsoft Teams activities only"
    if tenants:
        named = raw_tenants(body)
        if not named or not named <= tenants:
            return "tenant", "this bot does not serve this tenant"
    return None
