"""Adaptive Card 1.5 rendering of the neutral card model for Microsoft Teams, and parsing
of the ``adaptiveCard/action`` invokes its buttons send back.

Pure functions from model objects to plain dicts: the Teams adapter wraps them in
activities and does all I/O. Choices that follow Teams rather than the generic
Adaptive Card spec (checked with cardcheck's Teams rules):

* version 1.5, because Teams requires it for ``Action.Execute`` (Universal Actions);
* buttons are ``Action.Execute`` with ``verb`` = our action and ``data`` = the button
  data, so presses arrive as ``adaptiveCard/action`` invokes the bot can answer with
  an updated card; each carries an ``Action.Submit`` fallback for clients without
  Universal Actions (``parse_submit_value`` reads what that sends);
* no ``positive``/``destructive`` action styles: Teams ignores them;
* at most 6 actions per row (the Teams host config's ``maxActions``), and rows
  narrow enough for a chat column: when the buttons need more than one row, the
  first rows are ActionSets at the end of the body and the last row is the card's
  own ``actions``, so every button stays visible in order and no untranslatable
  "More…" label is needed;
* text is split into one TextBlock per line, because hosts disagree on whether a
  single newline inside a TextBlock is a line break.
"""

from __future__ import annotations

import json
import re
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
    Text,
    TextInput,
)
from cards.text import SHRINK_STEPS, Span, button_rows, parse_inline, plain, shortened, split_lines
from cards.typography import one_line, phone_label, tel_uri

__all__ = (
    "CONTENT_TYPE",
    "markdown_text",
    "render_attachment",
    "render_card",
    "render_form",
    "text_card",
)

CONTENT_TYPE = "application/vnd.microsoft.card.adaptive"
SCHEMA = "http://adaptivecards.io/schemas/adaptive-card.json"
VERSION = "1.5"
MAX_ACTIONS = 6  # Teams host config actions.maxActions, per action collection
MAX_CARD_BYTES = 28 * 1024  # Teams rejects larger bot messages (MessageSizeTooBig)
ROW_BUDGET_PX = 500  # a card's inner width in a Teams chat, in pixels

MAX_LINE_BLOCKS = 24
"""Lines of one text shown as TextBlocks of their own; the rest of a longer text is
folded into one TextBlock (lines as paragraphs), since every TextBlock costs ~50 bytes
of the 28 KB and a 600-line description would not fit."""


class CardTooLarge(ValueError):
    """A card over Teams' size limit."""


# --------------------------------------------------------------------------- text


def _md_line(spans: Sequence[Span]) -> str:
    """One line of spans as Teams markdown (``**bold**``, ``[label](url)``).

    Markdown bold only opens next to a non-space character, so spaces at the edges of
    a bold run are moved outside the markers.
    """
    out: list[str] = []
    for i, s in enumerate(spans):
        text = _md_escape(s.text, line_start=i == 0) if s.verbatim else s.text
        body = f"[{text}]({s.url})" if s.url else text
        core = body.strip()
        if not s.bold or not core:
            out.append(body)
            continue
        lead = body[: len(body) - len(body.lstrip())]
        trail = body[len(body.rstrip()) :]
        out.append(f"{lead}**{core}**{trail}")
    return "".join(out)


# "[" alone is escaped for links (no "[" no link), not "]", "(" or ")": hosts that turn
# bare URLs into links would take a backslash before them as part of the URL.
_MD_SPECIAL = re.compile(r"([\\`*_\[#>~|<])")
_MD_BULLET = re.compile(r"^(\s*)([-+])(?=\s|$)")
_MD_NUMBERED = re.compile(r"^(\s*)(\d+)([.)])")


def _md_escape(text: str, *, line_start: bool) -> str:
    """What a person typed, as markdown that shows it as typed: every character markdown
    could read as emphasis, a link, a heading, a quote or code is backslash-escaped, and
    at the start of a line a list marker too (``- x``, ``1. x``)."""
    escaped = _MD_SPECIAL.sub(r"\\\1", text)
    if line_start:
        escaped = _MD_NUMBERED.sub(r"\1\2\\\3", _MD_BULLET.sub(r"\1\\\2", escaped))
    return escaped


