"""Slack: the platform package (``bot.platform.Platform``).

``platform`` receives ``POST /slack/events`` and answers through the turn pipeline;
``answers`` shows each kind of response the Slack way; ``bolt`` is where bolt's defaults
are replaced; ``web`` the Web API client, its errors and the outbox's notifier;
``locales`` the users' languages; ``payloads`` pure reading of Slack's JSON. Importing
this package imports none of them, so a server without Slack never loads bolt.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from bot.settings import Settings

if TYPE_CHECKING:
    from bot.slack.platform import SlackPlatform

NAME = "slack"
"""This platform's name: in turns, metrics, store keys, and the keys of ``config/``
(links, member ids, team targets)."""


def command_format(settings: Settings) -> str:
    """How a user types a command here, for the handlers to show: the slash command as
    inline code."""
    return f"`{settings.slack_command} {{words}}`"


def configured(settings: Settings) -> SlackPlatform | None:
    """Slack, when its signing secret and bot token are set."""
    if not settings.slack_enabled:
        return None
    from bot.slack.platform import SlackPlatform

    return SlackPlatform(settings)
