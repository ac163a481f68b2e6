"""Neutral responses as Bot Framework activities (the cards themselves: ``cards.teams``)."""

from __future__ import annotations

from botbuilder.schema import Activity, ActivityTypes, Attachment

from cards import teams as adaptive
from cards.model import Card, Form
from handlers.turn import Reply


def card_activity(card: Card) -> Activity:
    content = adaptive.render_card(card)
    return Activity(
        type=ActivityTypes.message,
        attachments=[Attachment(content_type=adaptive.CONTENT_TYPE, content=content)],
        summary=content.get("fallbackText") or None,
    )


def form_activity(form: Form, errors: dict[str, str] | None = None) -> Activity:
    content = adaptive.render_form(form, errors)
    return Activity(type=ActivityTypes.message, attachments=[Attachment(content_type=adaptive.CONTENT_TYPE, content=content)])


def reply_activity(reply: Reply) -> Activity | None:
    """The reply as a message: its card, else its text as markdown; None when empty."""
    if reply.card is not None:
        return card_activity(reply.card)
    if reply.text.strip():
        return Activity(type=ActivityTypes.message, text=adaptive.markdown_text(reply.text), text_format="markdown")
    return None


__all__ = ["card_activity", "form_activity", "reply_activity"]
