"""Slack Block Kit rendering of the neutral card model, and parsing of what Slack sends back.

Everything here is a pure function from model objects to plain dicts (or back), so the
Slack adapter owns all I/O and tests can compare outputs exactly. Slack's documented
limits are enforced here rather than left to the API: text that would be rejected is
split or truncated where that keeps the meaning (long paragraphs, labels), and a
``ValueError`` is raised where it would not (a button payload that cannot round-trip,
a message with more blocks than Slack accepts), so a bad card fails in tests, not in
front of a customer.

Identifiers we own:

* action buttons: ``action_id = "ob:<action>:<index>"``, ``value`` = compact JSON
  ``{"a": action, "d": data}``; the index only makes ids unique within a message or
  home view, the value is what ``parse_action`` trusts;
* link buttons: ``action_id = "ob-link:<index>"`` and no value: Slack still sends a
  ``block_actions`` event that must be acknowledged, but there is nothing to run, see
  ``is_link_action``;
* modals: ``callback_id = "ob:<action>"``, ``private_metadata`` = JSON of ``form.data``,
  and each input's ``block_id`` and ``action_id`` are the input's ``id``.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from typing import Any

from cards.model import (
    Button,
    Card,
    Contact,
    Divider,
    Fields,
    Form,
    Note,
    SelectInput,
    Style,
    Text,
    TextInput,
)
from cards.slack_mrkdwn import (
    ELLIPSIS,
    ZWSP,
    esc,
    esc_url,
    line_mrkdwn,
    mrkdwn_block,
    mrkdwn_chunks,
    mrkdwn_fit,
    plain_line,
    plain_text,
    truncate,
)
from cards.slack_parse import ACTION_PREFIX, LINK_PREFIX, is_link_action, parse_action, parse_view_submission
from cards.text import SHRINK_STEPS, Span, button_rows, parse_inline, render_text, shortened
from cards.typography import phone_label, tel_uri

__all__ = (
    "is_link_action",
    "mrkdwn_chunks",
    "parse_action",
    "parse_view_submission",
    "render_home",
    "render_message",
    "render_modal",
)

# Documented Block Kit limits (api.slack.com/reference/block-kit), in characters.
MAX_MESSAGE_BLOCKS = 50
MAX_VIEW_BLOCKS = 100
MAX_HEADER = 150
MAX_SECTION_TEXT = 3000  # also in cards.slack_mrkdwn, which cuts text to it
MAX_CONTEXT_TEXT = 2000
MAX_FIELD_TEXT = 2000
MAX_FIELDS = 10
MAX_BUTTON_TEXT = 75
MAX_BUTTON_VALUE = 2000
MAX_URL = 3000
MAX_ACTION_ID = 255
MAX_VIEW_TEXT = 24
MAX_CALLBACK_ID = 255
MAX_PRIVATE_METADATA = 3000
MAX_LABEL = 2000
MAX_PLACEHOLDER = 150
MAX_OPTION_TEXT = 75
MAX_OPTION_VALUE = 150
MAX_OPTIONS = 100
MAX_INPUT_LENGTH = 3000
MAX_FALLBACK_TEXT = 4000
# Five buttons per actions block: Slack allows 25, but a row wider than five wraps
# unpredictably on narrow clients and stops reading as one group.
BUTTONS_PER_ROW = 5
# Width of a message's content column on a laptop-sized Slack window, in pixels.
ROW_BUDGET_PX = 590




# ------------------------------------------------------------------------ buttons


def _string_map(data: Mapping[str, str], what: str) -> dict[str, str]:
    """``data`` as a plain dict, checked: it is serialised and must come back equal."""
    out: dict[str, str] = {}
    for k, v in data.items():
        if not isinstance(k, str) or not isinstance(v, str):
            raise ValueError(f"{what}: data must map str to str, got {k!r}: {v!r}")
        out[k] = v
    return out


def _button(button: Button, index: str) -> dict[str, Any]:
    """One button element; ``index`` makes its action_id unique in the surface."""
    el: dict[str, Any] = {"type": "button", "text": plain_text(button.label, MAX_BUTTON_TEXT)}
    if button.url:
        if len(button.url) > MAX_URL:
            raise ValueError(f"button {button.label!r}: url is {len(button.url)} characters, Slack allows {MAX_URL}")
        el["action_id"] = f"{LINK_PREFIX}{index}"
        el["url"] = button.url
    elif button.action:
        action_id = f"{ACTION_PREFIX}{button.action}:{index}"
        if len(action_id) > MAX_ACTION_ID:
            raise ValueError(f"button {button.label!r}: action_id {action_id[:40]!r}… is over {MAX_ACTION_ID} characters")
        value = json.dumps(
            {"a": button.action, "d": _string_map(button.data, f"button {button.label!r}")},
            ensure_ascii=False,
            separators=(",", ":"),
        )
        if len(value) > MAX_BUTTON_VALUE:
            raise ValueError(
                f"button {button.label!r}: value is {len(value)} characters, Slack allows {MAX_BUTTON_VALUE}; "
                "keep button data to ids, not content"
            )
        el["action_id"] = action_id
        el["value"] = value
    else:
        raise ValueError(f"button {button.label!r} has neither an action nor a url")
    if button.style is Style.PRIMARY:
        el["style"] = "primary"
    elif button.style is Style.DANGER:
        el["style"] = "danger"
    return el


def _button_rows(buttons: Sequence[Button], prefix: str) -> list[dict[str, Any]]:
    """Buttons in actions blocks of at most five, rows of even length that fit a
    desktop message column (eight buttons are 3 + 3 + 2 rather than 5 + 3 with the
    fifth wrapped on its own)."""
    elements = [_button(b, f"{prefix}{i}") for i, b in enumerate(buttons)]
    sizes = button_rows(
        [e["text"]["text"] for e in elements],
        max_per_row=BUTTONS_PER_ROW,
        budget_px=ROW_BUDGET_PX,
        char_px=7.0,
        pad_px=26,
    )
    rows, start = [], 0
    for size in sizes:
        rows.append({"type": "actions", "elements": elements[start : start + size]})
        start += size
    return rows


# ------------------------------------------------------------------------- blocks


def _text_blocks(block: Text) -> list[dict[str, Any]]:
    spans = parse_inline(block.text)
    if spans and all(s.verbatim for s in spans):
        # Only what a person typed: plain_text, which Slack does not format. A zero-width
        # space after each "<" keeps "<!channel>" or "<@U…>" from ever being read as a
        # mention or a link, whatever a client does with plain text.
        typed = "".join(s.text for s in spans).strip().replace("<", "<" + ZWSP)
        return [{"type": "section", "text": {"type": "plain_text", "text": typed[i : i + MAX_SECTION_TEXT], "emoji": False}}
                for i in range(0, len(typed), MAX_SECTION_TEXT) if typed[i : i + MAX_SECTION_TEXT].strip()]
    return [{"type": "section", "text": mrkdwn_block(chunk)} for chunk in mrkdwn_chunks(block.text)]


def _field(label: str, value: str) -> str | None:
    """``*label*`` over the value, within the 2000-character field limit."""
    head = line_mrkdwn([Span(truncate(plain_line(label), 200), True)]) if label.strip() else ""
    room = MAX_FIELD_TEXT - len(head) - 1
    body = mrkdwn_fit(value, room) if value.strip() else ""
    text = "\n".join(x for x in (head, body) if x)
    return text or None


def _fields_blocks(block: Fields) -> list[dict[str, Any]]:
    texts = [t for t in (_field(label, value) for label, value in block.items) if t]
    return [
        {"type": "section", "fields": [mrkdwn_block(t) for t in texts[i : i + MAX_FIELDS]]}
        for i in range(0, len(texts), MAX_FIELDS)
    ]


def _contact_blocks(c: Contact) -> list[dict[str, Any]]:
    """``*Role* — Name`` then how to reach them on one line (the phone a ``tel:`` link,
    kept on one line); what to ask them goes in a context block below, smaller and
    grey, so the eye finds names and addresses first. A dash rather than a colon
    between role and name: it reads the same in French, which spaces its colons."""
    role, name = truncate(plain_line(c.role), 200), truncate(plain_line(c.name), 200)
    if role and name:
        head = line_mrkdwn([Span(role, True), Span(" — " + name)])
    else:
        head = line_mrkdwn([Span(role or name, True)]) if (role or name) else ""
    reach = []
    if c.email.strip():
        email = c.email.strip()
        reach.append(f"<mailto:{esc_url(email)}|{esc(email)}>")
    if c.phone.strip():
        uri = tel_uri(c.phone)
        label = esc(phone_label(c.phone))
        reach.append(f"<{uri}|{label}>" if uri else label)
    text = "\n".join(x for x in (head, "  ·  ".join(reach)) if x)
    blocks: list[dict[str, Any]] = []
    if text:
        blocks.append({"type": "section", "text": mrkdwn_block(truncate(text, MAX_SECTION_TEXT))})
    if c.about.strip():
        blocks.extend(_context(chunk) for chunk in mrkdwn_chunks(c.about, MAX_CONTEXT_TEXT))
    return blocks


def _context(text: str) -> dict[str, Any]:
    return {"type": "context", "elements": [mrkdwn_block(text)]}


def _card_blocks(card: Card, prefix: str) -> list[dict[str, Any]]:
    """The blocks of one card; ``prefix`` goes before button indexes (home views)."""
    blocks: list[dict[str, Any]] = []
    if plain_line(card.title):
        # The title itself, not its plain form: plain text is not parsed again, so a
        # typed "[label](url)" would otherwise lose its URL.
        blocks.append({"type": "header", "text": plain_text(card.title, MAX_HEADER)})
    previous_contact = False
    for block in card.blocks:
        if previous_contact and blocks and not isinstance(block, Divider) and blocks[-1]["type"] != "divider":
            # A person's entry ends with a divider: Slack spaces all blocks alike, so
            # without one, a person's small print runs into the next name or note.
            blocks.append({"type": "divider"})
        if isinstance(block, Text):
            blocks.extend(_text_blocks(block))
        elif isinstance(block, Fields):
            blocks.extend(_fields_blocks(block))
        elif isinstance(block, Contact):
            blocks.extend(_contact_blocks(block))
        elif isinstance(block, Note):
            blocks.extend(_context(chunk) for chunk in mrkdwn_chunks(block.text, MAX_CONTEXT_TEXT))
        elif isinstance(block, Divider):
            # A divider first, last or next to another one separates nothing.
            if blocks and blocks[-1]["type"] not in ("divider", "header"):
                blocks.append({"type": "divider"})
        else:
            raise ValueError(f"unknown card block {type(block).__name__}")
        previous_contact = isinstance(block, Contact)
    while blocks and blocks[-1]["type"] == "divider":
        blocks.pop()
    blocks.extend(_button_rows(card.buttons, prefix))
    return blocks


def _fallback(card: Card) -> str:
    """Top-level ``text``: what notifications and screen readers show."""
    source = card.fallback.strip() or card.title.strip() or render_text(card)
    return mrkdwn_fit(source, MAX_FALLBACK_TEXT) or esc(plain_line(card.title)) or ELLIPSIS


def render_message(card: Card) -> dict[str, Any]:
    """The card as ``chat.postMessage`` / ``respond`` arguments: ``{"text", "blocks"}``.

    Raises ValueError when the card needs more blocks than a message may hold.
    """
    blocks = _card_blocks(card, "")
    for budget in SHRINK_STEPS:
        if len(blocks) <= MAX_MESSAGE_BLOCKS:
            break
        # Long texts cut shorter, marked "…" (``cards.text.shortened``), until it fits.
        blocks = _card_blocks(shortened(card, budget), "")
    if len(blocks) > MAX_MESSAGE_BLOCKS:
        raise ValueError(f"card {card.title!r} renders to {len(blocks)} Slack blocks; a message holds {MAX_MESSAGE_BLOCKS}")
    return {"text": _fallback(card), "blocks": blocks}


def render_home(cards: Sequence[Card]) -> dict[str, Any]:
    """An App Home view: the cards one after another with a divider between them.

    Button indexes are ``<card>-<button>`` so action_ids stay unique across the view.
    Raises ValueError past Slack's 100 blocks: dropping a card silently would hide
    whatever the handler meant to show.
    """
    blocks: list[dict[str, Any]] = []
    for i, card in enumerate(cards):
        card_blocks = _card_blocks(card, f"{i}-")
        if blocks and card_blocks:
            blocks.append({"type": "divider"})
        blocks.extend(card_blocks)
    if len(blocks) > MAX_VIEW_BLOCKS:
        raise ValueError(f"home view needs {len(blocks)} blocks; Slack allows {MAX_VIEW_BLOCKS}")
    return {"type": "home", "blocks": blocks}


# -------------------------------------------------------------------------- modal


def _option(value: str, label: str) -> dict[str, Any]:
    if not value or len(value) > MAX_OPTION_VALUE:
        raise ValueError(f"select option value {value[:40]!r} must be 1..{MAX_OPTION_VALUE} characters")
    return {"text": plain_text(label or value, MAX_OPTION_TEXT), "value": value}


def _input_block(inp: TextInput | SelectInput) -> dict[str, Any]:
    if not inp.id or len(inp.id) > MAX_ACTION_ID:
        raise ValueError(f"form input id {inp.id[:40]!r} must be 1..{MAX_ACTION_ID} characters")
    element: dict[str, Any]
    if isinstance(inp, TextInput):
        element = {"type": "plain_text_input", "action_id": inp.id, "multiline": inp.multiline}
        if inp.max_length is not None:
            if not 1 <= inp.max_length <= MAX_INPUT_LENGTH:
                raise ValueError(f"input {inp.id!r}: max_length must be 1..{MAX_INPUT_LENGTH}")
            element["max_length"] = inp.max_length
        if inp.placeholder.strip():
            element["placeholder"] = plain_text(inp.placeholder, MAX_PLACEHOLDER)
        if inp.initial:
            element["initial_value"] = inp.initial
    elif isinstance(inp, SelectInput):
        if not 1 <= len(inp.options) <= MAX_OPTIONS:
            raise ValueError(f"select {inp.id!r} needs 1..{MAX_OPTIONS} options, has {len(inp.options)}")
        options = [_option(c.value, c.label) for c in inp.options]
        element = {"type": "static_select", "action_id": inp.id, "options": options}
        if inp.placeholder.strip():
            element["placeholder"] = plain_text(inp.placeholder, MAX_PLACEHOLDER)
        if inp.initial is not None:
            chosen = [o for o in options if o["value"] == inp.initial]
            if not chosen:
                raise ValueError(f"select {inp.id!r}: initial {inp.initial!r} is not one of its options")
            element["initial_option"] = chosen[0]
    else:
        raise ValueError(f"unknown form input {type(inp).__name__}")
    return {
        "type": "input",
        "block_id": inp.id,
        "label": plain_text(inp.label or inp.id, MAX_LABEL),
        "element": element,
        "optional": not inp.required,
    }


def render_modal(form: Form) -> dict[str, Any]:
    """The form as a modal ``view`` for ``views.open`` / ``views.update``.

    ``form.data`` travels in ``private_metadata`` because Slack returns it untouched
    with the submission, which keeps the bot stateless between open and submit.
    """
    if not plain_line(form.title):
        raise ValueError("a Slack modal needs a title")
    callback_id = f"{ACTION_PREFIX}{form.action}"
    if not form.action or len(callback_id) > MAX_CALLBACK_ID:
        raise ValueError(f"form action {form.action[:40]!r} must give a callback_id of 1..{MAX_CALLBACK_ID} characters")
    metadata = json.dumps(_string_map(form.data, f"form {form.action!r}"), ensure_ascii=False, separators=(",", ":"))
    if len(metadata) > MAX_PRIVATE_METADATA:
        raise ValueError(f"form {form.action!r}: data is {len(metadata)} characters as JSON, Slack keeps {MAX_PRIVATE_METADATA}")
    ids = [inp.id for inp in form.inputs]
    if len(set(ids)) != len(ids):
        raise ValueError(f"form {form.action!r}: input ids must be unique, got {ids}")
    blocks: list[dict[str, Any]] = [{"type": "section", "text": mrkdwn_block(c)} for c in mrkdwn_chunks(form.intro)]
    blocks.extend(_input_block(inp) for inp in form.inputs)
    if len(blocks) > MAX_VIEW_BLOCKS:
        raise ValueError(f"form {form.action!r} needs {len(blocks)} blocks; Slack allows {MAX_VIEW_BLOCKS}")
    view: dict[str, Any] = {
        "type": "modal",
        "callback_id": callback_id,
        "title": plain_text(form.title, MAX_VIEW_TEXT),
        "submit": plain_text(form.submit_label or form.title, MAX_VIEW_TEXT),
    }
    if plain_line(form.cancel_label):  # else Slack shows its own, translated "Cancel"
        view["close"] = plain_text(form.cancel_label, MAX_VIEW_TEXT)
    view["private_metadata"] = metadata
    view["blocks"] = blocks
    return view
