"""The Slack app manifest (and, in ``bot.teams.package``, the Teams app package),
generated from the settings so every URL points at this deployment."""

from __future__ import annotations

from typing import Any

import yaml

from bot.settings import Settings
from handlers.catalog import Catalog


def slack_manifest(settings: Settings, catalog: Catalog) -> dict[str, Any]:
    events_url = f"{settings.public_url}/slack/events"
    site = catalog.site.code
    return {
        "display_information": {
            "name": f"{site} Onboarding",
            "description": f"Your account team, the service desk and the onboarding team for {site}.",
            "long_description": (
                f"Helps customers being onboarded to {site} (formerly {catalog.site.former_name}) "
                "while they cannot use the customer portal or the Global Service Desk yet: who handles "
                "what on their account team, how to reach the service desk, how the portal works, and a "
                "direct line to the onboarding team. Answers in English and French."
            ),
            "background_color": "#1f2937",
        },
        "features": {
            "app_home": {
                "home_tab_enabled": True,
                "messages_tab_enabled": True,
                "messages_tab_read_only_enabled": False,
            },
            "bot_user": {"display_name": f"{site.lower()}-onboarding", "always_online": True},
            "slash_commands": [
                {
                    "command": settings.slack_command,
                    "url": events_url,
                    "description": "Account team, service desk, portal, questions, escalations",
                    "usage_hint": "help | team | gsd | ecp | ask <question> | escalate | status | lang fr|en",
                    "should_escape": False,
                }
            ],
            "shortcuts": [
                {
                    "name": "Escalate this message",
                    "type": "message",
                    "callback_id": "escalate_message",
                    "description": "Send this message to the onboarding team",
                }
            ],
        },
        "oauth_config": {
            "scopes": {
                "bot": [
                    "app_mentions:read",
                    "channels:read",
                    "chat:write",
                    "commands",
                    "groups:read",
                    "im:history",
                    "im:read",
                    "im:write",
                    "users:read",
                ]
            }
        },
        "settings": {
            "event_subscriptions": {
                "request_url": events_url,
                "bot_events": ["app_home_opened", "app_mention", "message.im"],
            },
            "interactivity": {"is_enabled": True, "request_url": events_url},
            "org_deploy_enabled": False,
            "socket_mode_enabled": False,
            "token_rotation_enabled": False,
        },
    }


def slack_manifest_yaml(settings: Settings, catalog: Catalog) -> str:
    return yaml.safe_dump(slack_manifest(settings, catalog), sort_keys=False, allow_unicode=True)