def _md_one_line(text: str) -> str:
    """Like ``_one_line``, for a TextBlock (which reads markdown): links become their
    labels, and what a person typed is escaped so it cannot become one."""
    spans = parse_inline(" ".join(text.split()))
    out = "".join(_md_escape(s.text, line_start=i == 0) if s.verbatim else s.text for i, s in enumerate(spans))
    return " ".join(out.split())


def _one_line(text: str) -> str:
    """Markup and line breaks removed: titles and button labels are plain, one line."""
    return one_line(plain(text))


def _text_blocks(text: str, **props: Any) -> list[dict[str, Any]]:
    """Neutral text as TextBlocks, one per line.

    Lines of a paragraph sit flush (``spacing: None``); a blank line becomes the normal
    gap between elements. Empty text gives no element (an empty TextBlock still takes
    space in some hosts).
    """
    blocks: list[dict[str, Any]] = []
    gap = False
    folded: list[str] = []
    for line in split_lines(parse_inline(text)):
        # Leading spaces are dropped too: four of them make a markdown code block.
        md = _md_line(line).strip()
        if len(blocks) >= MAX_LINE_BLOCKS:
            if md:
                folded.append(md)
            continue
        if not md.strip():
            gap = bool(blocks)
            continue
        block: dict[str, Any] = {"type": "TextBlock", "text": md, "wrap": True, **props}
        if blocks and not gap:
            block["spacing"] = "None"
        blocks.append(block)
        gap = False
    if folded:
        blocks.append({"type": "TextBlock", "text": "\n\n".join(folded), "wrap": True, **props})
    return blocks


def _md_inline(text: str) -> str:
    """Neutral text as one markdown string (FactSet values are a single text)."""
    return "\n".join(_md_line(line) for line in split_lines(parse_inline(text))).strip()


# ------------------------------------------------------------------------- blocks


def _facts(block: Fields) -> list[dict[str, Any]]:
    facts = []
    for label, value in block.items:
        title, val = _one_line(label), _md_inline(value)
        if title or val:
            facts.append({"title": title, "value": val})
    return [{"type": "FactSet", "facts": facts}] if facts else []


def _contact(c: Contact) -> list[dict[str, Any]]:
    """``**Role** — Name`` as on Slack, then email and phone as links (the phone a
    ``tel:`` link, kept on one line) and what to ask them in small print: the order a
    reader scans a list of people in."""
    items: list[dict[str, Any]] = []
    name, role = _one_line(c.name), _one_line(c.role)
    head = f"**{role}** — {name}" if role and name else (f"**{role or name}**" if role or name else "")
    if head:
        items.append({"type": "TextBlock", "text": head, "wrap": True})
    reach = []
    if c.email.strip():
        email = c.email.strip()
        reach.append(f"[{email}](mailto:{email})")
    if c.phone.strip():
        uri, label = tel_uri(c.phone), phone_label(c.phone)
        reach.append(f"[{label}]({uri})" if uri else label)
    if reach:
        items.append({"type": "TextBlock", "text": " · ".join(reach), "wrap": True, "spacing": "None"})
    about = _text_blocks(c.about, isSubtle=True, size="Small")
    if about:
        about[0]["spacing"] = "None"
        items.extend(about)
    if not items:
        return []
    if "spacing" in items[0]:
        del items[0]["spacing"]
    # Medium spacing between people, none inside one: the gap tells them apart.
    return [{"type": "Container", "items": items, "spacing": "Medium"}]


def _elements(block: object) -> list[dict[str, Any]]:
    if isinstance(block, Text):
        return _text_blocks(block.text)
    if isinstance(block, Fields):
        return _facts(block)
    if isinstance(block, Contact):
        return _contact(block)
    if isinstance(block, Note):
        return _text_blocks(block.text, isSubtle=True, size="Small")
    raise ValueError(f"unknown card block {type(block).__name__}")


def _body(title: str, blocks: Sequence[object]) -> list[dict[str, Any]]:
    """Title then blocks; a Divider becomes ``separator`` on the next element, since
    Adaptive Cards have no divider element and an empty one would take space."""
    body: list[dict[str, Any]] = []
    heading = _md_one_line(title)
    if heading:
        body.append(
            {"type": "TextBlock", "text": heading, "size": "Large", "weight": "Bolder", "wrap": True, "style": "heading"}
        )
    separate = False
    content = False  # a divider right under the title, or first, separates nothing
    for block in blocks:
        if isinstance(block, Divider):
            separate = content
            continue
        elements = _elements(block)
        if elements and separate:
            elements[0] = {**elements[0], "separator": True, "spacing": "Medium"}
            separate = False
        content = content or bool(elements)
        body.extend(elements)
    return body


