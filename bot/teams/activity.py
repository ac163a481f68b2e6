"""Reading a Teams activity the way Teams really sends it: where it happened, who wrote,
and what they said to the bot once its mentions are taken out.

Teams does not always say what kind of conversation a message comes from (Microsoft's
own channel-message sample has no ``conversationType``), and a mention's entity text
need not match the ``<at>`` tag in the message (the sample's entity says
``<at>@Name</at>`` where the text says ``<at>Name</at>``). Both are decided here from
everything the activity carries, so the adapter never answers channel chatter as if it
were a personal chat, nor misreads its own name as part of a question.
"""

from __future__ import annotations

import html
import re
from collections.abc import Mapping, Sequence
from typing import Any

from botbuilder.schema import Activity

from bot.teams import NAME
from handlers.turn import ConversationKind, Where

_AT_TAG = re.compile(r"<at\b[^>]*>(.*?)</at\s*>", re.IGNORECASE | re.DOTALL)
_LEADING_AT = re.compile(r"^\s*<at\b[^>]*>.*?</at\s*>", re.IGNORECASE | re.DOTALL)
_MESSAGE_ID = re.compile(r";messageid=.*$", re.IGNORECASE)
_CHANNEL_THREAD = re.compile(r"@thread\.(?:skype|tacv2)\b|;messageid=", re.IGNORECASE)
_KINDS = {"personal": ConversationKind.DIRECT, "groupchat": ConversationKind.GROUP, "channel": ConversationKind.CHANNEL}


def _raw_conversation_id(activity: Activity) -> str:
    return str(activity.conversation.id or "") if activity.conversation is not None else ""


def conversation_id(activity: Activity) -> str:
    """The conversation without the thread suffix Teams adds to channel messages."""
    return _MESSAGE_ID.sub("", _raw_conversation_id(activity))


def _channel_data(activity: Activity) -> dict[str, Any]:
    return activity.channel_data if isinstance(activity.channel_data, dict) else {}


def conversation_kind(activity: Activity) -> ConversationKind:
    """Personal chat, group chat or channel, from everything the activity says.

    A channel: ``conversationType: channel``, or ``channelData.team`` / ``.channel``, or
    (nothing declared) a channel thread's id (``19:…@thread.skype`` / ``@thread.tacv2``,
    ``;messageid=``). A group chat: declared, ``isGroup``, or any other ``19:`` thread.
    A personal chat only when declared and nothing says otherwise, or when nothing at
    all points to a shared conversation: answering chatter in a channel is worse than
    waiting for a mention in a personal chat.
    """
    conversation = activity.conversation
    declared = _KINDS.get(str(getattr(conversation, "conversation_type", "") or "").lower())
    data = _channel_data(activity)
    raw_id = _raw_conversation_id(activity)
    is_group = bool(getattr(conversation, "is_group", False))
    if declared is ConversationKind.CHANNEL or isinstance(data.get("team"), dict) or isinstance(data.get("channel"), dict):
        return ConversationKind.CHANNEL
    if declared is ConversationKind.GROUP:
        return ConversationKind.GROUP
    shared = is_group or raw_id.startswith("19:")
    if declared is ConversationKind.DIRECT and not shared:
        return ConversationKind.DIRECT
    if _CHANNEL_THREAD.search(raw_id):
        return ConversationKind.CHANNEL
    return ConversationKind.GROUP if shared else ConversationKind.DIRECT


def tenant_of(activity: Activity) -> str:
    tenant = _channel_data(activity).get("tenant")
    tenant_id = tenant.get("id") if isinstance(tenant, dict) else ""
    return str(tenant_id or getattr(activity.conversation, "tenant_id", "") or "")


def where_of(activity: Activity) -> Where:
    return Where(NAME, tenant_of(activity), conversation_id(activity), conversation_kind(activity))


def user_of(activity: Activity) -> tuple[str, str]:
    sender = activity.from_property
    if sender is None:
        return "", ""
    return str(sender.aad_object_id or sender.id or ""), str(sender.name or "")


