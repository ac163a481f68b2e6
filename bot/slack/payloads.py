"""Reading Slack payloads into neutral terms, and the small shapes Slack wants back.

Pure functions over the JSON Slack sends: no client, no store, no bolt."""

from __future__ import annotations

import re
from collections.abc import Callable, Hashable
from typing import Any, TypeVar

from bot.slack import NAME
from cards import slack as blockkit
from cards.model import Card
from cards.text import readable
from handlers.turn import ConversationKind, Where

OUR_CALLBACK = re.compile(r"^ob:")
WHERE_KEY = "_where"  # carried through a modal's private_metadata: where the form was opened
_MENTION = re.compile(r"<@[A-Z0-9]+(?:\|[^>]*)?>")

USER_TEXT_SUBTYPES = frozenset({"", "file_share", "thread_broadcast"})
"""Message subtypes that carry what a person wrote (a file with a message, a thread reply
also sent to the conversation); edits, deletions and bot messages are not for us."""
IGNORED_EVENTS = ("member_joined_channel", "app_uninstalled", "tokens_revoked")
"""Events Slack sends this app (``app_uninstalled`` and ``tokens_revoked`` go to every app
with events on) that need no answer: listened to, so bolt's "Unhandled request" warning
is left for what is really unexpected."""


def user_team(body: dict[str, Any]) -> str:
    """The workspace of the person behind an interactive payload, read the same way for
    every kind: ``team.id``, else (an org-wide install sends ``team: null``) the user's own
    ``team_id``, else the payload's ``team_id``. The user's language is kept under it."""
    team = body.get("team")
    user = body.get("user")
    found = (team.get("id") if isinstance(team, dict) else None) or (user.get("team_id") if isinstance(user, dict) else None)
    return str(found or body.get("team_id") or "")


def conversation_kind(channel: str, channel_type: str | None = None) -> ConversationKind:
    if channel_type == "im" or channel.startswith("D"):
        return ConversationKind.DIRECT
    if channel_type in ("mpim", "group") or channel.startswith("G"):
        return ConversationKind.GROUP
    return ConversationKind.CHANNEL


def text_blocks(text: str) -> dict[str, Any]:
    """A plain reply (no card) as a message: sections of mrkdwn, and a notification text."""
    blocks = [{"type": "section", "text": {"type": "mrkdwn", "text": chunk}} for chunk in blockkit.mrkdwn_chunks(text)]
    return {"text": readable(text)[:3000], "blocks": blocks[:50]}


_T = TypeVar("_T")


def kept_for(cache: dict[Hashable, tuple[Card, _T]], key: Hashable, card: Card, build: Callable[[], _T]) -> _T:
    """``build()``'s result for ``card``, built once: ``key`` holds the card's identity,
    and the entry holds the card itself so the identity cannot be reused while kept."""
    kept = cache.get(key)
    if kept is None or kept[0] is not card:
        if len(cache) >= 1024:
            cache.clear()
        kept = cache[key] = (card, build())
    return kept[1]


def first_input_block(body: Any) -> str | None:
    """The block id of a submitted modal's first input, where an error can be shown."""
    view = body.get("view") if isinstance(body, dict) else None
    blocks = view.get("blocks") if isinstance(view, dict) else None
    for block in blocks if isinstance(blocks, list) else ():
        if isinstance(block, dict) and block.get("type") == "input" and isinstance(block.get("block_id"), str):
            return block["block_id"]
    return None


def request_header(headers: dict[str, str], name: str) -> str:
    """A header by its lower-case name, whatever case the client sent it in."""
    value = headers.get(name)
    if value is None:
        value = next((v for k, v in headers.items() if k.lower() == name), "")
    return value


def strip_mentions(text: str) -> str:
    return " ".join(_MENTION.sub(" ", text).split())


def where_from(raw: str, team: str, user: str) -> Where:
    """Where a modal was opened, from what ``WHERE_KEY`` carried (the user's DM if nothing)."""
    kind_name, _, conversation = raw.partition("|")
    try:
        kind = ConversationKind(kind_name)
    except ValueError:
        kind = ConversationKind.DIRECT
    return Where(NAME, team, conversation or user, kind if conversation else ConversationKind.DIRECT)


def where_of(where: Where) -> str:
    """What ``where_from`` reads back."""
    return f"{where.kind.value}|{where.conversation}"


def action_where(body: dict[str, Any]) -> tuple[str, str, str, bool]:
    """A button press's team, user, channel (empty on App Home) and whether it was on App Home."""
    container = body.get("container") or {}
    channel = str((body.get("channel") or {}).get("id", "") or container.get("channel_id", ""))
    on_home = container.get("type") == "view" and (body.get("view") or {}).get("type") == "home"
    return user_team(body), str((body.get("user") or {}).get("id", "")), channel, on_home


__all__ = [
    "IGNORED_EVENTS", "OUR_CALLBACK", "USER_TEXT_SUBTYPES", "WHERE_KEY", "action_where", "conversation_kind",
    "first_input_block", "kept_for", "request_header", "strip_mentions", "text_blocks", "user_team", "where_from",
    "where_of",
]