# ------------------------------------------------------------------------ actions


def _string_map(data: Mapping[str, str], what: str) -> dict[str, str]:
    """``data`` as a plain dict, checked: it is sent and must come back equal."""
    out: dict[str, str] = {}
    for k, v in data.items():
        if not isinstance(k, str) or not isinstance(v, str):
            raise ValueError(f"{what}: data must map str to str, got {k!r}: {v!r}")
        out[k] = v
    return out


def _execute(title: str, verb: str, data: Mapping[str, str], what: str) -> dict[str, Any]:
    """Action.Execute plus the Action.Submit fallback Teams docs recommend for clients
    without Universal Actions; the fallback nests our data under ``data`` and names
    the action in ``verb`` so inputs merged beside them cannot collide."""
    if not verb:
        raise ValueError(f"{what} has no action")
    payload = _string_map(data, what)
    return {
        "type": "Action.Execute",
        "title": title,
        "verb": verb,
        "data": payload,
        "fallback": {"type": "Action.Submit", "title": title, "data": {"verb": verb, "data": dict(payload)}},
    }


def _action(button: Button) -> dict[str, Any]:
    title = _one_line(button.label)
    if button.url:
        return {"type": "Action.OpenUrl", "title": title, "url": button.url}
    if button.action:
        return _execute(title, button.action, button.data, f"button {button.label!r}")
    raise ValueError(f"button {button.label!r} has neither an action nor a url")


def _rows(actions: list[dict[str, Any]]) -> list[list[dict[str, Any]]]:
    """Actions in rows of at most six (Teams' limit per action collection) and of
    even length, narrow enough for a chat column so Teams need not squeeze labels."""
    sizes = button_rows(
        [a["title"] for a in actions], max_per_row=MAX_ACTIONS, budget_px=ROW_BUDGET_PX, char_px=7.0, pad_px=24
    )
    rows, start = [], 0
    for size in sizes:
        rows.append(actions[start : start + size])
        start += size
    return rows


def _card(body: list[dict[str, Any]], actions: list[dict[str, Any]], fallback: str) -> dict[str, Any]:
    rows = _rows(actions)
    body = body + [{"type": "ActionSet", "actions": row} for row in rows[:-1]]
    card: dict[str, Any] = {
        "type": "AdaptiveCard",
        "$schema": SCHEMA,
        "version": VERSION,
        "body": body,
    }
    if rows:
        card["actions"] = rows[-1]
    if fallback:
        card["fallbackText"] = fallback
    size = len(json.dumps(card, ensure_ascii=False, separators=(",", ":")).encode("utf-8"))
    if size > MAX_CARD_BYTES:
        raise CardTooLarge(f"adaptive card is {size} bytes; Teams accepts about {MAX_CARD_BYTES}")
    return card


def render_card(card: Card) -> dict[str, Any]:
    """The card as Adaptive Card 1.5 content (what goes in an attachment's ``content``).

    A card over Teams' size limit (a long description, long notes) is rendered again
    with its texts cut shorter, each cut marked "…" (``cards.text.shortened``), until it
    fits. Raises ValueError for a button without action or url, non-string data, or a
    card that does not fit even then.
    """
    fallback = one_line(plain(card.fallback or card.title))[:1000]
    actions = [_action(b) for b in card.buttons]
    try:
        return _card(_body(card.title, card.blocks), actions, fallback)
    except CardTooLarge:
        for budget in SHRINK_STEPS:
            try:
                return _card(_body(card.title, shortened(card, budget).blocks), actions, fallback)
            except CardTooLarge:
                continue
        raise


def render_attachment(card: Card) -> dict[str, Any]:
    """The card as a Bot Framework attachment, ready for ``Activity.attachments``."""
    return {"contentType": CONTENT_TYPE, "content": render_card(card)}


# -------------------------------------------------------------------------- forms