def entities(activity: Activity, kind: str) -> list[dict[str, Any]]:
    """The activity's entities of one type (``mention``, ``clientinfo``), as plain dicts."""
    out = []
    for entity in activity.entities or ():
        if str(getattr(entity, "type", "") or "").lower() == kind:
            out.append(dict(getattr(entity, "additional_properties", None) or {}))
    return out


def locale_of(activity: Activity) -> str | None:
    if activity.locale:
        return str(activity.locale)
    for info in entities(activity, "clientinfo"):
        if info.get("locale"):
            return str(info["locale"])
    return None


def bot_mentions(activity: Activity) -> list[Mapping[str, Any]]:
    """The mention entities that point at the bot (``mentioned.id`` is the recipient's id)."""
    bot_id = activity.recipient.id if activity.recipient is not None else None
    found: list[Mapping[str, Any]] = []
    for mention in entities(activity, "mention"):
        mentioned = mention.get("mentioned") if isinstance(mention.get("mentioned"), dict) else {}
        assert mentioned is not None
        if bot_id and mentioned.get("id") == bot_id:
            found.append(mention)
    return found


def _name_key(text: str) -> str:
    """A mention's name as compared: tags, a leading @, entities, case and spacing ignored."""
    inner = _AT_TAG.sub(r"\1", text)
    inner = html.unescape(inner).strip().lstrip("@")
    return " ".join(inner.split()).casefold()


def strip_mentions(text: str, mentions: Sequence[Mapping[str, Any]]) -> str:
    """The text without the bot's mentions, wherever they are.

    Each mention entity of the bot removes the ``<at>…</at>`` spans naming it (by the
    entity's text or the mentioned name: ``<at>@AM11 Onboarding</at>`` matches
    ``<at>AM11 Onboarding</at>``), else its exact text. When no span could be matched
    (a renamed bot, missing entities), leading ``<at>`` tags are taken for the bot's.
    Other people's mentions keep their name without the tags.
    """
    names = set()
    literal = []
    for mention in mentions:
        entity_text = str(mention.get("text") or "")
        mentioned = mention.get("mentioned") if isinstance(mention.get("mentioned"), dict) else {}
        assert mentioned is not None
        for candidate in (entity_text, str(mentioned.get("name") or "")):
            if _name_key(candidate):
                names.add(_name_key(candidate))
        if entity_text:
            literal.append(entity_text)
    removed = False

    def drop_ours(match: re.Match[str]) -> str:
        nonlocal removed
        if _name_key(match.group(0)) in names:
            removed = True
            return " "
        return match.group(0)

    text = _AT_TAG.sub(drop_ours, text)
    if not removed:
        for entity_text in literal:
            stripped = re.sub(re.escape(entity_text), " ", text, flags=re.IGNORECASE)
            removed = removed or stripped != text
            text = stripped
    if not removed:
        while True:
            stripped = _LEADING_AT.sub(" ", text, count=1)
            if stripped == text:
                break
            text = stripped
    text = _AT_TAG.sub(r"\1", text)
    return " ".join(html.unescape(text).split())


def is_mentioned(activity: Activity, mentions: Sequence[Mapping[str, Any]]) -> bool:
    """Whether the bot was asked: one of its mention entities, or (an activity without
    any mention entity, as some clients send) a message that opens with an ``<at>`` tag."""
    if mentions:
        return True
    return not entities(activity, "mention") and bool(_LEADING_AT.match(activity.text or ""))


def addressable(activity: Activity) -> bool:
    """Whether a reply has somewhere to go: a conversation and a service URL."""
    return bool(conversation_id(activity) and activity.service_url)


def reference_of(activity: Activity) -> dict[str, str]:
    """What a proactive message needs later (``bot.teams.state.ConversationReferences``)."""
    recipient = activity.recipient
    return {
        "service_url": str(activity.service_url or ""),
        "conversation_id": conversation_id(activity),
        "tenant_id": tenant_of(activity),
        "bot_id": str(getattr(recipient, "id", "") or ""),
        "bot_name": str(getattr(recipient, "name", "") or ""),
        "channel_id": str(activity.channel_id or ""),
        "conversation_type": conversation_kind(activity).value,
    }