def _input(inp: TextInput | SelectInput) -> dict[str, Any]:
    if not inp.id:
        raise ValueError("form inputs need an id")
    label = _one_line(inp.label) or inp.id
    el: dict[str, Any]
    if isinstance(inp, TextInput):
        el = {"type": "Input.Text", "id": inp.id, "label": label, "isMultiline": inp.multiline}
        if inp.placeholder.strip():
            el["placeholder"] = _one_line(inp.placeholder)
        if inp.max_length is not None:
            if inp.max_length < 1:
                raise ValueError(f"input {inp.id!r}: max_length must be positive")
            el["maxLength"] = inp.max_length
        if inp.initial:
            el["value"] = inp.initial
    elif isinstance(inp, SelectInput):
        if not inp.options:
            raise ValueError(f"select {inp.id!r} has no options")
        values = [c.value for c in inp.options]
        if inp.initial is not None and inp.initial not in values:
            raise ValueError(f"select {inp.id!r}: initial {inp.initial!r} is not one of its options")
        el = {
            "type": "Input.ChoiceSet",
            "id": inp.id,
            "label": label,
            "style": "compact",
            "choices": [{"title": _one_line(c.label) or c.value, "value": c.value} for c in inp.options],
        }
        if inp.placeholder.strip():
            el["placeholder"] = _one_line(inp.placeholder)
        if inp.initial is not None:
            el["value"] = inp.initial
    else:
        raise ValueError(f"unknown form input {type(inp).__name__}")
    el["isRequired"] = inp.required
    if inp.required:
        # Shown under the field when it is left empty: the input's own sentence when it
        # has one, else its label names what is missing.
        el["errorMessage"] = _one_line(inp.error) or label
    return el


def _error_block(message: str) -> dict[str, Any]:
    return {"type": "TextBlock", "text": plain(message), "color": "Attention", "wrap": True, "spacing": "None", "size": "Small"}


def _inputs_with_errors(inputs: Sequence[TextInput | SelectInput], errors: Mapping[str, str]) -> list[dict[str, Any]]:
    """The inputs, each error in red under its input (Adaptive Cards cannot show a
    server-side error on an input itself); errors for no input go above them all."""
    ids = {inp.id for inp in inputs}
    body = [_error_block(message) for key, message in errors.items() if key not in ids]
    for inp in inputs:
        body.append(_input(inp))
        if inp.id in errors:
            body.append(_error_block(errors[inp.id]))
    return body


def render_form(form: Form, errors: Mapping[str, str] | None = None) -> dict[str, Any]:
    """The form as an Adaptive Card with inputs and one submit ``Action.Execute``.

    Works inline in a chat or as the card of a Teams dialog (task module). Teams
    merges the input values into the action's ``data`` beside ``form.data``, so an
    input id may not also be a data key (ValueError): the merge would lose one.
    A form with a ``cancel_action`` gets a Cancel button after the submit one; it
    sends no inputs, so Teams does not first insist on the required ones.
    ``errors`` (input id to message): the form shown again after a refused submit
    (``cards.model.filled`` keeps what was typed).
    """
    ids = [inp.id for inp in form.inputs]
    if len(set(ids)) != len(ids):
        raise ValueError(f"form {form.action!r}: input ids must be unique, got {ids}")
    clash = sorted(set(ids) & set(form.data))
    if clash:
        raise ValueError(f"form {form.action!r}: input ids {clash} are also data keys")
    body = _body(form.title, [Text(form.intro)] if form.intro.strip() else [])
    body.extend(_inputs_with_errors(form.inputs, errors or {}))
    submit = _execute(_one_line(form.submit_label) or _one_line(form.title), form.action, form.data, f"form {form.action!r}")
    actions = [submit]
    if form.cancel_action and _one_line(form.cancel_label):
        cancel = _execute(_one_line(form.cancel_label), form.cancel_action, {}, f"form {form.action!r} cancel")
        cancel["associatedInputs"] = "none"
        cancel["fallback"]["associatedInputs"] = "none"
        actions.append(cancel)
    return _card(body, actions, _one_line(form.title))


def text_card(text: str) -> dict[str, Any]:
    """A text reply as a card, where only a card can go (replacing a submitted form)."""
    return render_card(Card(title="", blocks=(Text(text),), fallback=text))


def markdown_text(text: str) -> str:
    """Neutral text as a Teams markdown message: ``**bold**`` and ``[label](url)`` are
    already markdown; each line becomes its own paragraph, since hosts disagree on
    whether a single newline breaks a line."""
    lines = [line.rstrip() for line in text.split("\n")]
    return "\n\n".join(line for line in lines if line.strip())
